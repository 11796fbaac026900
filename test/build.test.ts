/**
 * `strata build` as Docker 20.10's classic builder (`DOCKER_BUILDKIT=0 docker build`) behaves on the same
 * Dockerfiles (its output lines, history lines and errors are written here as Docker gave them on the
 * benchmark host): the seeds' cow-test images, the cache, stages, substitution, .dockerignore, USER and
 * WORKDIR, COPY --chown, ADD of a tar, ONBUILD, contexts on stdin, and every failure, through the real CLI
 * with real runc and real mounts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { busyboxUserland } from './lib/bundle.js';
import { tarOf } from './lib/rootfs.js';
import { DRIVERS, exited, testStore, type TestStore } from './lib/strata.js';

/** IDs in build output replaced, so lines compare as text. */
const ids = (out: string) => out.replace(/\b[0-9a-f]{12}\b/g, '<id>');

function contextDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-build-ctx-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

let base: Buffer;
const dirs: string[] = [];
const ctx = (files: Record<string, string>) => {
  const d = contextDir(files);
  dirs.push(d);
  return d;
};

before(() => {
  const rootfs = busyboxUserland();
  base = tarOf(rootfs);
  rmSync(rootfs, { recursive: true, force: true });
});
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

for (const driver of DRIVERS) {
  describe(`the seeds' cow-test images (${driver})`, () => {
    let s: TestStore;
    before(() => {
      s = testStore(driver);
      s.ok(['import', '-', 'busybox:latest'], base);
    });
    after(() => s.cleanup());

    test('COPY . /app, then an image FROM it that only sets CMD: every layer shared, Hello world', () => {
      const dir = ctx({
        'hello.sh': '#!/bin/sh\necho "Hello world"\n',
        'Dockerfile.base': 'FROM busybox:latest\nCOPY . /app\n',
        Dockerfile: 'FROM acme/my-base-image:1.0\nCMD /app/hello.sh\n',
      });
      chmodSync(join(dir, 'hello.sh'), 0o755);
      const first = s.ok(['build', '-t', 'acme/my-base-image:1.0', '-f', join(dir, 'Dockerfile.base'), dir]);
      assert.equal(ids(first), [
        'Sending build context to Docker daemon  4.096kB', 'Step 1/2 : FROM busybox:latest', ' ---> <id>', 'Step 2/2 : COPY . /app',
        ' ---> <id>', 'Successfully built <id>', 'Successfully tagged acme/my-base-image:1.0', '',
      ].join('\n'));
      const second = s.ok(['build', '-t', 'acme/my-final-image:1.0', dir]);
      // The classic builder commits a container for a CMD too, and says so.
      assert.match(ids(second), /^Step 1\/2 : FROM acme\/my-base-image:1.0\n ---> <id>\nStep 2\/2 : CMD \/app\/hello.sh\n ---> Running in <id>\nRemoving intermediate container <id>\n ---> <id>\nSuccessfully built <id>\nSuccessfully tagged acme\/my-final-image:1.0\n$/m);
      const layers = (ref: string) => s.ok(['inspect', '-f', '{{json .RootFS.Layers}}', ref]);
      assert.equal(layers('acme/my-final-image:1.0'), layers('acme/my-base-image:1.0'));
      assert.equal(s.ok(['run', '--rm', 'acme/my-final-image:1.0']), 'Hello world\n');
      const history = s.ok(['history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}', 'acme/my-final-image:1.0']).trim().split('\n');
      const baseId = s.ok(['images', '-q', '--no-trunc', 'acme/my-base-image:1.0']).trim();
      assert.equal(history.length, 3);
      assert.match(history[0]!, /^sha256:[0-9a-f]{64}\|\/bin\/sh -c #\(nop\)  CMD \["\/bin\/sh" "-c" "\/app\/hello.sh"\]\|0B$/);
      assert.match(history[1]!, new RegExp(`^${baseId}\\|/bin/sh -c #\\(nop\\) COPY dir:[0-9a-f]{64} in /app \\|`));
      assert.match(history[2]!, /^sha256:[0-9a-f]{64}\|\|/);
      // Rebuilt unchanged: every step from the cache, the same images.
      const again = s.ok(['build', '-t', 'acme/my-base-image:1.0', '-f', join(dir, 'Dockerfile.base'), dir]);
      assert.match(again, /Step 2\/2 : COPY \. \/app\n ---> Using cache\n/);
      assert.equal(s.ok(['images', '-q', '--no-trunc', 'acme/my-base-image:1.0']).trim(), baseId);
      assert.equal(s.ok(['system', 'check']), 'No problems found\n');
    });
  });
}

describe('build (overlay2 or the probed driver)', () => {
  let s: TestStore;
  before(() => {
    s = testStore(DRIVERS[0]!);
    s.ok(['import', '-', 'busybox:latest'], base);
  });
  after(() => s.cleanup());

  test('the cache: mtimes do not matter, modes and contents do; later steps rerun; --no-cache; images -a and rmi', () => {
    const dir = ctx({ 'a.txt': 'one\n', Dockerfile: 'FROM busybox:latest\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\nCMD ["cat", "/b.txt"]\n' });
    const cold = s.ok(['build', '-t', 'cache:1', dir]);
    assert.doesNotMatch(cold, /Using cache/);
    assert.match(ids(cold), /Step 3\/4 : RUN cat \/a.txt > \/b.txt\n ---> Running in <id>\nRemoving intermediate container <id>\n ---> <id>\n/);
    const id = s.ok(['images', '-q', 'cache:1']);
    utimesSync(join(dir, 'a.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const warm = s.ok(['build', '-t', 'cache:1', dir]);
    assert.equal(warm.match(/ ---> Using cache\n/g)?.length, 3);
    assert.equal(s.ok(['images', '-q', 'cache:1']), id);
    chmodSync(join(dir, 'a.txt'), 0o600);
    const mode = s.ok(['build', '-t', 'cache:2', dir]);
    assert.equal(mode.match(/Using cache/g), null);
    writeFileSync(join(dir, 'a.txt'), 'two\n');
    chmodSync(join(dir, 'a.txt'), 0o644);
    s.ok(['build', '-t', 'cache:3', dir]);
    assert.equal(s.ok(['run', '--rm', 'cache:3']), 'two\n');
    assert.doesNotMatch(s.ok(['build', '--no-cache', '-t', 'cache:4', dir]), /Using cache/);
    // Intermediate images are listed with -a only, and go with the last image that names them.
    const all = s.ok(['images', '-a', '-q']).trim().split('\n').length;
    const named = s.ok(['images', '-q']).trim().split('\n').length;
    assert.ok(all >= named + 6, `${all} images with -a, ${named} without`);
    const steps = s.ok(['history', '-q', '--no-trunc', 'cache:4']).trim().split('\n').slice(0, 3);
    const removed = s.ok(['rmi', 'cache:4']);
    // The three steps' images go. The COPY's layer is cache:3's too (same content, same chain ID) and stays; so may the
    // RUN's, when cache:3's RUN wrote /b.txt within the same second (a layer holds its files' times).
    for (const step of steps) assert.match(removed, new RegExp(`^Deleted: ${step}$`, 'm'));
    assert.ok([3, 4].includes(removed.match(/^Deleted: /gm)?.length ?? 0), removed);
    assert.equal(s.ok(['run', '--rm', 'cache:3']), 'two\n');
  });

  test('builder prune removes the step images a rebuild left untagged, and the digest memos; tagged chains and imports stay', async () => {
    // Contents of its own: the other tests' chains (still tagged) would be this build's cache.
    const dir = ctx({ 'a.txt': 'prune one\n', Dockerfile: 'FROM busybox:latest\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\nCMD ["cat", "/b.txt"]\n' });
    s.ok(['build', '-t', 'prune:1', dir]);
    const old = s.ok(['history', '-q', '--no-trunc', 'prune:1']).trim().split('\n').slice(0, 3);
    writeFileSync(join(dir, 'a.txt'), 'prune two\n');
    // A file changed within the last second is not memoized (digestmemo.ts): wait, so this build leaves a memo.
    await new Promise((r) => setTimeout(r, 1100));
    s.ok(['build', '-t', 'prune:1', dir]);
    const kept = s.ok(['history', '-q', '--no-trunc', 'prune:1']).trim().split('\n');
    // An imported image left untagged (its name moved) is no build's cache.
    const imported = s.ok(['import', '-', 'imported:1'], base).trim();
    s.ok(['tag', 'busybox:latest', 'imported:1']);
    assert.ok(readdirSync(join(s.root, 'builder', 'digests')).length > 0);
    // Answered no: nothing goes.
    assert.equal(s.ok(['builder', 'prune'], 'n\n'), 'WARNING! This will remove all dangling build cache. Are you sure you want to continue? [y/N] Total reclaimed space: 0B\n');
    for (const id of old) assert.match(s.ok(['images', '-a', '-q', '--no-trunc']), new RegExp(id.replace('sha256:', '')));
    const out = s.ok(['builder', 'prune', '-f']);
    // The step images, and the layers only they held (as image prune lists both).
    assert.match(out, /^Deleted build cache objects:\n(sha256:[0-9a-f]{64}\n){3,}\nTotal reclaimed space: \d/);
    for (const id of old) assert.match(out, new RegExp(`^${id}$`, 'm'));
    const left = s.ok(['images', '-a', '-q', '--no-trunc']);
    for (const id of old) assert.doesNotMatch(left, new RegExp(id));
    for (const id of kept.filter((i) => i.startsWith('sha256:'))) assert.match(left, new RegExp(id));
    assert.match(left, new RegExp(imported));
    assert.equal(s.ok(['run', '--rm', 'prune:1']), 'prune two\n');
    assert.equal(existsSync(join(s.root, 'builder', 'digests')), false);
    assert.equal(s.ok(['builder', 'prune', '-f']), 'Total reclaimed space: 0B\n');
    assert.equal(s.ok(['system', 'check']), 'No problems found\n');
  });

  test('builder prune refuses a filter it does not take in Docker 20.10\'s words (`failed to prune build cache: …`), exit 1', () => {
    const bad = s.run(['builder', 'prune', '-f', '--filter', 'nope=1']);
    assert.deepEqual([bad.status, bad.stdout, bad.stderr], [1, '', "Error: failed to prune build cache: Invalid filter 'nope'\n"]);
  });

  test('every step but COPY/ADD has an intermediate container, as the classic builder; --rm=false keeps them; cached steps none', () => {
    const dir = ctx({
      f: 'hi\n',
      Dockerfile: 'ARG X=1\nFROM busybox:latest AS a\nARG Y=2\nMAINTAINER me\nCOPY f /f\nADD f /g\nEXPOSE 80\nVOLUME /v\nUSER root\n'
        + 'STOPSIGNAL SIGTERM\nSHELL ["/bin/sh", "-c"]\nHEALTHCHECK CMD true\nENTRYPOINT ["sh"]\nONBUILD RUN echo trig\nFROM a\nCOPY --from=a /f /h\n',
    });
    // Docker 20.10's output for this Dockerfile (DOCKER_BUILDKIT=0 docker build), IDs replaced.
    const container = [' ---> Running in <id>', 'Removing intermediate container <id>', ' ---> <id>'];
    const docker = [
      'Sending build context to Docker daemon  3.072kB', 'Step 1/16 : ARG X=1', 'Step 2/16 : FROM busybox:latest AS a', ' ---> <id>',
      'Step 3/16 : ARG Y=2', ...container, 'Step 4/16 : MAINTAINER me', ...container, 'Step 5/16 : COPY f /f', ' ---> <id>',
      'Step 6/16 : ADD f /g', ' ---> <id>', 'Step 7/16 : EXPOSE 80', ...container, 'Step 8/16 : VOLUME /v', ...container,
      'Step 9/16 : USER root', ...container, 'Step 10/16 : STOPSIGNAL SIGTERM', ...container, 'Step 11/16 : SHELL ["/bin/sh", "-c"]', ...container,
      'Step 12/16 : HEALTHCHECK CMD true', ...container, 'Step 13/16 : ENTRYPOINT ["sh"]', ...container, 'Step 14/16 : ONBUILD RUN echo trig', ...container,
      'Step 15/16 : FROM a', '# Executing 1 build trigger', ' ---> Running in <id>', 'trig', 'Removing intermediate container <id>', ' ---> <id>',
      'Step 16/16 : COPY --from=a /f /h', ' ---> <id>', 'Successfully built <id>', 'Successfully tagged steps:1', '',
    ].join('\n');
    const before = s.ok(['ps', '-a', '-q']);
    assert.equal(ids(s.ok(['build', '-t', 'steps:1', dir])), docker);
    assert.equal(s.ok(['ps', '-a', '-q']), before);
    // --rm=false: the same lines without the removals, and the containers stay as Docker leaves them (Created; the trigger's RUN Exited).
    const kept = s.ok(['build', '--no-cache', '--rm=false', '-t', 'steps:1', dir]);
    assert.equal(ids(kept), docker.replace(/Removing intermediate container <id>\n/g, ''));
    const made = kept.match(/(?<= ---> Running in )[0-9a-f]{12}/g)!;
    assert.equal(made.length, 11);
    const listed = s.ok(['ps', '-a', '--format', '{{.ID}} {{.Status}} {{.Command}}', '--no-trunc']);
    for (const id of made.slice(0, 8)) assert.match(listed, new RegExp(`^${id}[0-9a-f]{52} Created "/bin/sh -c '#\\(nop\\) ' '`, 'm'));
    assert.match(listed, new RegExp(`^${made[10]}[0-9a-f]{52} Exited \\(0\\) .* "/bin/sh -c 'echo trig'"$`, 'm'));
    // From ENTRYPOINT on, the step's container has the entrypoint before its command, as Docker's.
    assert.match(listed, new RegExp(`^${made[8]}[0-9a-f]{52} Created "sh /bin/sh -c '#\\(nop\\) ' 'ENTRYPOINT \\[\\\\"sh\\\\"\\]'"$`, 'm'));
    assert.match(listed, new RegExp(`^${made[9]}[0-9a-f]{52} Created "sh /bin/sh -c '#\\(nop\\) ' 'ONBUILD RUN echo trig'"$`, 'm'));
    // With their anonymous volumes (VOLUME /v made one for each container after it).
    s.ok(['rm', '-v', ...made]);
    // A cached rebuild makes no container.
    const cached = s.ok(['build', '-t', 'steps:1', dir]);
    assert.equal(cached.match(/ ---> Using cache\n/g)?.length, 14);
    assert.doesNotMatch(cached, /Running in|Removing/);
    assert.equal(s.ok(['ps', '-a', '-q']), before);
  });

  test('FROM scratch: a configuration step says a container too', () => {
    const dir = ctx({ Dockerfile: 'FROM scratch\nENV A=1\nCOPY Dockerfile /\nCMD ["x"]\n' });
    assert.equal(ids(s.ok(['build', dir])), [
      'Sending build context to Docker daemon  2.048kB', 'Step 1/4 : FROM scratch', ' ---> ', 'Step 2/4 : ENV A=1', ' ---> Running in <id>',
      'Removing intermediate container <id>', ' ---> <id>', 'Step 3/4 : COPY Dockerfile /', ' ---> <id>', 'Step 4/4 : CMD ["x"]', ' ---> Running in <id>',
      'Removing intermediate container <id>', ' ---> <id>', 'Successfully built <id>', '',
    ].join('\n'));
  });

  test('the cache reads a context file again when its bytes change, even with the same size, mode and mtime', async () => {
    const dir = ctx({ 'a.txt': 'memo one\n', Dockerfile: 'FROM busybox:latest\nCOPY a.txt /a.txt\nCMD ["cat", "/a.txt"]\n' });
    const file = join(dir, 'a.txt');
    utimesSync(file, 1000, 1000);
    // Older than a second, so the build may keep its digest by its stat (a younger file is read every time).
    await new Promise((r) => setTimeout(r, 1100));
    s.ok(['build', '-t', 'memo:1', dir]);
    assert.match(s.ok(['build', '-t', 'memo:1', dir]), /COPY a.txt \/a.txt\n ---> Using cache\n/);
    writeFileSync(file, 'memo two\n');
    utimesSync(file, 1000, 1000);
    const changed = s.ok(['build', '-t', 'memo:2', dir]);
    assert.doesNotMatch(changed, /Using cache/);
    assert.equal(s.ok(['run', '--rm', 'memo:2']), 'memo two\n');
  });

  test('stages: COPY --from a stage and an image, --target stops at a stage', () => {
    const dir = ctx({ Dockerfile: [
      'FROM busybox:latest AS builder', 'RUN echo built > /artifact', 'FROM busybox:latest AS unused', 'RUN echo unused',
      'FROM busybox:latest', 'COPY --from=builder /artifact /from-stage', 'COPY --from=0 /artifact /from-index',
      'COPY --from=busybox:latest /etc/group /from-image', 'CMD cat /from-stage /from-index /from-image', '',
    ].join('\n') });
    const out = s.ok(['build', '-t', 'stages:1', dir]);
    assert.match(out, /Step 9\/9 : CMD/);
    assert.equal(s.ok(['run', '--rm', 'stages:1']).split('\n').slice(0, 2).join('\n'), 'built\nbuilt');
    const target = s.ok(['build', '--target', 'builder', '-t', 'stages:builder', dir]);
    assert.match(target, /Step 2\/2 : RUN echo built/);
    assert.equal(s.ok(['run', '--rm', 'stages:builder', 'cat', '/artifact']), 'built\n');
    const missing = s.run(['build', '--target', 'nosuch', dir]);
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr, 'Error: failed to reach build target nosuch in Dockerfile\n');
  });

  test('ARG and ENV: substitution where Docker makes it, --build-arg, the RUN history line, unused args', () => {
    const dir = ctx({ Dockerfile: [
      'ARG TAG=latest', 'FROM busybox:${TAG}', 'ARG WHO=nobody', 'ENV GREETING="hello ${WHO}" EMPTY=${NOPE:+x} DEF=${NOPE:-dflt}',
      'LABEL who=$WHO', 'WORKDIR /w/${WHO}', 'RUN echo "$GREETING|$EMPTY|$DEF|$WHO" > out', 'CMD cat out', '',
    ].join('\n') });
    const out = s.ok(['build', '--build-arg', 'WHO=you', '--build-arg', 'EXTRA=1', '-t', 'args:1', dir]);
    assert.match(out, /\[Warning\] One or more build-args \[EXTRA\] were not consumed\n/);
    assert.equal(s.ok(['run', '--rm', 'args:1']), 'hello you||dflt|you\n');
    assert.equal(s.ok(['inspect', '-f', '{{.Config.WorkingDir}} {{index .Config.Labels "who"}}', 'args:1']), '/w/you you\n');
    const history = s.ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'args:1']).split('\n');
    assert.equal(history[1], '|1 WHO=you /bin/sh -c echo "$GREETING|$EMPTY|$DEF|$WHO" > out');
    assert.equal(history[4], '/bin/sh -c #(nop)  ENV GREETING=hello you EMPTY= DEF=dflt');
    assert.equal(history[5], '/bin/sh -c #(nop)  ARG WHO=nobody');
    // The same build args: all from the cache; another value: the RUN (and what follows) runs again.
    assert.equal(s.ok(['build', '--build-arg', 'WHO=you', dir]).match(/Using cache/g)?.length, 6);
    const other = s.ok(['build', '--build-arg', 'WHO=me', '-t', 'args:2', dir]);
    assert.doesNotMatch(other, /RUN echo[^\n]*\n ---> Using cache/);
    assert.equal(s.ok(['run', '--rm', 'args:2']), 'hello me||dflt|me\n');
  });

  test('VOLUME: what a later RUN writes there is not in the image, as in Docker', () => {
    const dir = ctx({ Dockerfile: 'FROM busybox:latest\nRUN mkdir /data && echo kept > /data/before\nVOLUME /data\nRUN echo lost > /data/after\nCMD ls /data\n' });
    s.ok(['build', '-t', 'volume:1', dir]);
    // The RUN's anonymous volume went with its container.
    assert.equal(s.ok(['volume', 'ls', '-q']), '');
    assert.equal(s.ok(['run', '--rm', 'volume:1']), 'before\n');
  });

  test('.dockerignore: patterns, exceptions and **; the context size counts what is sent', () => {
    const dir = ctx({
      '.dockerignore': '# comment\n*.log\nsecret/\n**/tmp\n!keep.log\n', 'a.log': 'x', 'keep.log': 'k', 'secret/key': 's',
      'src/tmp': 't', 'src/main.c': 'c', Dockerfile: 'FROM busybox:latest\nCOPY . /ctx\n',
    });
    s.ok(['build', '-t', 'ignore:1', dir]);
    const listed = s.ok(['run', '--rm', 'ignore:1', 'find', '/ctx']).trim().split('\n').sort();
    assert.deepEqual(listed, ['/ctx', '/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/keep.log', '/ctx/src', '/ctx/src/main.c']);
  });

  test('a context listed for its size (no -q) and one not listed (-q) give COPY the same digest: each build hits the other\'s cache', () => {
    const dir = ctx({
      '.dockerignore': 'skip\n*.tmp\n', 'app/a.txt': 'a', 'app/sub/b.txt': 'b', 'app/x.tmp': 'x', 'skip/c.txt': 'c',
      Dockerfile: 'FROM busybox:latest\nCOPY app /app\nCOPY . /all\n',
    });
    symlinkSync('a.txt', join(dir, 'app', 'link'));
    const quiet = s.ok(['build', '-q', '-t', 'listed:1', dir]).trim();
    const listed = s.ok(['build', '-t', 'listed:2', dir]);
    // Docker 20.10's figure for this context (`*.tmp` is the top level's only; skip/ is not sent).
    assert.match(listed, /^Sending build context to Docker daemon {2}7\.68kB\n/);
    assert.equal(listed.match(/ ---> Using cache\n/g)?.length, 2);
    assert.match(listed, new RegExp(`^Successfully built ${quiet.slice(7, 19)}$`, 'm'));
    writeFileSync(join(dir, 'app', 'sub', 'b.txt'), 'B');
    const changed = s.ok(['build', '-t', 'listed:3', dir]);
    assert.equal(changed.match(/Using cache/g), null);
    assert.equal(s.ok(['build', '-q', '-t', 'listed:4', dir]), s.ok(['images', '-q', '--no-trunc', 'listed:3']));
    const files = s.ok(['run', '--rm', 'listed:3', 'find', '/app', '/all', '-type', 'f']).trim().split('\n').sort();
    assert.deepEqual(files, ['/all/.dockerignore', '/all/Dockerfile', '/all/app/a.txt', '/all/app/sub/b.txt', '/all/app/x.tmp', '/app/a.txt', '/app/sub/b.txt', '/app/x.tmp']);
  });

  test('USER and WORKDIR take effect in later RUNs; COPY --chown by name; files from the context belong to root', () => {
    const dir = ctx({ 'f.txt': 'f', Dockerfile: [
      'FROM busybox:latest', 'COPY f.txt /root-owned', 'COPY --chown=app:staff f.txt /app-owned', 'COPY --chown=app f.txt /app-only',
      'WORKDIR /home/app/work', 'USER app', 'RUN id -u > /tmp/uid; pwd > /tmp/cwd', 'USER root',
      'CMD stat -c "%n %u:%g" /root-owned /app-owned /app-only /home/app/work /tmp/uid && cat /tmp/uid /tmp/cwd', '',
    ].join('\n') });
    execFileSync('chown', ['4321:4321', join(dir, 'f.txt')]);
    s.ok(['build', '-t', 'user:1', dir]);
    assert.equal(s.ok(['run', '--rm', 'user:1']), '/root-owned 0:0\n/app-owned 1000:50\n/app-only 1000:1000\n/home/app/work 0:0\n/tmp/uid 1000:1000\n1000\n/home/app/work\n');
  });

  test('ADD of a local tar unpacks it (gzip too)', () => {
    const src = mkdtempSync(join(tmpdir(), 'strata-build-tar-'));
    dirs.push(src);
    writeFileSync(join(src, 'inside.txt'), 'from the tar\n');
    const dir = ctx({ Dockerfile: 'FROM busybox:latest\nADD plain.tar /plain/\nADD packed.tgz /packed\nADD notatar.txt /n/\n', 'notatar.txt': 'n' });
    writeFileSync(join(dir, 'plain.tar'), tarOf(src));
    writeFileSync(join(dir, 'packed.tgz'), tarOf(src, { gzip: true }));
    s.ok(['build', '-t', 'add:1', dir]);
    assert.equal(s.ok(['run', '--rm', 'add:1', 'cat', '/plain/inside.txt', '/packed/inside.txt', '/n/notatar.txt']), 'from the tar\nfrom the tar\nn');
  });

  test('ADD of a URL: downloaded on every build, named from the URL, mode 0600, Last-Modified, never unpacked; Docker\'s errors', async () => {
    const src = mkdtempSync(join(tmpdir(), 'strata-build-url-'));
    dirs.push(src);
    writeFileSync(join(src, 'inside.txt'), 'from the tar\n');
    const served: Record<string, { body: string | Buffer; modified?: string }> = {
      '/files/hello.txt': { body: 'hello\n', modified: 'Thu, 02 Jan 2020 03:04:05 GMT' },
      '/files/arch.tgz': { body: tarOf(src, { gzip: true }), modified: 'Thu, 02 Jan 2020 03:04:05 GMT' },
      '/': { body: 'index\n' },
    };
    let requests = 0;
    const server = Bun.serve({
      hostname: '127.0.0.1', port: 0,
      fetch(req) {
        requests++;
        const file = served[new URL(req.url).pathname];
        if (!file) return new Response('  not here\n', { status: 404 });
        return new Response(new Uint8Array(Buffer.from(file.body)), { headers: file.modified ? { 'Last-Modified': file.modified } : {} });
      },
    });
    // A port nothing listens on: one the system gave and took back.
    const closed = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') });
    const closedPort = closed.port;
    closed.stop(true);
    // The server answers in this process: the CLI runs beside it, not in a blocking spawnSync.
    const build = async (args: string[]) => {
      const p = s.spawn(['build', ...args]);
      let stdout = '';
      p.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
      const { code, stderr } = await exited(p);
      return { code, stdout, stderr };
    };
    try {
      const base = `http://127.0.0.1:${server.port}`;
      const dir = ctx({ Dockerfile: `FROM busybox:latest\nADD ${base}/files/hello.txt /a/\nADD ${base}/files/arch.tgz /b/\nADD ${base}/ /f\n` });
      const cold = await build(['-t', 'url:1', dir]);
      assert.equal(cold.code, 0, cold.stderr);
      // As Docker's CLI shows it off a terminal: the download's bar left out, a blank line after it.
      assert.match(ids(cold.stdout), new RegExp(`Step 2/4 : ADD ${base}/files/hello.txt /a/\n\n ---> <id>\nStep 3/4`));
      assert.equal(s.ok(['run', '--rm', 'url:1', 'stat', '-c', '%a %u:%g %Y %s %n', '/a/hello.txt', '/b/arch.tgz', '/f']),
        `600 0:0 1577934245 6 /a/hello.txt\n600 0:0 1577934245 ${served['/files/arch.tgz']!.body.length} /b/arch.tgz\n600 0:0 0 6 /f\n`);
      // The history line names the download by its digest, without a kind, as Docker's.
      assert.match(s.ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'url:1']).split('\n')[2]!, /^\/bin\/sh -c #\(nop\) ADD [0-9a-f]{64} in \/a\/ $/);
      // Rebuilt: every URL fetched again, and the same bytes hit the cache.
      const before = requests;
      const warm = await build(['-t', 'url:1', dir]);
      assert.equal(warm.stdout.match(/\n\n ---> Using cache\n/g)?.length, 3);
      assert.equal(requests, before + 3);
      // Other bytes at the same URL: that step runs again.
      served['/files/hello.txt']!.body = 'hello again\n';
      const changed = await build(['-t', 'url:2', dir]);
      assert.match(changed.stdout, /Step 2\/4 : ADD \S+ \/a\/\n\n ---> [0-9a-f]{12}\n/);
      assert.equal(s.ok(['run', '--rm', 'url:2', 'cat', '/a/hello.txt']), 'hello again\n');
      const fails = async (add: string, message: string) => {
        const r = await build([ctx({ Dockerfile: `FROM busybox:latest\nADD ${add}\n` })]);
        assert.equal(r.code, 1, add);
        assert.equal(r.stderr, `${message}\n`);
      };
      await fails(`${base}/gone /g/`, `ADD failed: failed to GET ${base}/gone with status 404 Not Found: not here`);
      await fails(`http://127.0.0.1:${closedPort}/x.txt /h/`, `ADD failed: Get "http://127.0.0.1:${closedPort}/x.txt": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`);
      await fails(`${base}/ /e/`, `ADD failed: cannot determine filename for source ${base}/`);
    } finally {
      server.stop(true);
    }
    assert.equal(s.ok(['system', 'check']), 'No problems found\n');
  });

  test('ONBUILD triggers run in the child build', () => {
    const parent = ctx({ Dockerfile: 'FROM busybox:latest\nONBUILD RUN echo triggered > /t\n' });
    s.ok(['build', '-t', 'onbuild:parent', parent]);
    const child = ctx({ Dockerfile: 'FROM onbuild:parent\nCMD cat /t\n' });
    const out = s.ok(['build', '-t', 'onbuild:child', child]);
    assert.match(ids(out), /Step 1\/2 : FROM onbuild:parent\n# Executing 1 build trigger\n ---> Running in <id>\nRemoving intermediate container <id>\n ---> <id>\nStep 2\/2/);
    assert.equal(s.ok(['run', '--rm', 'onbuild:child']), 'triggered\n');
    assert.equal(s.ok(['inspect', '-f', '{{json .Config.OnBuild}}', 'onbuild:child']), 'null\n');
  });

  test('a context from stdin: a tar, a gzip tar, a Dockerfile alone, -f -; -q prints the ID only; --iidfile', () => {
    const dir = ctx({ 'x.txt': 'x\n', Dockerfile: 'FROM busybox:latest\nCOPY x.txt /\nCMD cat /x.txt\n' });
    const id = s.ok(['build', '-q', '-t', 'stdin:1', '-'], tarOf(dir)).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(s.ok(['build', '-q', '-'], tarOf(dir, { gzip: true })).trim(), id);
    assert.equal(s.ok(['run', '--rm', 'stdin:1']), 'x\n');
    const alone = s.ok(['build', '-t', 'stdin:2', '-'], 'FROM busybox:latest\nCMD echo alone\n');
    assert.match(alone, /Successfully tagged stdin:2\n/);
    const iid = join(dir, 'iid');
    s.ok(['build', '-q', '-f', '-', '--iidfile', iid, dir], 'FROM busybox:latest\nCOPY x.txt /y\n');
    assert.match(readFileSync(iid, 'utf8'), /^sha256:[0-9a-f]{64}$/);
  });

  test('a failing RUN: Docker\'s message, status 1, nothing tagged, its container kept (removed with --force-rm)', () => {
    const dir = ctx({ Dockerfile: 'FROM busybox:latest\nRUN echo out; echo err >&2; exit 3\n' });
    const before = s.ok(['ps', '-a', '-q']);
    const r = s.run(['build', '-t', 'fails:1', dir]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, "The command '/bin/sh -c echo out; echo err >&2; exit 3' returned a non-zero code: 3\n");
    assert.match(r.stdout, /out\n\x1b\[91merr\n\x1b\[0m/);
    assert.equal(s.run(['images', '-q', 'fails:1']).stdout, '');
    const kept = s.ok(['ps', '-a', '-q']);
    assert.notEqual(kept, before);
    assert.equal(s.run(['build', '--force-rm', dir]).status, 1);
    assert.equal(s.ok(['ps', '-a', '-q']), kept);
    assert.equal(s.ok(['system', 'check']), 'No problems found\n');
  });

  test('errors before the build: the Dockerfile\'s line, BuildKit-only syntax, missing sources, a FROM nobody serves', () => {
    const cases: [string, RegExp][] = [
      ['FROM busybox:latest\nBOGUS x\n', /^Error: dockerfile parse error line 2: unknown instruction: BOGUS\n$/],
      ['FROM busybox:latest\nCOPY --bogus=1 a /a\n', /^Error: dockerfile parse error line 2: Unknown flag: bogus\n$/],
      ['FROM busybox:latest\nCOPY a\n', /^Error: dockerfile parse error line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined\n$/],
      ['FROM busybox:latest\nFROM a b\n', /^Error: dockerfile parse error line 2: FROM requires either one or three arguments\n$/],
      ['FROM busybox:latest\nONBUILD ONBUILD RUN x\n', /^Error: dockerfile parse error line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed\n$/],
      ['RUN true\n', /^Error: no build stage in current context\n$/],
      ['FROM busybox:latest\nRUN <<EOF\necho hi\nEOF\n', /^Error: dockerfile parse error line 3: unknown instruction: ECHO\n$/],
      ['FROM busybox:latest\nCOPY --chmod=755 Dockerfile /a\n', /^the --chmod option requires BuildKit. Refer to https:\/\/docs.docker.com\/go\/buildkit\/ to learn how to build images with BuildKit enabled\n$/],
      ['FROM busybox:latest\nRUN --mount=type=cache,target=/x true\n', /^the --mount option requires BuildKit\. /],
      ['FROM busybox:latest\nCOPY nope /x\n', /^COPY failed: file not found in build context or excluded by \.dockerignore: stat nope: file does not exist\n$/],
      ['FROM busybox:latest\nENV A="x\n', /unexpected end of statement while looking for matching double-quote\n$/],
      ['FROM busybox:latest\nENV A=1 B\n', /^failed to parse Dockerfile: Syntax error - can't find = in "B". Must be of the form: name=value\n$/],
    ];
    for (const [dockerfile, error] of cases) {
      const r = s.run(['build', ctx({ Dockerfile: dockerfile })]);
      assert.equal(r.status, 1, dockerfile);
      assert.match(r.stderr, error, dockerfile);
    }
    // A FROM image the store lacks is pulled, here from a registry nobody answers at.
    const pull = s.run(['build', '--pull', ctx({ Dockerfile: 'FROM 127.0.0.1:9/nosuch:1\n' })]);
    assert.equal(pull.status, 1);
    assert.match(pull.stdout, /Step 1\/1 : FROM 127\.0\.0\.1:9\/nosuch:1\n/);
    assert.match(pull.stderr, /127\.0\.0\.1:9\/v2\/.*(refused|Unable to connect)/i);
  });

  test('a comment inside a continuation is skipped, as Docker does; the escape directive', () => {
    const dir = ctx({ Dockerfile: '# escape=`\nFROM busybox:latest\nRUN echo a `\n# a comment\n  b > /out\nCMD cat /out\n' });
    const out = s.ok(['build', '-t', 'escape:1', dir]);
    assert.match(out, /Step 2\/3 : RUN echo a   b > \/out\n/);
    assert.equal(s.ok(['run', '--rm', 'escape:1']), 'a b\n');
  });

  test('killed midway (SIGKILL during a RUN), the next command leaves nothing system check flags', async () => {
    const dir = ctx({ Dockerfile: 'FROM busybox:latest\nRUN echo started; sleep 30\n' });
    const p = s.spawn(['build', dir]);
    await new Promise<void>((resolve) => p.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('started\n')) resolve(); }));
    p.kill('SIGKILL');
    await exited(p);
    s.ok(['ps', '-a']);
    assert.equal(s.ok(['system', 'check']), 'No problems found\n');
  });

  test('SIGINT cancels the build: its container is removed, nothing is tagged', async () => {
    const dir = ctx({ Dockerfile: 'FROM busybox:latest\nRUN echo started; sleep 30\n' });
    const containers = s.ok(['ps', '-a', '-q']);
    const p = s.spawn(['build', '-t', 'cancelled:1', dir]);
    await new Promise<void>((resolve) => p.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('started\n')) resolve(); }));
    p.kill('SIGINT');
    const { code } = await exited(p);
    assert.equal(code, 1);
    assert.equal(s.ok(['ps', '-a', '-q']), containers);
    assert.equal(s.run(['images', '-q', 'cancelled:1']).stdout, '');
    assert.equal(s.ok(['system', 'check']), 'No problems found\n');
  });
});
