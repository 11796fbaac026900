/**
 * What a Docker user or a script written against Docker's output notices, each stated as Docker 20.10's
 * engine (with the docker CLI installed beside it on the benchmark host) answered on the same input,
 * checked side by side by hand and by bench/fidelity.sh.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dockerArchive } from './lib/archive.js';
import { BASE_LAYER, CHILD_CONFIG, DOCKER_SAVED, PARENT_CONFIG, TOP_LAYER } from './lib/dockersave.js';
import { BUSYBOX, busyboxRootfs, tarOf } from './lib/rootfs.js';
import { DRIVERS, STRATA_BIN, testStore, type TestStore } from './lib/strata.js';

/** A tree with an entry of every type: Docker 20.10 reports its image as 117 bytes (100 + 10 + 7). */
function everyTypeTar(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'strata-types-'));
  try {
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd/f'), 'x'.repeat(100));
    writeFileSync(join(dir, 'd/e'), '');
    linkSync(join(dir, 'd/f'), join(dir, 'd/h'));
    symlinkSync('abcdefghij', join(dir, 'd/s'));
    execFileSync('mkfifo', [join(dir, 'd/p')]);
    execFileSync('mknod', [join(dir, 'd/c'), 'c', '1', '3']);
    writeFileSync(join(dir, '.wh.gone'), '');
    mkdirSync(join(dir, 'o'));
    writeFileSync(join(dir, 'o/.wh..wh..opq'), '');
    writeFileSync(join(dir, 'o/k'), 'z'.repeat(7));
    return tarOf(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const driver of DRIVERS) {
  describe(`Docker's numbers on ${driver}`, () => {
    let s: TestStore;
    before(() => { s = testStore(driver); });
    after(() => s.cleanup());

    test("an image's size counts a symlink as its target's length, a hard link once, directories, devices and whiteouts not at all", () => {
      s.ok(['import', '-', 'docker/types:1'], everyTypeTar());
      assert.equal(s.ok(['inspect', '-f', '{{.Size}}', 'docker/types:1']).trim(), '117');
      assert.equal(s.ok(['history', '-H=false', '--format', '{{.Size}}', 'docker/types:1']).trim(), '117');

      // busybox with its applet links: Docker's size is the binary plus 7 bytes ("busybox") per link.
      const rootfs = busyboxRootfs();
      try {
        s.ok(['import', '-', 'docker/busybox:1'], tarOf(rootfs));
      } finally {
        rmSync(rootfs, { recursive: true, force: true });
      }
      const expected = statSync(BUSYBOX).size + 6 * 'busybox'.length + 'root:x:0:0:root:/root:/bin/sh\n'.length + 'strata\n'.length + 'old log line\n'.length;
      assert.equal(s.ok(['inspect', '-f', '{{.Size}}', 'docker/busybox:1']).trim(), String(expected));
    });

    test('a path a tar writes twice counts what it left (Docker refuses such a tar; its measure is the tree)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'strata-dup-'));
      try {
        writeFileSync(join(dir, 'f'), 'x'.repeat(100));
        symlinkSync('abc', join(dir, 's'));
        const first = tarOf(dir);
        // The same paths again: f shorter, s now a 30-byte file; GNU tar appends with -r.
        rmSync(join(dir, 's'));
        writeFileSync(join(dir, 'f'), 'y'.repeat(20));
        writeFileSync(join(dir, 's'), 'z'.repeat(30));
        const file = join(dir, 'both.tar');
        writeFileSync(file, first);
        execFileSync('tar', ['-C', dir, '-rf', file, './f', './s']);
        s.ok(['import', file, 'docker/dup:1']);
        assert.equal(s.ok(['inspect', '-f', '{{.Size}}', 'docker/dup:1']).trim(), '50');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('prune asks as Docker does unless -f: the warning and [y/N] on stdout, one line of stdin, only y or Y goes on', () => {
      s.ok(['import', '-', 'docker/prune:1'], everyTypeTar());
      const c = s.ok(['create', 'docker/prune:1', 'sh']).trim();
      const question = 'Are you sure you want to continue? [y/N] ';
      const containers = `WARNING! This will remove all stopped containers.\n${question}`;
      for (const answer of ['n\n', 'yes\n', '', '\ny\n']) {
        const r = s.run(['container', 'prune'], answer);
        // Docker 20.10's CLI still reports what it reclaimed: nothing.
        assert.deepEqual([r.status, r.stdout, r.stderr], [0, `${containers}Total reclaimed space: 0B\n`, ''], `answer ${JSON.stringify(answer)}`);
      }
      assert.equal(s.ok(['ps', '-a', '-q', '--no-trunc']).trim(), c, 'declined: the container stays');
      const r = s.run(['container', 'prune'], ' Y \n');
      assert.equal(r.status, 0);
      assert.equal(r.stdout, `${containers}Deleted Containers:\n${c}\n\nTotal reclaimed space: 0B\n`);
      assert.equal(s.ok(['ps', '-a', '-q']), '');

      assert.equal(s.ok(['image', 'prune'], 'n\n'), `WARNING! This will remove all dangling images.\n${question}Total reclaimed space: 0B\n`);
      assert.equal(s.ok(['image', 'prune', '-a']), `WARNING! This will remove all images without at least one container associated to them.\n${question}Total reclaimed space: 0B\n`);
      assert.match(s.ok(['images', '-q']), /\w/, 'declined: the images stay');
      assert.match(s.ok(['image', 'prune', '-a'], 'y'), new RegExp(`^WARNING! .*\\n${question.replace(/[?[\]]/g, '\\$&')}Deleted Images:\\nuntagged: docker/prune:1\\n`));
      assert.equal(s.ok(['container', 'prune', '-f']), 'Total reclaimed space: 0B\n', '-f asks nothing');
    });

    test('rm -f and rmi -f of what does not exist: the message on stderr, status 0; without -f every failure is an Error line, status 1', () => {
      s.ok(['import', '-', 'docker/rm:1'], everyTypeTar());
      s.ok(['tag', 'docker/rm:1', 'docker/rm:2']);
      s.ok(['create', '--name', 'docker-rm1', 'docker/rm:1', 'sh']);
      s.ok(['create', '--name', 'docker-rm2', 'docker/rm:1', 'sh']);
      const res = (args: string[]) => { const r = s.run(args); return [r.status, r.stdout, r.stderr]; };
      assert.deepEqual(res(['rm', 'nosuch']), [1, '', 'Error: No such container: nosuch\n']);
      assert.deepEqual(res(['rm', '-f', 'nosuch']), [0, '', 'Error: No such container: nosuch\n']);
      assert.deepEqual(res(['rm', 'nosuch', 'docker-rm1', 'nosuch2']), [1, 'docker-rm1\n', 'Error: No such container: nosuch\nError: No such container: nosuch2\n']);
      assert.deepEqual(res(['rm', '-f', 'nosuch', 'docker-rm2', 'NoSuch']), [0, 'docker-rm2\n', 'Error: No such container: nosuch\nError: No such container: NoSuch\n']);
      // Docker's daemon names a missing image by its familiar name with the tag it assumed.
      // rmi names what it did not find as given, as Docker 20.10 does (history and tag add the tag).
      assert.deepEqual(res(['rmi', 'nosuch']), [1, '', 'Error: No such image: nosuch\n']);
      assert.deepEqual(res(['rmi', '-f', 'nosuch', 'docker/rm:2', 'nosuch:2']), [0, 'Untagged: docker/rm:2\n', 'Error: No such image: nosuch\nError: No such image: nosuch:2\n']);
      // A name that cannot be an image's is an error even with -f, as in Docker.
      assert.deepEqual(res(['rmi', '-f', 'NoSuch']), [1, '', 'Error: invalid reference format: repository name (library/NoSuch) must be lowercase\n']);
      assert.deepEqual(res(['inspect', 'UPPER', 'nosuch']), [1, '[]\n', 'Error: No such object: UPPER\nError: No such object: nosuch\n']);
      // The docker CLI names what a typed inspect did not find as given (no :latest); a volume is found by name too.
      assert.deepEqual(res(['image', 'inspect', 'nosuch']), [1, '[]\n', 'Error: No such image: nosuch\n']);
      assert.deepEqual(res(['inspect', '--type', 'image', 'docker-rm1']), [1, '[]\n', 'Error: No such image: docker-rm1\n']);
      assert.deepEqual(res(['inspect', '--type', 'container', 'docker/rm:1']), [1, '[]\n', 'Error: No such container: docker/rm:1\n']);
      s.ok(['volume', 'create', 'docker-vol']);
      assert.deepEqual(res(['inspect', '-f', '{{.Name}} {{.Driver}}', 'docker-vol']), [0, 'docker-vol local\n', '']);
      assert.deepEqual(res(['inspect', '-s', '-f', '{{.Name}}', 'docker-vol']), [0, 'docker-vol\n', 'WARNING: --size ignored for volume\n']);
      assert.deepEqual(res(['inspect', '--type', 'volume', '-f', '{{.Name}}', 'docker-vol', 'nosuch']), [1, 'docker-vol\n', 'Error: No such volume: nosuch\n']);
      s.ok(['volume', 'rm', 'docker-vol']);
    });

    test("names and --change refused with Docker's words", () => {
      const tar = everyTypeTar();
      const fails = (args: string[], message: string) => {
        const r = s.run(args, tar);
        assert.deepEqual([r.status, r.stdout, r.stderr], [1, '', `Error: ${message}\n`], args.join(' '));
      };
      fails(['import', '-', 'UPPER'], 'invalid reference format: repository name (library/UPPER) must be lowercase');
      // A first component is a registry only with a dot, a port or as localhost (Docker 20.10's daemon).
      fails(['import', '-', 'Up/x:1'], 'invalid reference format: repository name (Up/x) must be lowercase');
      fails(['import', '-', 'x:bad:tag'], 'invalid reference format');
      fails(['import', '-c', 'bogus x', '-', 'docker/x:1'], 'bogus is not a valid change command');
      s.ok(['import', '-', 'docker/names:1'], tar);
      s.ok(['create', '--name', 'docker-names', 'docker/names:1', 'sh']);
      fails(['commit', 'docker-names', 'UPPER'], 'invalid reference format: repository name (library/UPPER) must be lowercase');
      fails(['commit', '-c', 'FROM x', 'docker-names'], 'from is not a valid change command');
      fails(['tag', 'docker/names:1', 'a/B:1'], 'Error parsing reference: "a/B:1" is not a valid repository/tag: invalid reference format: repository name (a/B) must be lowercase');
      fails(['tag', 'UPPER', 'x'], 'Error parsing reference: "UPPER" is not a valid repository/tag: invalid reference format: repository name (library/UPPER) must be lowercase');
      fails(['create', 'UPPER'], 'invalid reference format: repository name (library/UPPER) must be lowercase');
      fails(['history', 'nosuch'], 'No such image: nosuch:latest');
      // A tag may have capitals, and Example.com is a registry.
      s.ok(['tag', 'docker/names:1', 'docker/names:UPPER']);
      s.ok(['tag', 'docker/names:1', 'Example.com/x:1']);
      s.ok(['rm', 'docker-names']);
    });

    test('create of an image with no Cmd and no Entrypoint, given no command, fails with No command specified and makes nothing', () => {
      s.ok(['import', '-', 'docker/nocmd:1'], everyTypeTar());
      const r = s.run(['create', '--name', 'docker-nocmd', 'docker/nocmd:1']);
      assert.deepEqual([r.status, r.stdout, r.stderr], [1, '', 'Error: No command specified\n']);
      // The daemon looks at the command before the name, as Docker's does.
      assert.equal(s.run(['create', '--name', 'x', 'docker/nocmd:1']).stderr, 'Error: No command specified\n');
      assert.equal(s.ok(['ps', '-a', '-q']), '');
      s.ok(['import', '-c', 'ENTRYPOINT ["/bin/sh"]', '-', 'docker/entry:1'], everyTypeTar());
      s.ok(['create', '--name', 'docker-entry', 'docker/entry:1']);
      assert.equal(s.run(['create', '--entrypoint', '', 'docker/entry:1']).stderr, 'Error: No command specified\n');
      s.ok(['rm', 'docker-entry']);
    });

    test("a wrong number of arguments is told in Docker's words, with its usage line, status 1", () => {
      const wrong = (verb: string, more: string[], what: string, usage: string, description: string) => {
        const args = [...verb.split(' '), ...more];
        const r = s.run(args);
        const full = `strata ${verb}`;
        assert.deepEqual([r.status, r.stdout, r.stderr], [1, '', `"${full}" ${what}.\nSee '${full} --help'.\n\nUsage:  ${full} ${usage}\n\n${description}\n`], args.join(' '));
      };
      // As Docker 20.10's CLI prints them (its 23+ CLI words them differently).
      wrong('rm', [], 'requires at least 1 argument', '[OPTIONS] CONTAINER [CONTAINER...]', 'Remove one or more containers');
      wrong('rm', ['-f'], 'requires at least 1 argument', '[OPTIONS] CONTAINER [CONTAINER...]', 'Remove one or more containers');
      wrong('container rm', [], 'requires at least 1 argument', '[OPTIONS] CONTAINER [CONTAINER...]', 'Remove one or more containers');
      wrong('rmi', [], 'requires at least 1 argument', '[OPTIONS] IMAGE [IMAGE...]', 'Remove one or more images');
      wrong('image rm', [], 'requires at least 1 argument', '[OPTIONS] IMAGE [IMAGE...]', 'Remove one or more images');
      wrong('tag', ['x'], 'requires exactly 2 arguments', 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]', 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE');
      wrong('tag', ['x', 'y', 'z'], 'requires exactly 2 arguments', 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]', 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE');
      wrong('diff', [], 'requires exactly 1 argument', 'CONTAINER', "Inspect changes to files or directories on a container's filesystem");
      wrong('commit', [], 'requires at least 1 and at most 2 arguments', '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]', "Create a new image from a container's changes");
      wrong('create', [], 'requires at least 1 argument', '[OPTIONS] IMAGE [COMMAND] [ARG...]', 'Create a new container');
      wrong('import', [], 'requires at least 1 argument', '[OPTIONS] file|- [REPOSITORY[:TAG]]', 'Import the contents from a tarball to create a filesystem image');
      wrong('ps', ['x'], 'accepts no arguments', '[OPTIONS]', 'List containers');
      wrong('image prune', ['x'], 'accepts no arguments', '[OPTIONS]', 'Remove unused images');
      wrong('images', ['x', 'y'], 'requires at most 1 argument', '[OPTIONS] [REPOSITORY[:TAG]]', 'List images');
      wrong('exec', ['c'], 'requires at least 2 arguments', '[OPTIONS] CONTAINER COMMAND [ARG...]', 'Run a command in a running container');
      wrong('container exec', ['c'], 'requires at least 2 arguments', '[OPTIONS] CONTAINER COMMAND [ARG...]', 'Run a command in a running container');
      wrong('logs', ['a', 'b'], 'requires exactly 1 argument', '[OPTIONS] CONTAINER', 'Fetch the logs of a container');
      wrong('rename', ['a'], 'requires exactly 2 arguments', 'CONTAINER NEW_NAME', 'Rename a container');
      wrong('cp', ['a'], 'requires exactly 2 arguments', '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tstrata cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH', 'Copy files/folders between a container and the local filesystem');
      wrong('run', [], 'requires at least 1 argument', '[OPTIONS] IMAGE [COMMAND] [ARG...]', 'Run a command in a new container');
      wrong('volume create', ['a', 'b'], 'requires at most 1 argument', '[OPTIONS] [VOLUME]', 'Create a volume');
      // Other usage errors stay the CLI's own failure, 125, as Docker's.
      assert.equal(s.run(['rm', '--bogus', 'x']).status, 125);
    });

    test("an unknown flag, a flag without its value and an unknown verb are told in Docker's words, without the whole help", () => {
      const told = (args: string[], status: number, stderr: string) => {
        const r = s.run(args);
        assert.deepEqual([r.status, r.stdout, r.stderr], [status, '', stderr], args.join(' '));
      };
      // As Docker 20.10's CLI (pflag) prints them, status 125.
      told(['ps', '--bogus'], 125, "unknown flag: --bogus\nSee 'strata ps --help'.\n");
      told(['ps', '--bogus=1'], 125, "unknown flag: --bogus\nSee 'strata ps --help'.\n");
      told(['ps', '-z'], 125, "unknown shorthand flag: 'z' in -z\nSee 'strata ps --help'.\n");
      told(['ps', '-az'], 125, "unknown shorthand flag: 'z' in -z\nSee 'strata ps --help'.\n");
      told(['ps', '-za'], 125, "unknown shorthand flag: 'z' in -za\nSee 'strata ps --help'.\n");
      told(['container', 'ls', '--xx'], 125, "unknown flag: --xx\nSee 'strata container ls --help'.\n");
      told(['ps', '--format'], 125, "flag needs an argument: --format\nSee 'strata ps --help'.\n");
      told(['ps', '-a', '-f'], 125, "flag needs an argument: 'f' in -f\nSee 'strata ps --help'.\n");
      told(['image', 'rm', '-Q', 'x'], 125, "unknown shorthand flag: 'Q' in -Q\nSee 'strata image rm --help'.\n");
      // Status 1, and the See line without its full stop, as Docker's.
      told(['bogusverb'], 1, "strata: 'bogusverb' is not a strata command.\nSee 'strata --help'\n");
    });

    test("start, rename and kill of what fails are told as Docker's CLI and daemon tell them", () => {
      const told = (args: string[], stdout: string, stderr: string | RegExp) => {
        const r = s.run(args);
        assert.deepEqual([r.status, r.stdout], [1, stdout], args.join(' '));
        if (typeof stderr === 'string') assert.equal(r.stderr, stderr, args.join(' ')); else assert.match(r.stderr, stderr, args.join(' '));
      };
      // Each failure as it comes, then the line naming those that did not start.
      told(['start', 'nosuch', 'nosuch2'], '', 'Error: No such container: nosuch\nError: No such container: nosuch2\nError: failed to start containers: nosuch, nosuch2\n');
      told(['kill', 'nosuch'], '', 'Error: Cannot kill container: nosuch: No such container: nosuch\n');
      s.ok(['import', '-', 'docker/rename:1'], everyTypeTar());
      s.ok(['create', '--name', 'docker-ren1', 'docker/rename:1', 'sh']);
      s.ok(['create', '--name', 'docker-ren2', 'docker/rename:1', 'sh']);
      told(['rename', 'docker-ren1', 'docker-ren2'], '',
        /^Error: Error when allocating new name: Conflict\. The container name "\/docker-ren2" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\nError: failed to rename container named docker-ren1\n$/);
      told(['rename', 'nosuch', 'x2'], '', 'Error: No such container: nosuch\nError: failed to rename container named nosuch\n');
      s.ok(['rm', 'docker-ren1', 'docker-ren2']);
    });

    test("--help is laid out as Docker 20.10's (its Usage line, flags sorted with their value's name, pflag's columns)", () => {
      const r = s.run(['ps', '--help']);
      assert.deepEqual([r.status, r.stderr], [0, '']);
      assert.equal(r.stdout, [
        '', 'Usage:  strata ps [OPTIONS]', '', 'List containers', '', 'Options:',
        '  -a, --all             Show all containers (default shows just running)',
        '  -f, --filter filter   Filter output based on conditions provided (name, id, status, ancestor, label, before, since)',
        '      --format string   Format output using a custom template',
        '  -n, --last int        Show n last created containers (includes all states)',
        '  -l, --latest          Show the latest created container (includes all states)',
        "      --no-trunc        Don't truncate output",
        '  -q, --quiet           Only display container IDs',
        '  -s, --size            Display total file sizes', '',
      ].join('\n'));
      // A default that is not its type's zero value, as pflag shows it; a command's aliases.
      assert.match(s.ok(['logs', '--help']), /\n {2}-n, --tail string {4}Number of lines to show from the end of the logs \(default "all"\)\n/);
      assert.match(s.ok(['container', 'ls', '--help']), /^\nUsage: {2}strata container ls \[OPTIONS\]\n\nList containers\n\nAliases:\n {2}ls, /);
      // A group given no verb shows its commands on stderr, status 0 (Docker 20.10's CLI); given an unknown one, the same, status 1.
      const group = s.run(['image']);
      assert.deepEqual([group.status, group.stdout], [0, '']);
      assert.match(group.stderr, /^\nUsage: {2}strata image COMMAND\n\nManage images\n\nCommands:\n {2}build {7}Build an image from a Dockerfile\n/);
      assert.match(group.stderr, /\n\nRun 'strata image COMMAND --help' for more information on a command\.\n$/);
      assert.equal(s.ok(['image', '--help']), group.stderr);
      // cp's two usage lines, as Docker's.
      assert.match(s.ok(['cp', '--help']), /^\nUsage: {2}strata cp \[OPTIONS\] CONTAINER:SRC_PATH DEST_PATH\|-\n\tstrata cp \[OPTIONS\] SRC_PATH\|- CONTAINER:DEST_PATH\n\n/);
      // conmon's hidden `container cleanup` is not listed; every verb a user runs is.
      const containerHelp = s.run(['container']).stderr;
      assert.doesNotMatch(containerHelp, /cleanup/);
      assert.match(containerHelp, /\n {2}attach {6}Attach local standard input/);
      const bogus = s.run(['image', 'bogus']);
      assert.deepEqual([bogus.status, bogus.stdout, bogus.stderr], [1, '', group.stderr]);
    });

    test("a flag's value that cannot be read is told bare with Docker's See line, status 125, before any container is tried", () => {
      const told = (args: string[], stderr: string) => {
        const r = s.run(args);
        assert.deepEqual([r.status, r.stdout, r.stderr], [125, '', stderr], args.join(' '));
      };
      const parseInt = (value: string, flag: string, verb: string) =>
        `invalid argument "${value}" for "${flag}" flag: strconv.ParseInt: parsing "${value}": invalid syntax\nSee 'strata ${verb} --help'.\n`;
      told(['ps', '-n', 'abc'], parseInt('abc', '-n, --last', 'ps'));
      told(['stop', '-t', 'x', 'nosuch'], parseInt('x', '-t, --time', 'stop'));
      told(['container', 'restart', '-t', 'x', 'nosuch'], parseInt('x', '-t, --time', 'container restart'));
      told(['create', '--stop-timeout', 'x', 'nosuch'], parseInt('x', '--stop-timeout', 'create'));
      told(['run', '--cpus', 'abc', 'nosuch'], `invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number\nSee 'strata run --help'.\n`);
      told(['create', '-m', '1x', 'nosuch'], `invalid argument "1x" for "-m, --memory" flag: invalid size: '1x'\nSee 'strata create --help'.\n`);
      told(['ps', '-f', 'noeq'], `invalid argument "noeq" for "-f, --filter" flag: bad format of filter (expected name=value)\nSee 'strata ps --help'.\n`);
      // A limit below 1 is no limit, as Docker's daemon takes it (the CLI's default is -1).
      s.ok(['import', '-', 'docker/last:1'], everyTypeTar());
      s.ok(['create', '--name', 'docker-last', 'docker/last:1', 'sh']);
      for (const n of ['0', '-3']) assert.equal(s.ok(['ps', '-n', n, '-q']), s.ok(['ps', '-q']), n);
      assert.equal(s.ok(['ps', '-n', '1', '--format', '{{.Names}}']), 'docker-last\n');
      s.ok(['rm', 'docker-last']);
    });

    test('export and save into a reader that goes away end quietly, as docker does (status 141, nothing on stderr)', () => {
      // Far more than a pipe holds (64 KiB), so the writer is still writing when head exits and must see EPIPE.
      const dir = mkdtempSync(join(tmpdir(), 'strata-pipe-'));
      writeFileSync(join(dir, 'big'), Buffer.alloc(4 << 20, 1));
      s.ok(['import', '-', 'docker/pipe:1'], tarOf(dir));
      rmSync(dir, { recursive: true, force: true });
      s.ok(['create', '--name', 'docker-pipe', 'docker/pipe:1', 'sh']);
      for (const verb of ['export docker-pipe', 'save docker/pipe:1']) {
        const b = spawnSync('bash', ['-c', `${STRATA_BIN} --root ${s.root} --storage-driver ${driver} ${verb} | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}`], { encoding: 'utf8' });
        assert.deepEqual([b.stdout, b.stderr], ['141\n', ''], verb);
      }
      s.ok(['rm', 'docker-pipe']);
    });

    test("save writes Docker 20.10's legacy layout: v1 IDs, VERSION, json, layer.tar, links for a tar written already, ustar headers with full modes", () => {
      const archive = dockerArchive([
        { config: PARENT_CONFIG, layers: [BASE_LAYER], repoTags: ['docker-fix:parent'] },
        { config: CHILD_CONFIG, layers: [BASE_LAYER, TOP_LAYER], repoTags: ['docker-fix:child'] },
      ]);
      s.ok(['load'], archive);
      const saved = s.okBytes(['save', 'docker-fix:parent', 'docker-fix:child']);
      const headers = rawHeaders(saved);
      const byName = new Map(headers.map((h) => [h.name, h]));
      const manifest = JSON.parse(byName.get('manifest.json')!.body.toString());
      assert.deepEqual(manifest.map((m: { Layers: string[] }) => m.Layers), [
        DOCKER_SAVED.parentLayers.map((d) => `${d}/layer.tar`), DOCKER_SAVED.childLayers.map((d) => `${d}/layer.tar`)]);
      assert.equal(byName.get('repositories')!.body.toString(), DOCKER_SAVED.repositories);
      const [childBase, childTop] = DOCKER_SAVED.childLayers;
      assert.equal(byName.get(`${childTop}/json`)!.body.toString(), DOCKER_SAVED.childTopJson);
      assert.equal(byName.get(`${childBase}/json`)!.body.toString(), DOCKER_SAVED.childBaseJson);
      for (const dir of [...DOCKER_SAVED.parentLayers, ...DOCKER_SAVED.childLayers]) {
        assert.deepEqual([byName.get(`${dir}/`)?.type, byName.get(`${dir}/`)?.mode], ['5', '0040755'], `${dir}/ is a directory named with its slash`);
        assert.equal(byName.get(`${dir}/VERSION`)!.body.toString(), '1.0');
      }
      assert.deepEqual([byName.get(`${childBase}/layer.tar`)!.type, byName.get(`${childBase}/layer.tar`)!.linkname, byName.get(`${childBase}/layer.tar`)!.mode],
        ['2', DOCKER_SAVED.link, '0120777']);
      assert.ok(byName.get(`${DOCKER_SAVED.parentLayers[0]}/layer.tar`)!.body.equals(BASE_LAYER), 'the layer bytes are the loaded ones');
      for (const h of headers) {
        assert.equal(h.magic, 'ustar\x0000', h.name);
        assert.deepEqual([h.uname, h.gname, h.uid], ['root', 'root', '0000000'], h.name);
        if (h.type === '0') assert.equal(h.mode, '0100644', h.name);
      }
      // manifest.json and repositories carry the Unix epoch, as Docker's.
      assert.deepEqual([byName.get('manifest.json')!.mtime, byName.get('repositories')!.mtime], [0, 0]);
      // Saved by ID: no repositories file, as Docker.
      const id = s.ok(['inspect', '-f', '{{.Id}}', 'docker-fix:parent']).trim();
      assert.ok(!rawHeaders(s.okBytes(['save', id])).some((h) => h.name === 'repositories'));
      // and strata loads what it wrote, Parent included (Docker writes it when both images are saved).
      const other = testStore(driver);
      try {
        other.ok(['load'], saved);
        assert.equal(other.ok(['inspect', '-f', '{{.Id}}', 'docker-fix:child']), s.ok(['inspect', '-f', '{{.Id}}', 'docker-fix:child']));
      } finally {
        other.cleanup();
      }
    });

    test('save names a saved parent in manifest.json (Parent, as Docker 20.10) and load keeps it', () => {
      s.ok(['import', '-c', 'CMD ["sh"]', '-', 'docker-par:base'], everyTypeTar());
      s.ok(['create', '--name', 'docker-par', 'docker-par:base']);
      writeFileSync(join(s.ok(['mount', 'docker-par']).trim(), 'added'), 'x');
      s.ok(['unmount', 'docker-par']);
      s.ok(['commit', 'docker-par', 'docker-par:child']);
      s.ok(['rm', 'docker-par']);
      const id = (store: TestStore, ref: string) => store.ok(['inspect', '-f', '{{.Id}}', ref]).trim();
      const both = s.okBytes(['save', 'docker-par:child', 'docker-par:base']);
      const manifest = JSON.parse(rawHeaders(both).find((h) => h.name === 'manifest.json')!.body.toString());
      assert.deepEqual(manifest.map((m: { Parent?: string }) => m.Parent), [id(s, 'docker-par:base'), undefined]);
      const alone = JSON.parse(rawHeaders(s.okBytes(['save', 'docker-par:child'])).find((h) => h.name === 'manifest.json')!.body.toString());
      assert.equal(alone[0].Parent, undefined, 'no Parent when the parent is not saved');
      const other = testStore(driver);
      try {
        other.ok(['load'], both);
        assert.equal(other.ok(['inspect', '-f', '{{.Parent}}', 'docker-par:child']).trim(), id(s, 'docker-par:base'));
      } finally {
        other.cleanup();
      }
    });

    test('LastTagTime: zero after load, set by tag, import and commit with a name, kept when the tag goes; DockerVersion is strata\'s', () => {
      const lastTag = (ref: string) => s.ok(['inspect', '-f', '{{.Metadata.LastTagTime}}', ref]).trim();
      s.ok(['load'], dockerArchive([{ config: PARENT_CONFIG, layers: [BASE_LAYER], repoTags: ['docker-lt:loaded'] }]));
      assert.equal(lastTag('docker-lt:loaded'), '0001-01-01T00:00:00Z');
      s.ok(['tag', 'docker-lt:loaded', 'docker-lt:tagged']);
      const tagged = lastTag('docker-lt:loaded');
      assert.ok(Date.now() - Date.parse(tagged) < 60_000, tagged);
      s.ok(['rmi', 'docker-lt:tagged']);
      assert.equal(lastTag('docker-lt:loaded'), tagged, 'kept when the tag goes, as Docker keeps it');
      s.ok(['import', '-', 'docker-lt:imported'], everyTypeTar());
      assert.ok(Date.now() - Date.parse(lastTag('docker-lt:imported')) < 60_000);
      assert.equal(lastTag(s.ok(['import', '-'], everyTypeTar()).trim()), '0001-01-01T00:00:00Z', 'no name, no tag time');
      assert.equal(s.ok(['inspect', '-f', '{{.DockerVersion}}', 'docker-lt:imported']), `${s.ok(['--version']).trim()}\n`);
      s.ok(['create', '--name', 'docker-lt', 'docker-lt:imported', 'sh']);
      s.ok(['commit', 'docker-lt', 'docker-lt:committed']);
      assert.equal(s.ok(['inspect', '-f', '{{.DockerVersion}}', 'docker-lt:committed']), `${s.ok(['--version']).trim()}\n`);
      assert.ok(Date.now() - Date.parse(lastTag('docker-lt:committed')) < 60_000);
      s.ok(['rm', 'docker-lt']);
    });
  });
}

/** A tar's headers as they are written: the fields Docker's writer fills, as text. */
function rawHeaders(tar: Buffer) {
  const field = (b: Buffer, off: number, len: number) => b.toString('latin1', off, off + len).replace(/\0.*$/s, '');
  const out: { name: string; mode: string; uid: string; type: string; linkname: string; magic: string; uname: string; gname: string; mtime: number; body: Buffer }[] = [];
  for (let off = 0; off + 512 <= tar.length && tar[off] !== 0;) {
    const h = tar.subarray(off, off + 512);
    const size = parseInt(field(h, 124, 12), 8);
    out.push({
      name: field(h, 0, 100), mode: field(h, 100, 8), uid: field(h, 108, 8), type: field(h, 156, 1), linkname: field(h, 157, 100),
      magic: h.toString('latin1', 257, 265), uname: field(h, 265, 32), gname: field(h, 297, 32), mtime: parseInt(field(h, 136, 12), 8),
      body: tar.subarray(off + 512, off + 512 + size),
    });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
