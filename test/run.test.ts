/**
 * Containers running through the CLI as a user runs them, on real runc and conmon: exit codes as
 * Docker's (0/1/42, 125/126/127), stdout and stderr apart, stdin with -i, a pty with -t, run -d that
 * returns at once, stop/kill/wait/restart, logs, exec, ps STATUS and filters, rm of a running
 * container, --rm, and the next command settling a container whose conmon was killed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Database } from 'bun:sqlite';
import { dockerArchive } from './lib/archive.js';
import { busyboxUserland } from './lib/bundle.js';
import { tarOf } from './lib/rootfs.js';
import { DRIVERS, STRATA_BIN, testStore, type TestStore } from './lib/strata.js';
import { buildTar } from './lib/tarbuild.js';

async function until(what: string, cond: () => boolean, ms = 8000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Whether a process runs (a zombie does not). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Mounts under the store still in the mount table. */
const mountsUnder = (root: string): string[] => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(` ${root}/`));

let rootfs: string;
let tar: Buffer;
before(() => {
  rootfs = busyboxUserland();
  tar = tarOf(rootfs);
});
after(() => rmSync(rootfs, { recursive: true, force: true }));

function store(driver: string): TestStore {
  const s = testStore(driver);
  s.ok(['import', '-c', 'CMD ["sh"]', '-', 'bb:1'], tar);
  return s;
}

for (const driver of DRIVERS) {
  describe(`run on ${driver}`, () => {
    let s: TestStore;
    before(() => { s = store(driver); });
    after(() => {
      for (const id of s.run(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean)) s.run(['rm', '-f', id]);
      s.cleanup();
    });

    test('exit codes as Docker: the process own, 125 for strata, 126 not executable, 127 not found', () => {
      for (const code of [0, 1, 42]) assert.equal(s.run(['run', '--rm', 'bb:1', 'sh', '-c', `exit ${code}`]).status, code);
      const notFound = s.run(['run', '--rm', 'bb:1', 'nosuch']);
      assert.equal(notFound.status, 127);
      assert.match(notFound.stderr, /exec: "nosuch": executable file not found in \$PATH/);
      assert.equal(s.run(['run', 'bb:1', '/etc']).status, 126);
      assert.equal(s.run(['run', '--network', 'bridge', 'bb:1', 'true']).status, 125);
      assert.equal(s.run(['run', 'nosuch:1', 'true']).status, 125);
      // As docker run says them: the program's name, one full stop, and the help line when no container was made.
      const conflict = s.run(['run', '-v', 'a::b', 'bb:1', 'true']);
      assert.deepEqual([conflict.status, conflict.stderr], [125, "strata: invalid mode: b.\nSee 'strata run --help'.\n"]);
      const badName = s.run(['run', 'BAD', 'true']);
      assert.deepEqual([badName.status, badName.stderr], [125, "strata: invalid reference format: repository name (library/BAD) must be lowercase.\nSee 'strata run --help'.\n"]);
      // What Docker's daemon refuses as it makes the container: refused by create (1) and run (125), nothing made.
      const before = s.ok(['ps', '-aq']);
      for (const [flags, message] of [[['-m', '4m'], 'Minimum memory limit allowed is 6MB'], [['--cap-add', 'bogus'], 'invalid CapAdd: unknown capability: "CAP_BOGUS"'],
        [['--stop-signal', 'BOGUS'], 'Invalid signal: BOGUS']] as const) {
        const created = s.run(['create', ...flags, 'bb:1', 'true']);
        assert.deepEqual([created.status, created.stderr], [1, `Error: ${message}\n`], flags.join(' '));
        const ran = s.run(['run', '--rm', ...flags, 'bb:1', 'true']);
        assert.deepEqual([ran.status, ran.stderr], [125, `strata: ${message}.\nSee 'strata run --help'.\n`], flags.join(' '));
      }
      // No bridge network to publish on: -p refused, unless with host networking, where Docker too only warns.
      const published = s.run(['run', '--rm', '-p', '8080:80', 'bb:1', 'true']);
      assert.deepEqual([published.status, published.stderr], [125, "strata: -p, --publish: strata has no bridge network to publish a port on; use --network host, where the container's ports are the host's.\nSee 'strata run --help'.\n"]);
      const hostNet = s.run(['run', '--rm', '--network', 'host', '-p', '8080:80', 'bb:1', 'true']);
      assert.deepEqual([hostNet.status, hostNet.stderr], [0, 'WARNING: Published ports are discarded when using host network mode\n']);
      assert.equal(s.ok(['ps', '-aq']), before);
      // A container that cannot start: start -a fails with 1, restart names it, as Docker's.
      s.ok(['create', '--name', 'nostart', 'bb:1', 'nosuch']);
      const attached = s.run(['start', '-a', 'nostart']);
      assert.deepEqual([attached.status, attached.stderr], [1, 'Error: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown\n']);
      const restarted = s.run(['restart', 'nostart']);
      assert.deepEqual([restarted.status, restarted.stderr], [1, 'Error: Cannot restart container nostart: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown\n']);
      s.ok(['rm', 'nostart']);
      // -d prints the ID as soon as the container is made, then says why it did not start (no help line).
      const detached = s.run(['run', '-d', '--rm', 'bb:1', 'nosuch']);
      assert.equal(detached.status, 127);
      assert.match(detached.stdout, /^[0-9a-f]{64}\n$/);
      assert.match(detached.stderr, /^strata: [^\n]*exec: "nosuch": executable file not found in \$PATH: unknown\.\n$/);
      const restart = s.run(['run', '--restart', 'always', 'bb:1', 'true']);
      assert.equal(restart.status, 125);
      assert.match(restart.stderr, /--restart always is not supported: strata has no daemon/);
      // --rm removed every container, also one that could not start; without it, that one stays Created, as Docker leaves it.
      assert.equal(s.ok(['ps', '-a', '--format', '{{.Command}} {{.Status}} {{.State}}']), '"/etc" Created created\n');
      assert.equal(s.ok(['inspect', '-f', '{{.State.ExitCode}}', s.ok(['ps', '-aq']).trim()]), '126\n');
      // Its State.Error in Docker's daemon's words.
      assert.match(s.ok(['inspect', '-f', '{{.State.Error}}', s.ok(['ps', '-aq']).trim()]), /^failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "\/etc": permission denied: unknown\n$/);
      for (const id of s.ok(['ps', '-aq']).trim().split('\n')) s.ok(['rm', id]);
    });

    test('stdout and stderr stay apart; -i feeds stdin; -t gives one pty', () => {
      const r = s.run(['run', '--rm', 'bb:1', 'sh', '-c', 'echo out; echo err >&2; cat']);
      assert.deepEqual([r.status, r.stdout, r.stderr], [0, 'out\n', 'err\n']);
      assert.equal(s.ok(['run', '--rm', '-i', 'bb:1', 'sh', '-c', 'read a; echo "got $a"'], 'hello\n'), 'got hello\n');
      const t = s.run(['run', '--rm', '-t', 'bb:1', 'sh', '-c', 'tty; echo err >&2']);
      assert.deepEqual([t.status, t.stdout, t.stderr], [0, '/dev/pts/0\r\nerr\r\n', '']);
    });

    test('a container that ran `true` has an empty diff and 0B, and leaves nothing mounted', () => {
      s.ok(['run', '--name', 'noop', 'bb:1', 'true']);
      assert.equal(s.ok(['diff', 'noop']), '');
      assert.match(s.ok(['ps', '-a', '-s', '--filter', 'name=noop', '--format', '{{.Size}}']), /^0B \(virtual /);
      assert.deepEqual(mountsUnder(s.root), []);
      s.ok(['rm', 'noop']);
    });

    test('the init layer over an image\'s odd /etc, /etc/hosts and /proc: what Docker 20.10 shows, and `true` leaves no change', () => {
      // Three images on the busybox layer: /etc 0700 of 1000:1000 with /etc/hosts a symlink and /proc a file;
      // /etc whited out; /etc a symlink. Docker shows each as below (checked side by side with the same archive).
      const config = { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] } };
      s.ok(['load'], dockerArchive([
        { config, repoTags: ['odd:etc700'], layers: [tar, buildTar([
          { name: 'etc/', type: '5', mode: 0o700, uid: 1000, gid: 1000 }, { name: 'etc/hosts', type: '2', linkname: '/etc/elsewhere' },
          { name: 'proc', body: 'a file' }])] },
        { config, repoTags: ['odd:noetc'], layers: [tar, buildTar([{ name: '.wh.etc' }])] },
        { config, repoTags: ['odd:etclink'], layers: [tar, buildTar([
          { name: 'usr/', type: '5' }, { name: 'usr/etc/', type: '5', mode: 0o700 }, { name: 'etc', type: '2', linkname: 'usr/etc' }])] },
      ]));
      const placeholders = ['drwxr-xr-x 0/0 dev/', '-rwxr-xr-x 0/0 dev/console', 'drwxr-xr-x 0/0 dev/pts/', 'drwxr-xr-x 0/0 dev/shm/'];
      const etcFiles = ['-rwxr-xr-x 0/0 etc/hostname', '-rwxr-xr-x 0/0 etc/hosts', 'lrwxrwxrwx 0/0 etc/mtab -> /proc/mounts', '-rwxr-xr-x 0/0 etc/resolv.conf'];
      const expected: Record<string, { inside: string; exported: string[] }> = {
        'odd:etc700': {
          inside: '700 1000:1000 directory\ngroup\nhostname\nhosts\nmtab\npasswd\nresolv.conf\n',
          exported: [...placeholders, 'drwx------ 1000/1000 etc/', '-rw-r--r-- 0/0 etc/group', ...etcFiles.slice(0, 3), '-rw-r--r-- 0/0 etc/passwd', etcFiles[3]!, 'drwxr-xr-x 0/0 proc/'],
        },
        'odd:noetc': { inside: '755 0:0 directory\nhostname\nhosts\nmtab\nresolv.conf\n', exported: [...placeholders, 'drwxr-xr-x 0/0 etc/', ...etcFiles, 'drwxr-xr-x 0/0 proc/'] },
        'odd:etclink': { inside: '755 0:0 directory\nhostname\nhosts\nmtab\nresolv.conf\n', exported: [...placeholders, 'drwxr-xr-x 0/0 etc/', ...etcFiles, 'drwxr-xr-x 0/0 proc/'] },
      };
      for (const [image, want] of Object.entries(expected)) {
        assert.equal(s.ok(['run', '--rm', image, 'sh', '-c', "stat -c '%a %u:%g %F' /etc; ls /etc"]), want.inside, image);
        s.ok(['run', '--name', 'odd', image, 'true']);
        assert.equal(s.ok(['diff', 'odd']), '', image);
        assert.match(s.ok(['ps', '-a', '-s', '--filter', 'name=odd', '--format', '{{.Size}}']), /^0B \(virtual /, image);
        const listing = spawnSync('sh', ['-c', `"${STRATA_BIN}" --root ${s.root} --storage-driver ${driver} export odd | tar -tv --numeric-owner`], { encoding: 'utf8', timeout: 20000 });
        assert.equal(listing.status, 0, listing.stderr);
        const exported = listing.stdout.split('\n').map((l) => l.split(/ +/)).filter((f) => /^(dev|etc|proc)\b/.test(f[5] ?? ''))
          .map((f) => [f[0], f[1], ...f.slice(5)].join(' '));
        assert.deepEqual(exported, want.exported, image);
        s.ok(['rm', 'odd']);
      }
      assert.equal(s.ok(['run', '--rm', 'odd:etclink', 'stat', '-c', '%a %u:%g %F', '/usr/etc']), '700 0:0 directory\n', 'the image\'s directory the symlink named stays');
      s.ok(['rmi', 'odd:etc700', 'odd:noetc', 'odd:etclink']);
    });

    test('run -d returns at once inside $(…); ps says Up, then Exited (code) after stop', async () => {
      const started = Date.now();
      const r = spawnSync('sh', ['-c', `id=$("${STRATA_BIN}" --root ${s.root} --storage-driver ${driver} run -d --name bg bb:1 sh -c 'trap "exit 3" TERM; echo ready; while :; do sleep 0.1; done'); echo "$id"`], { encoding: 'utf8', timeout: 20000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout.trim(), /^[0-9a-f]{64}$/);
      assert.ok(Date.now() - started < 5000);
      assert.match(s.ok(['ps', '--format', '{{.Names}} {{.Status}}']), /^bg Up (Less than a second|\d+ seconds?)\n$/);
      await until('the log line', () => s.ok(['logs', 'bg']) === 'ready\n');
      assert.equal(s.ok(['stop', '-t', '5', 'bg']), 'bg\n');
      assert.match(s.ok(['ps', '-a', '--format', '{{.Status}}']), /^Exited \(3\) (Less than a second|\d+ seconds?) ago\n$/);
      assert.deepEqual(mountsUnder(s.root), []);
      s.ok(['rm', 'bg']);
    });

    test('run --rm in the foreground: nothing left behind, and the store synced while its files go, not after', () => {
      const snapshotsBefore = readdirSync(join(s.root, 'snapshots', driver)).sort();
      const trace = join(s.root, 'run.strace');
      // What the CLI's caller waits for after the container's files are gone is the process's exit alone: the
      // database's syncs (its checkpoint) come before the last of those files is removed, none at the store's close.
      const r = spawnSync('strace', ['-f', '-qq', '-o', trace, '-e', 'trace=fsync,fdatasync,unlinkat,rmdir', STRATA_BIN, '--root', s.root, '--storage-driver', driver,
        'run', '--rm', '--name', 'traced', 'bb:1', 'sh', '-c', 'echo out; exit 3']);
      assert.deepEqual([r.status, r.stdout.toString()], [3, 'out\n']);
      const calls = readFileSync(trace, 'utf8').split('\n');
      // The checkpoint's two syncs (the WAL, the database) are the process's last: they start while its files go.
      const syncs = calls.flatMap((l, i) => (/ f(data)?sync\(/.test(l) ? [i] : []));
      const lastRemoval = calls.map((l) => l.includes(`${s.root}/tmp/`)).lastIndexOf(true);
      assert.ok(syncs.length >= 2 && syncs.at(-2)! < lastRemoval, `the store synced once the container's files were gone:\n${calls.slice(lastRemoval).join('\n')}`);
      rmSync(trace);
      assert.equal(s.ok(['ps', '-aq', '--filter', 'name=traced']), '');
      assert.deepEqual([readdirSync(join(s.root, 'tmp')), readdirSync(join(s.root, 'containers'))], [[], []]);
      assert.deepEqual(readdirSync(join(s.root, 'snapshots', driver)).sort(), snapshotsBefore);
      assert.equal(s.ok(['system', 'check']), 'No problems found\n');
    });
  });
}

describe('container lifecycle', () => {
  let s: TestStore;
  before(() => { s = store(DRIVERS[0]!); });
  after(() => {
    for (const id of s.run(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean)) s.run(['rm', '-f', id]);
    s.cleanup();
  });

  test('stop -t: SIGKILL after the timeout when PID 1 ignores SIGTERM (137)', () => {
    s.ok(['run', '-d', '--name', 'deaf', 'bb:1', 'sleep', '100']);
    const t0 = Date.now();
    s.ok(['stop', '-t', '1', 'deaf']);
    const took = Date.now() - t0;
    assert.ok(took >= 1000 && took < 8000, `stop took ${took} ms`);
    assert.equal(s.ok(['wait', 'deaf']), '137\n');
    assert.equal(s.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}', 'deaf']), 'exited 137 false\n');
  });

  test('kill -s, wait, restart', async () => {
    s.ok(['run', '-d', '--name', 'sig', 'bb:1', 'sh', '-c', 'trap "exit 9" USR1; while :; do sleep 0.1; done']);
    // Give sh the moment it takes to set its trap.
    await new Promise((r) => setTimeout(r, 300));
    // Docker's daemon's signal names and refusals: checked before the container is looked at, a number past Linux's after.
    const told = (args: string[]) => { const r = s.run(args); return [r.status, r.stdout, r.stderr]; };
    assert.deepEqual(told(['kill', '-s', 'bogus', 'sig']), [1, '', 'Error: Invalid signal: bogus\n']);
    assert.deepEqual(told(['kill', '-s', '0', 'sig']), [1, '', 'Error: Invalid signal: 0\n']);
    assert.deepEqual(told(['kill', '-s', 'KILL9', 'nosuch']), [1, '', 'Error: Invalid signal: KILL9\n']);
    assert.deepEqual(told(['kill', '-s', '65', 'sig']), [1, '', 'Error: Cannot kill container: sig: The linux daemon does not support signal 65\n']);
    assert.deepEqual(told(['kill', '-s', 'SIGRTMIN+3', 'sig']), [0, 'sig\n', '']);
    assert.equal(s.ok(['kill', '-s', 'usr1', 'sig']), 'sig\n');
    assert.equal(s.ok(['wait', 'sig']), '9\n');
    assert.match(s.ok(['ps', '-a', '--filter', 'exited=9', '--format', '{{.Names}}']), /^sig\n$/);
    assert.equal(s.ok(['ps', '-a', '--filter', 'exited=8', '-q']), '');
    const kill = s.run(['kill', 'sig']);
    assert.equal(kill.status, 1);
    assert.match(kill.stderr, /^Error: Cannot kill container: sig: Container [0-9a-f]{64} is not running\n$/);
    assert.equal(s.ok(['restart', 'sig']), 'sig\n');
    assert.equal(s.ok(['ps', '--filter', 'status=running', '--format', '{{.Names}}']), 'sig\n');
    s.ok(['kill', 'sig']);
    assert.equal(s.ok(['wait', 'sig']), '137\n');
  });

  test('wait on a container that is not running answers at once with its exit code, as Docker 20.10', () => {
    // Docker's `wait` (condition not-running): 0 for one never started, the start failure's code for one that could not start.
    s.ok(['create', '--name', 'never', 'bb:1', 'sh', '-c', 'exit 3']);
    const t0 = Date.now();
    assert.equal(s.ok(['wait', 'never']), '0\n');
    assert.ok(Date.now() - t0 < 5000);
    s.ok(['create', '--name', 'cannot', 'bb:1', 'nosuch']);
    assert.equal(s.run(['start', 'cannot']).status, 1);
    assert.equal(s.ok(['wait', 'cannot']), '127\n');
    s.ok(['start', 'never']);
    assert.equal(s.ok(['wait', 'never']), '3\n');
    s.ok(['rm', 'never', 'cannot']);
  });

  test('a start and, once settled, its exit are recorded in the container\'s row (no file per container); a store from before keeps its state.json records', () => {
    const id = s.ok(['create', '--name', 'rec', 'bb:1', 'sh', '-c', 'exit 4']).trim();
    s.ok(['create', '--name', 'rec-never', 'bb:1', 'true']);
    s.ok(['start', 'rec']);
    assert.equal(s.ok(['wait', 'rec']), '4\n');
    const stateFile = join(s.root, 'containers', id, 'state.json');
    assert.equal(existsSync(stateFile), false);
    assert.notEqual(s.ok(['inspect', '-f', '{{.State.StartedAt}}', 'rec']), '0001-01-01T00:00:00Z\n');
    // The files Docker names once a container has started (none before), as dockerd's inspect shows them.
    const paths = '{{.ResolvConfPath}}|{{.HostnamePath}}|{{.HostsPath}}|{{.LogPath}}';
    assert.deepEqual(s.ok(['inspect', '-f', paths, 'rec']).trim().split('|'), ['resolv.conf', 'hostname', 'hosts', 'container.log'].map((f) => join(s.root, 'containers', id, f)));
    assert.equal(s.ok(['inspect', '-f', paths, 'rec-never']), '|||\n');
    // A store a strata from before made: the column not there yet, the start in the container's state.json.
    const older = '2020-01-02T03:04:05.123456789Z';
    writeFileSync(stateFile, JSON.stringify({ startedAt: older }));
    const db = new Database(join(s.root, 'strata.db'));
    const version = (db.query('PRAGMA user_version').get() as { user_version: number }).user_version;
    db.exec(`ALTER TABLE containers DROP COLUMN start; PRAGMA user_version = ${version - 1}`);
    db.close();
    assert.equal(s.ok(['inspect', '-f', '{{.State.StartedAt}} {{.State.ExitCode}}', 'rec']), `${older} 4\n`);
    assert.equal(s.ok(['inspect', '-f', '{{.State.Status}} {{.State.StartedAt}}', 'rec-never']), 'created 0001-01-01T00:00:00Z\n');
    // Its next start is recorded in its row, over the file's; once settled, so is its exit: conmon's exit file
    // is not read again (a listing of exited containers reads no file per container).
    s.ok(['start', 'rec']);
    assert.equal(s.ok(['wait', 'rec']), '4\n');
    const settled = s.ok(['inspect', '-f', '{{.State.StartedAt}} {{.State.FinishedAt}} {{.State.ExitCode}}', 'rec']);
    assert.notEqual(settled.split(' ')[0], older);
    rmSync(join(s.root, 'containers', id, 'exits', id));
    assert.equal(s.ok(['inspect', '-f', '{{.State.StartedAt}} {{.State.FinishedAt}} {{.State.ExitCode}}', 'rec']), settled);
    assert.match(s.ok(['ps', '-a', '--filter', 'name=^rec$', '--format', '{{.Status}}']), /^Exited \(4\) /);
    s.ok(['rm', 'rec', 'rec-never']);
  });

  test('logs: --tail reads the end, -t stamps each line, -f follows until exit, streams apart', () => {
    s.ok(['run', '--name', 'talk', 'bb:1', 'sh', '-c', 'for i in 1 2 3 4; do echo line$i; done; echo oops >&2']);
    const all = s.run(['logs', 'talk']);
    assert.deepEqual([all.stdout, all.stderr], ['line1\nline2\nline3\nline4\n', 'oops\n']);
    assert.equal(s.ok(['logs', '--tail', '2', 'talk']), 'line4\n');
    // What is not a whole number of lines, or a negative one, is all of them, as Docker's daemon reads --tail.
    for (const tail of ['x', '-1', '2.5']) assert.equal(s.ok(['logs', '--tail', tail, 'talk']), 'line1\nline2\nline3\nline4\n', tail);
    assert.match(s.ok(['logs', '-t', '--tail', '3', 'talk']), /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line\d\n){2}$/);
    // --details: the log's attributes (none) and a space before each line, after the time with -t.
    assert.equal(s.ok(['logs', '--details', '--tail', '2', 'talk']), ' line4\n');
    assert.match(s.ok(['logs', '-t', '--details', '--tail', '2', 'talk']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z  line4\n$/);
    // A time it cannot read is named by its flag, as Docker's daemon says it.
    for (const flag of ['since', 'until']) {
      const bad = s.run(['logs', `--${flag}`, 'bogus', 'talk']);
      assert.deepEqual([bad.status, bad.stderr], [1, `Error: invalid value for "${flag}": failed to parse value as time or duration: "bogus"\n`]);
    }
    s.ok(['run', '-d', '--name', 'slow', 'bb:1', 'sh', '-c', 'echo a; sleep 1; echo b']);
    const t0 = Date.now();
    assert.equal(s.ok(['logs', '-f', 'slow']), 'a\nb\n');
    assert.ok(Date.now() - t0 >= 500, 'logs -f returned before the process ended');
  });

  test('exec: exit code, -e, --env-file, -w, -u, -i, -d, 126 for a missing command, refused when not running', async () => {
    s.ok(['run', '-d', '--name', 'box', '-e', 'A=1', 'bb:1', 'sleep', '100']);
    assert.equal(s.run(['exec', 'box', 'sh', '-c', 'exit 7']).status, 7);
    assert.equal(s.ok(['exec', '-e', 'B=2', 'box', 'sh', '-c', 'echo $A$B $HOSTNAME']), `12 ${s.ok(['inspect', '-f', '{{.Id}}', 'box']).slice(0, 12)}\n`);
    // -it with a stdin that is no terminal (a pipe here): refused before anything runs or is made, as Docker's CLI.
    const containers = s.ok(['ps', '-aq']);
    for (const args of [['exec', '-it', 'box', 'true'], ['run', '-it', 'bb:1', 'true']]) {
      const r = s.run(args);
      assert.deepEqual([r.status, r.stdout, r.stderr], [1, '', 'the input device is not a TTY\n'], args.join(' '));
    }
    assert.equal(s.ok(['ps', '-aq']), containers);
    // -e NAME with no NAME in the caller's environment unsets it, as Docker's (recorded bare, never given to the runtime).
    assert.equal(s.ok(['exec', '-e', 'A', '-e', 'STRATA_TEST_UNSET', 'box', 'sh', '-c', 'echo ${A-unset} ${STRATA_TEST_UNSET-unset}']), 'unset unset\n');
    assert.equal(s.ok(['run', '--rm', '-e', 'STRATA_TEST_UNSET', 'bb:1', 'sh', '-c', 'echo ${STRATA_TEST_UNSET-unset}']), 'unset\n');
    assert.equal(s.ok(['exec', '-w', '/tmp', '-u', 'app', 'box', 'sh', '-c', 'pwd; id -un; echo $HOME']), '/tmp\napp\n/home/app\n');
    assert.equal(s.ok(['exec', '-i', 'box', 'cat'], 'piped\n'), 'piped\n');
    assert.equal(s.ok(['exec', 'box', 'cat'], 'not read\n'), '');
    assert.equal(s.ok(['exec', '-d', 'box', 'sh', '-c', 'sleep 0.2; touch /tmp/later']), '');
    await until('the detached exec', () => s.run(['exec', 'box', 'test', '-e', '/tmp/later']).status === 0);
    assert.equal(s.run(['exec', 'box', 'nosuch']).status, 126);
    // A user the container does not have: the process cannot start, 126 as Docker's exec.
    const nouser = s.run(['exec', '-u', 'nosuchuser', 'box', 'id']);
    assert.deepEqual([nouser.status, nouser.stderr], [126, 'Error: unable to find user nosuchuser: no matching entries in passwd file\n']);
    assert.match(s.ok(['exec', '--privileged', 'box', 'grep', 'CapEff', '/proc/self/status']), /CapEff:\s+0*1fffeffffff\n/);
    // The runtime's failure in Docker's words (runc's own line comes first: README).
    const nodir = s.run(['exec', '-w', '/nosuch', 'box', 'pwd']);
    assert.equal(nodir.status, 126);
    assert.match(nodir.stderr, /\nError: OCI runtime exec failed: exec failed: unable to start container process: chdir to cwd \("\/nosuch"\) set in config\.json failed: no such file or directory: unknown\n$/);
    // Paused: exec refused naming the container as given; top lists its (frozen) processes, as Docker's.
    s.ok(['pause', 'box']);
    assert.deepEqual([s.run(['exec', 'box', 'true']).status, s.run(['exec', 'box', 'true']).stderr], [1, 'Error: Container box is paused, unpause the container before exec\n']);
    assert.match(s.ok(['top', 'box']), /\n\S+ +\d+ .* sleep 100\n$/);
    s.ok(['rm', '-f', 'box']);
    s.ok(['create', '--name', 'idle', 'bb:1', 'true']);
    const r = s.run(['exec', 'idle', 'true']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Container [0-9a-f]{64} is not running/);
    s.ok(['rm', 'idle']);
  });

  test('ps STATUS: Created, Up, (Paused), Exited; rm refuses a running container, rm -f kills it', () => {
    s.ok(['create', '--name', 'new', 'bb:1', 'true']);
    s.ok(['run', '-d', '--name', 'up', 'bb:1', 'sleep', '100']);
    s.ok(['pause', 'up']);
    const rows = s.ok(['ps', '-a', '--filter', 'name=new', '--filter', 'name=up', '--format', '{{.Names}} {{.Status}}']).trim().split('\n').sort();
    assert.equal(rows[0], 'new Created');
    // Not paused, whatever else it is: said so (Docker's daemon), not that it is not running.
    const notPaused = s.run(['unpause', 'new']);
    assert.match(notPaused.stderr, /^Error: Container [0-9a-f]{64} is not paused\n$/);
    assert.match(rows[1]!, /^up Up (Less than a second|\d+ seconds?) \(Paused\)$/);
    assert.equal(s.ok(['ps', '--filter', 'status=paused', '--format', '{{.Names}}']), 'up\n');
    // A template of the user's own wins over -q, as in Docker's CLI; the table gives way to it.
    assert.equal(s.ok(['ps', '-q', '--filter', 'name=up', '--format', '{{.Names}}']), 'up\n');
    assert.match(s.ok(['ps', '-q', '--filter', 'name=up', '--format', 'table']), /^[0-9a-f]{12}\n$/);
    s.ok(['unpause', 'up']);
    const unmount = s.run(['unmount', 'up']);
    assert.equal(unmount.status, 1);
    assert.match(unmount.stderr, /is running: stop it before unmounting/);
    const rm = s.run(['rm', 'up']);
    assert.equal(rm.status, 1);
    assert.match(rm.stderr, /^Error: You cannot remove a running container [0-9a-f]{64}\. Stop the container before attempting removal or force remove\n$/);
    assert.equal(s.ok(['rm', '-f', 'up']), 'up\n');
    assert.equal(s.run(['ps', '-a', '--filter', 'name=up', '-q']).stdout, '');
    assert.deepEqual(mountsUnder(s.root), []);
    assert.deepEqual(readdirSync(join(s.root, 'runtime')), []);
    s.ok(['rm', 'new']);
  });

  test('the next command settles a container whose conmon was killed: Exited (255), unmounted, no runtime state', () => {
    const id = s.ok(['run', '-d', '--name', 'orphan', 'bb:1', 'sleep', '100']).trim();
    const conmon = Number(readFileSync(join(s.root, 'containers', id, 'conmon.pid'), 'utf8'));
    process.kill(conmon, 'SIGKILL');
    assert.match(s.ok(['ps', '-a', '--filter', 'name=orphan', '--format', '{{.Status}}']), /^Exited \(255\) /);
    assert.deepEqual(mountsUnder(s.root), []);
    assert.equal(existsSync(join(s.root, 'runtime', id)), false);
    assert.equal(s.ok(['rm', 'orphan']), 'orphan\n');
  });

  test('after a simulated reboot (conmon gone, the runtime state wiped) the container is Exited (255) and its process is gone', async () => {
    const id = s.ok(['run', '-d', '--name', 'rebooted', 'bb:1', 'sleep', '100']).trim();
    const dir = join(s.root, 'containers', id);
    const pid = Number(readFileSync(join(dir, 'pidfile'), 'utf8'));
    process.kill(Number(readFileSync(join(dir, 'conmon.pid'), 'utf8')), 'SIGKILL');
    rmSync(join(s.root, 'runtime'), { recursive: true, force: true });
    assert.match(s.ok(['ps', '-a', '--filter', 'name=rebooted', '--format', '{{.Status}}']), /^Exited \(255\) /);
    // Killed through its cgroup: gone, or a zombie until whatever adopted it reaps it.
    await until('the process to die', () => !alive(pid));
    assert.deepEqual(mountsUnder(s.root), []);
    s.ok(['rm', 'rebooted']);
  });

  test('--rm: removed when the process exits, also when detached (conmon runs the removal)', async () => {
    s.ok(['run', '--rm', '--name', 'fg', 'bb:1', 'true']);
    s.ok(['run', '-d', '--rm', '--name', 'bgrm', 'bb:1', 'sh', '-c', 'sleep 0.3']);
    await until('the removal', () => s.ok(['ps', '-a', '--filter', 'name=bgrm', '-q']) === '');
    assert.equal(s.ok(['ps', '-a', '--filter', 'name=fg', '-q']), '');
    // The CLI killed while its --rm container runs: the runtime's poststop hook removes the container when it exits.
    const cli = s.spawn(['run', '--rm', '--name', 'orphanrm', 'bb:1', 'sh', '-c', 'sleep 1']);
    await until('the container', () => s.ok(['ps', '--filter', 'name=orphanrm', '-q']) !== '');
    cli.kill('SIGKILL');
    await until('the removal after the CLI died', () => s.ok(['ps', '-a', '--filter', 'name=orphanrm', '-q']) === '');
    assert.deepEqual(mountsUnder(s.root), []);
  });

  test('run --rm in the foreground without a pty: no conmon, Up in ps, signals to the CLI reach PID 1, stop works, a failed start said once', async () => {
    const script = 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done';
    const fg = async (name: string) => {
      const cli = s.spawn(['run', '--rm', '--name', name, 'bb:1', 'sh', '-c', script]);
      let out = '';
      cli.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      // Bounded: a signal that never arrives fails the test instead of hanging it.
      const closed = new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => { cli.kill('SIGKILL'); reject(new Error(`${name}: the CLI did not exit`)); }, 15000);
        cli.on('close', (code) => { clearTimeout(timer); resolve(code); });
      });
      await until('the container to run', () => out === 'ready\n');
      return { cli, closed, out: () => out };
    };
    const first = await fg('fgrm');
    assert.match(s.ok(['ps', '--filter', 'name=fgrm', '--format', '{{.Status}}']), /^Up /);
    const id = s.ok(['inspect', '-f', '{{.Id}}', 'fgrm']).trim();
    assert.equal(spawnSync('pgrep', ['-f', `conmon.*${id}`]).status, 1, 'no conmon');
    assert.equal(existsSync(join(s.root, 'containers', id, 'container.log')), false);
    const attach = s.run(['attach', 'fgrm']);
    assert.deepEqual([attach.status, attach.stderr.toString()], [1, `Error: You cannot attach to container ${id}: its output goes to the strata run that started it (run --rm without -t)\n`]);
    // Its events as Docker's: `start` while it runs, the exit code in `die`.
    const eventsOf = (of: string) => readFileSync(join(s.root, 'events.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
      .filter((e) => e.Actor?.ID === of).map((e) => `${e.Action}${e.Actor.Attributes.exitCode ? ` ${e.Actor.Attributes.exitCode}` : ''}`);
    const events = () => eventsOf(id);
    assert.deepEqual(events(), ['create', 'start']);
    first.cli.kill('SIGTERM');
    assert.equal(await first.closed, 7);
    assert.equal(first.out(), 'ready\ngot TERM\n');
    assert.deepEqual(events(), ['create', 'start', 'die 7', 'destroy']);
    // Stopped by another command: the CLI exits with the code, and the container is gone.
    const second = await fg('fgstop');
    assert.equal(s.ok(['stop', 'fgstop']), 'fgstop\n');
    assert.equal(await second.closed, 7);
    await until('the removal', () => s.ok(['ps', '-a', '--filter', 'name=fg', '-q']) === '');
    assert.deepEqual(mountsUnder(s.root), []);
    assert.deepEqual(readdirSync(join(s.root, 'runtime')), []);
    // The runtime's own account of a failed start is said once, by strata.
    const failed = s.run(['run', '--rm', 'bb:1', 'nosuch']);
    assert.equal(failed.status, 127);
    assert.equal(failed.stderr, 'strata: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown.\n');
    // A start that failed is no start (Docker reports none): made, then removed; a quick one that ran has its start before its die.
    const made = readFileSync(join(s.root, 'events.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.Action === 'create').map((e) => e.Actor.ID);
    assert.deepEqual(eventsOf(made.at(-1)), ['create', 'destroy']);
    s.ok(['run', '--rm', 'bb:1', 'true']);
    const quick = readFileSync(join(s.root, 'events.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.Action === 'create').at(-1).Actor.ID;
    assert.deepEqual(eventsOf(quick), ['create', 'start', 'die 0', 'destroy']);
  });

  test('--rm: the layer is mounted volatile (no sync at its unmount); after its conmon is killed it still copies out and starts again', () => {
    const volatile = (id: string): boolean => {
      const merged = s.ok(['inspect', '-f', '{{.GraphDriver.Data.MergedDir}}', id]).trim();
      return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === merged && /[ ,]fsync=volatile\b/.test(l));
    };
    const id = s.ok(['run', '-d', '--rm', '--name', 'volatile', 'bb:1', 'sh', '-c', 'echo kept > /kept; sleep 100']).trim();
    const plain = s.ok(['run', '-d', '--name', 'durable', 'bb:1', 'sleep', '100']).trim();
    assert.equal(volatile(id), true);
    assert.equal(volatile(plain), false);
    s.ok(['rm', '-f', plain]);
    // Its supervisor gone, nobody removes it: the kernel's marker of a volatile mount must not lock the layer.
    process.kill(Number(readFileSync(join(s.root, 'containers', id, 'conmon.pid'), 'utf8')), 'SIGKILL');
    assert.match(s.ok(['ps', '-a', '--filter', 'name=volatile', '--format', '{{.Status}}']), /^Exited \(255\) /);
    assert.equal(s.ok(['cp', 'volatile:/kept', '-']).includes('kept\n'), true);
    s.ok(['start', 'volatile']);
    assert.match(s.ok(['ps', '--filter', 'name=volatile', '--format', '{{.Status}}']), /^Up /);
    s.ok(['rm', '-f', 'volatile']);
    assert.deepEqual(mountsUnder(s.root), []);
  });

  test('stats streams a frame a second (screen cleared first, as Docker 20.10), a stopped container as zeros, until interrupted', async () => {
    s.ok(['run', '-d', '--name', 'busy', 'bb:1', 'sh', '-c', 'while :; do :; done']);
    const stats = s.spawn(['stats', 'busy']);
    let out = '';
    stats.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const frames = () => out.split('\x1b[2J\x1b[H').slice(1);
    await until('three frames', () => frames().length >= 3, 15000);
    for (const f of frames()) assert.match(f, /^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS\n[0-9a-f]{12} +busy +/);
    // The first frame has no earlier reading to compare with; the next ones see a busy loop.
    assert.match(frames()[0]!, /busy +0\.00% /);
    const busy = Number(/busy +([\d.]+)% /.exec(frames()[2]!)![1]);
    assert.ok(busy > 10, `CPU ${busy}%`);
    s.ok(['kill', 'busy']);
    await until('a frame of zeros', () => /busy +0\.00% +0B \/ 0B +0\.00% +0B \/ 0B +0B \/ 0B +0\n$/.test(frames().at(-1)!), 15000);
    assert.equal(stats.exitCode, null, 'still streaming');
    stats.kill('SIGINT');
    await new Promise((r) => stats.on('close', r));
    const missing = s.run(['stats', 'nosuch']);
    assert.deepEqual([missing.status, missing.stderr], [1, 'Error: No such container: nosuch\n']);
    s.ok(['rm', 'busy']);
  });

  test('port: no container publishes a port (no bridge network), said as Docker says it', () => {
    s.ok(['create', '--name', 'portless', 'bb:1', 'true']);
    assert.deepEqual([s.run(['port', 'portless']).status, s.ok(['port', 'portless'])], [0, '']);
    const told = (args: string[]) => { const r = s.run(args); return [r.status, r.stdout, r.stderr]; };
    assert.deepEqual(told(['port', 'portless', '80']), [1, '', "Error: No public port '80/tcp' published for portless\n"]);
    assert.deepEqual(told(['container', 'port', 'portless', '53/udp']), [1, '', "Error: No public port '53/udp' published for portless\n"]);
    assert.deepEqual(told(['port', 'portless', 'abc']), [1, '', 'strconv.ParseUint: parsing "abc": invalid syntax\n']);
    assert.deepEqual(told(['port', 'portless', '99999']), [1, '', 'strconv.ParseUint: parsing "99999": value out of range\n']);
    assert.deepEqual(told(['port', 'portless', '81-80']), [1, '', 'Invalid range specified for the Port: 81-80\n']);
    assert.deepEqual(told(['port', 'nosuch', '80']), [1, '', 'Error: No such container: nosuch\n']);
    assert.match(s.run(['port']).stderr, /^"strata port" requires at least 1 and at most 2 arguments\.\nSee 'strata port --help'\.\n\nUsage:  strata port CONTAINER \[PRIVATE_PORT\[\/PROTO\]\]\n/);
    s.ok(['rm', 'portless']);
  });

  test('top, stats --no-stream, attach, rename', async () => {
    s.ok(['run', '-d', '--name', 'watched', 'bb:1', 'sleep', '100']);
    const top = s.ok(['top', 'watched']).split('\n');
    assert.match(top[0]!, /^UID {17}PID {17}PPID {16}C {19}STIME {15}TTY {17}TIME {16}CMD$/);
    assert.match(top[1]!, /^root +\d+ .* sleep 100$/);
    assert.equal(top.length, 3);
    assert.match(s.ok(['top', 'watched', '-o', 'pid,comm']), /^PID {17}COMMAND\n\d+ +sleep\n$/);
    const stats = s.ok(['stats', '--no-stream', 'watched']).split('\n');
    assert.match(stats[0]!, /^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
    assert.match(stats[1]!, /^[0-9a-f]{12} +watched +\d+\.\d\d% +[\d.]+[KM]iB \/ [\d.]+[GM]iB +\d+\.\d\d% +0B \/ 0B +-- +1$/);
    // --format with Docker's fields; {{json .}} has its keys in Go's order.
    assert.equal(s.ok(['stats', '--no-stream', '--format', 'table {{.Container}}\t{{.Name}}\t{{.PIDs}}\t{{.NetIO}}', 'watched']), 'CONTAINER   NAME      PIDS      NET I/O\nwatched     watched   1         0B / 0B\n');
    assert.deepEqual(Object.keys(JSON.parse(s.ok(['stats', '--no-stream', '--format', '{{json .}}', 'watched']))),
      ['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']);
    const badName = s.run(['rename', 'watched', 'bad name']);
    assert.deepEqual([badName.status, badName.stderr], [1, 'Error: Error when allocating new name: Invalid container name (/bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\nError: failed to rename container named watched\n']);
    s.ok(['rename', 'watched', 'seen']);
    assert.equal(s.ok(['ps', '--format', '{{.Names}}']), 'seen\n');
    const attach = s.spawn(['attach', 'seen']);
    const code = new Promise<number | null>((r) => attach.on('close', r));
    await new Promise((r) => setTimeout(r, 500));
    s.ok(['kill', '-s', 'TERM', 'seen']);
    s.ok(['kill', 'seen']);
    assert.equal(await code, 137);
    const stopped = s.run(['attach', 'seen']);
    assert.deepEqual([stopped.status, stopped.stderr], [1, 'Error: You cannot attach to a stopped container, start it first\n']);
  });

  test('cp both ways with Docker\'s path rules; symlinks in the container never lead outside it', () => {
    const host = mkdtempSync(join(tmpdir(), 'strata-cp-'));
    try {
      mkdirSync(join(host, 'src/sub'), { recursive: true });
      writeFileSync(join(host, 'src/a'), 'hi\n');
      writeFileSync(join(host, 'src/sub/b'), 'deep\n');
      s.ok(['run', '--name', 'cpbox', 'bb:1', 'sh', '-c', `ln -s / /evil; ln -s ${host} /tohost; mkdir /data; ln -s /etc /data/etc`]);
      // Into the container through links that name the host's root and the host's own directory: both stay inside.
      s.ok(['cp', join(host, 'src'), 'cpbox:/evil/']);
      // /tohost names the host's directory, which does not exist inside the container.
      assert.equal(s.run(['cp', join(host, 'src/a'), 'cpbox:/tohost/planted']).status, 1);
      assert.equal(existsSync(join(host, 'planted')), false);
      assert.equal(existsSync('/src/sub/b'), false);
      // Out of it: a file, a directory's contents (/.), a link as a link, and followed with -L.
      s.ok(['cp', 'cpbox:/src/sub/b', join(host, 'b.txt')]);
      assert.equal(readFileSync(join(host, 'b.txt'), 'utf8'), 'deep\n');
      s.ok(['cp', `${join(host, 'src')}/.`, 'cpbox:/data']);
      mkdirSync(join(host, 'out'));
      s.ok(['cp', 'cpbox:/data/.', join(host, 'out')]);
      assert.deepEqual(readdirSync(join(host, 'out')).sort(), ['a', 'etc', 'sub']);
      assert.equal(readlinkSync(join(host, 'out/etc')), '/etc');
      s.ok(['cp', '-L', 'cpbox:/data/etc/group', join(host, 'group')]);
      assert.equal(readFileSync(join(host, 'group'), 'utf8'), readFileSync(join(rootfs, 'etc/group'), 'utf8'));
      assert.equal(s.run(['cp', 'cpbox:/tohost/.', join(host, 'viaLink')]).status, 1);
      assert.equal(existsSync(join(host, 'viaLink')), false);
      const missing = s.run(['cp', 'cpbox:/nosuch', host]);
      assert.deepEqual([missing.status, missing.stderr], [1, 'Error: No such container:path: cpbox:/nosuch\n']);
      assert.equal(s.run(['cp', join(host, 'src'), 'cpbox:/data/a']).status, 1);
      assert.deepEqual(mountsUnder(s.root), []);
      // A running container gets the file in its own view.
      s.ok(['run', '-d', '--name', 'cplive', 'bb:1', 'sleep', '100']);
      s.ok(['cp', join(host, 'src/a'), 'cplive:/tmp/']);
      assert.equal(s.ok(['exec', 'cplive', 'cat', '/tmp/a']), 'hi\n');
      assert.equal(s.ok(['exec', 'cplive', 'stat', '-c', '%u:%g', '/tmp/a']), '0:0\n');
      s.ok(['rm', '-f', 'cplive', 'cpbox']);
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  test('inspect: State and HostConfig from the create flags', () => {
    s.ok(['create', '--name', 'cfg', '--read-only', '--network', 'host', '-m', '64m', '--pids-limit', '20', '--cpus', '1.5',
      '--cap-add', 'NET_ADMIN', '--cap-drop', 'MKNOD', '--ulimit', 'nofile=100:200', '--shm-size', '1m', 'bb:1', 'true']);
    const hc = JSON.parse(s.ok(['inspect', '-f', '{{json .HostConfig}}', 'cfg'])) as Record<string, unknown>;
    // --label-file's key=value lines (a bare key skipped, as Docker's CLI does), then -l over them.
    const labelFile = join(s.root, 'labels');
    writeFileSync(labelFile, 'a=1\n# note\nbare\n  c=x y\n');
    const labelled = s.ok(['create', '--label-file', labelFile, '-l', 'a=2', 'bb:1']).trim();
    assert.equal(s.ok(['inspect', '-f', '{{json .Config.Labels}}', labelled]), '{"a":"2","c":"x y"}\n');
    s.ok(['rm', labelled]);
    assert.deepEqual(
      [hc.NetworkMode, hc.ReadonlyRootfs, hc.Memory, hc.PidsLimit, hc.NanoCpus, hc.CapAdd, hc.CapDrop, hc.Ulimits, hc.ShmSize],
      ['host', true, 64 * 1024 * 1024, 20, 1_500_000_000, ['CAP_NET_ADMIN'], ['CAP_MKNOD'], [{ Name: 'nofile', Hard: 200, Soft: 100 }], 1024 * 1024]);
    assert.equal(s.ok(['inspect', '-f', '{{.State.Status}} {{.State.StartedAt}}', 'cfg']), 'created 0001-01-01T00:00:00Z\n');
    s.ok(['start', 'cfg']);
    s.ok(['wait', 'cfg']);
    const state = JSON.parse(s.ok(['inspect', '-f', '{{json .State}}', 'cfg'])) as Record<string, unknown>;
    assert.equal(state.Status, 'exited');
    assert.ok(Date.parse(state.FinishedAt as string) >= Date.parse(state.StartedAt as string));
    // Go's RFC3339Nano, as Docker prints State times: up to nine fraction digits, no trailing zero, finer than milliseconds.
    for (const t of [state.StartedAt, state.FinishedAt] as string[]) assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?Z$/);
    assert.ok([state.StartedAt, state.FinishedAt].some((t) => /\.\d{4,9}Z$/.test(t as string)), `${state.StartedAt} ${state.FinishedAt}`);
    // Created too, finer than the millisecond (three containers: each has a one-in-a-thousand chance of a whole millisecond).
    const created = s.ok(['inspect', '-f', '{{.Created}}', 'cfg']).trim();
    assert.ok(Date.parse(created) <= Date.parse(state.StartedAt as string), `${created} ${state.StartedAt}`);
    const more = [1, 2].map(() => s.ok(['create', 'bb:1']).trim());
    const times = [created, ...more.map((id) => s.ok(['inspect', '-f', '{{.Created}}', id]).trim())];
    for (const t of times) assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?Z$/);
    assert.ok(times.some((t) => /\.\d{4,9}Z$/.test(t)), times.join(' '));
    s.ok(['rm', ...more]);
    s.ok(['rm', 'cfg']);
  });
});
