/**
 * The seed scenarios through the real CLI, on both storage drivers: import, the copy-on-write
 * container layer seen through `mount`, `diff`, `commit`, sharing of layers, sizes, and removal.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { diskUsage, snapshotDirs } from './lib/disk.js';
import { busyboxFixture, type BusyboxFixture } from './lib/fixture.js';
import { Engine } from '../src/engine/index.js';
import { DRIVERS, STRATA_BIN, testStore, type TestStore } from './lib/strata.js';

const sha256 = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

for (const driver of DRIVERS) {
  describe(`strata CLI on ${driver}`, () => {
    let fixture: BusyboxFixture;
    let s: TestStore;
    let rootfs: string;
    let tar: Buffer;
    // Every test starts from a new store and makes the state it needs with the steps below, so each
    // one runs alone (--test-name-pattern) as well as with the others.
    beforeEach(() => {
      ({ s, rootfs, tar } = fixture = busyboxFixture(driver));
    });
    afterEach(() => fixture.cleanup());

    /** acme/busybox:1.0 from the busybox tar; returns its ID. */
    const importBase = (): string => s.ok(['import', '-', 'acme/busybox:1.0'], tar).trim();

    /** Container `cow` on acme/busybox:1.0, changed through its mount: one file changed, one added, one deleted. */
    const changeCow = (): string => {
      s.ok(['create', '--name', 'cow', 'acme/busybox:1.0', 'sh']);
      const merged = s.ok(['mount', 'cow']).trim();
      appendFileSync(join(merged, 'etc/passwd'), 'app:x:1000:1000::/home/app:/bin/sh\n');
      writeFileSync(join(merged, 'tmp/new.txt'), 'hello\n');
      unlinkSync(join(merged, 'var/log/app.log'));
      return merged;
    };

    const commitApp = (): string => s.ok(['commit', '-m', 'add app user', '-c', 'CMD ["/bin/sh"]', 'cow', 'acme/app:1.0']).trim();

    /** acme/app:1.0: acme/busybox:1.0 plus cow's changes, committed. */
    const appImage = (): void => {
      importBase();
      changeCow();
      commitApp();
    };

    const fiveContainers = (): void => {
      for (let i = 1; i <= 5; i++) s.ok(['create', '--name', `my_container_${i}`, 'acme/app:1.0']);
    };

    test('import gives the diffID docker computes and lists the image', () => {
      const id = s.ok(['import', '-', 'acme/busybox:1.0'], tar).trim();
      assert.match(id, /^sha256:[a-f0-9]{64}$/);
      assert.equal(s.ok(['inspect', '--format', '{{json .RootFS.Layers}}', 'acme/busybox:1.0']).trim(), JSON.stringify([sha256(tar)]));
      const lines = s.ok(['images']).trimEnd().split('\n');
      assert.match(lines[0]!, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
      assert.match(lines[1]!, new RegExp(`^acme/busybox\\s+1\\.0\\s+${id.slice(7, 19)}\\s+(Less than a second|\\d+ seconds?) ago\\s+\\d`));
      assert.match(s.ok(['history', 'acme/busybox:1.0']), /Imported from -/);
      assert.equal(s.ok(['images', '-q']).trim(), id.slice(7, 19));
    });

    test('the same layer imported again (gzip) is stored once', () => {
      importBase();
      const before = snapshotDirs(s.root, driver).length;
      s.ok(['import', '-', 'acme/busybox:gz'], gzipSync(tar));
      assert.equal(s.ok(['inspect', '-f', '{{index .RootFS.Layers 0}}', 'acme/busybox:gz']).trim(), sha256(tar));
      assert.equal(snapshotDirs(s.root, driver).length, before);
      s.ok(['rmi', 'acme/busybox:gz']);
      assert.ok(s.ok(['inspect', '-f', '{{.Id}}', 'acme/busybox:1.0']).startsWith('sha256:'), 'the other image stays whole');
      assert.equal(snapshotDirs(s.root, driver).length, before);
    });

    test('a container reads through to the image, copies up on write, and diff shows A/C/D', () => {
      importBase();
      const merged = changeCow();
      // /etc/hostname is the init layer's empty placeholder, as in Docker; the image's other files read through.
      assert.equal(readFileSync(join(merged, 'etc/hostname'), 'utf8'), '');
      assert.deepEqual(readFileSync(join(merged, 'bin/busybox')), readFileSync(join(rootfs, 'bin/busybox')));
      assert.equal(s.ok(['diff', 'cow']), [
        'C /etc', 'C /etc/passwd', 'C /tmp', 'A /tmp/new.txt', 'C /var', 'C /var/log', 'D /var/log/app.log', '',
      ].join('\n'));
      if (driver === 'overlay2') {
        const upper = s.ok(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'cow']).trim();
        assert.ok(existsSync(join(upper, 'etc/passwd')), 'the written file is copied up');
        assert.ok(!existsSync(join(upper, 'etc/hostname')), 'an unread-and-unwritten file is not copied up');
        assert.ok(!existsSync(join(upper, 'bin/busybox')), 'the big binary stays in the image layer');
      } else {
        // Docker's key order (its GraphDriverData struct): Data, then Name.
        assert.equal(s.ok(['inspect', '-f', '{{json .GraphDriver}}', 'cow']).trim(), '{"Data":null,"Name":"vfs"}');
      }
      // Nothing the container did changes the image: a second container sees the original files.
      s.ok(['create', '--name', 'other', 'acme/busybox:1.0', 'sh']);
      const other = s.ok(['mount', 'other']).trim();
      assert.equal(readFileSync(join(other, 'etc/passwd'), 'utf8'), 'root:x:0:0:root:/root:/bin/sh\n');
      assert.ok(existsSync(join(other, 'var/log/app.log')));
      s.ok(['rm', '-f', 'other']);
    });

    test('create puts Docker\'s init layer under the container: inspect, export, diff, ps -s, commit, rm', () => {
      importBase();
      const layersOnly = snapshotDirs(s.root, driver);
      s.ok(['create', '--name', 'fresh', 'acme/busybox:1.0', 'sh']);
      const added = snapshotDirs(s.root, driver).filter((d) => !layersOnly.includes(d));
      assert.equal(added.length, 2);
      assert.equal(added[1], `${added[0]}-init`, 'the init layer is named after the container\'s, as Docker\'s');
      if (driver === 'overlay2') {
        const data = JSON.parse(s.ok(['inspect', '-f', '{{json .GraphDriver.Data}}', 'fresh'])) as Record<string, string>;
        const home = join(s.root, 'snapshots', 'overlay2');
        const image = s.ok(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'acme/busybox:1.0']).trim();
        assert.deepEqual(data.LowerDir!.split(':'), [join(home, `${added[0]}-init`, 'diff'), image]);
        assert.equal(data.UpperDir, join(home, added[0]!, 'diff'));
      }
      // As `docker export | tar tv` lists a container's init entries (checked on Docker 20.10).
      const listing = spawnSync('tar', ['tvf', '-'], { input: s.okBytes(['export', 'fresh']) }).stdout.toString().split('\n')
        .map((l) => l.split(/\s+/)).filter((f) => f.length >= 6).map((f) => `${f[0]} ${f[1]} ${f[2]} ${f.slice(5).join(' ')}`);
      for (const entry of [
        '-rwxr-xr-x 0/0 0 .dockerenv', '-rwxr-xr-x 0/0 0 dev/console', 'drwxr-xr-x 0/0 0 dev/pts/', 'drwxr-xr-x 0/0 0 dev/shm/',
        '-rwxr-xr-x 0/0 0 etc/hostname', '-rwxr-xr-x 0/0 0 etc/hosts', 'lrwxrwxrwx 0/0 0 etc/mtab -> /proc/mounts',
        '-rwxr-xr-x 0/0 0 etc/resolv.conf', 'drwxr-xr-x 0/0 0 proc/', 'drwxr-xr-x 0/0 0 sys/',
      ]) assert.ok(listing.includes(entry), `${entry} in\n${listing.join('\n')}`);
      assert.equal(s.ok(['diff', 'fresh']), '');
      assert.match(s.ok(['ps', '-a', '-s', '--filter', 'name=fresh', '--format', '{{.Size}}']), /^0B \(virtual /);
      // A new hard link to an image file: only the new name, as Docker's diff shows it.
      const merged = s.ok(['mount', 'fresh']).trim();
      linkSync(join(merged, 'bin/busybox'), join(merged, 'p2'));
      assert.equal(s.ok(['diff', 'fresh']), 'A /p2\n');
      // commit diffs against the init layer: its entries stay out of the new layer.
      s.ok(['commit', 'fresh', 'acme/fresh:1.0']);
      s.ok(['create', '--name', 'again', 'acme/fresh:1.0']);
      assert.equal(s.ok(['diff', 'again']), '');
      s.ok(['unmount', 'fresh']);
      s.ok(['rm', 'fresh', 'again']);
      s.ok(['rmi', 'acme/fresh:1.0']);
      assert.deepEqual(snapshotDirs(s.root, driver), layersOnly, 'rm removes both snapshots of each container');
      assert.equal(s.ok(['system', 'check']), 'No problems found\n');
      // An init layer whose container is gone (a crash's leftover) is garbage to system check --repair.
      const orphan = `${'cd'.repeat(32)}-init`;
      mkdirSync(join(s.root, 'snapshots', driver, orphan, driver === 'overlay2' ? 'diff/etc' : 'etc'), { recursive: true });
      assert.match(s.run(['system', 'check']).stdout, new RegExp(`snapshot ${orphan} is not referenced`));
      s.ok(['system', 'check', '--repair']);
      assert.deepEqual(snapshotDirs(s.root, driver), layersOnly);
    });

    test('a store named by a relative --root works from its own directory, mounts included', () => {
      // The same store, reached as a path relative to the working directory.
      importBase();
      const run = (args: string[]): string => {
        const r = spawnSync(STRATA_BIN, ['--root', basename(s.root), '--storage-driver', driver, ...args], { cwd: dirname(s.root) });
        assert.equal(r.status, 0, r.stderr.toString());
        return r.stdout.toString();
      };
      run(['create', '--name', 'relative', 'acme/busybox:1.0', 'sh']);
      const merged = run(['mount', 'relative']).trim();
      assert.equal(merged, s.ok(['mount', 'relative']).trim(), 'one absolute path, however the store was named');
      assert.equal(readFileSync(join(merged, 'etc/passwd'), 'utf8'), 'root:x:0:0:root:/root:/bin/sh\n');
      run(['unmount', 'relative']);
      run(['rm', 'relative']);
    });

    test('commit makes one more layer that shares every base layer', () => {
      importBase();
      changeCow();
      const layersBefore = snapshotDirs(s.root, driver).length;
      commitApp();
      const layers = JSON.parse(s.ok(['inspect', '-f', '{{json .RootFS.Layers}}', 'acme/app:1.0'])) as string[];
      assert.equal(layers.length, 2);
      assert.equal(layers[0], sha256(tar));
      assert.equal(snapshotDirs(s.root, driver).length, layersBefore + 1);
      assert.equal(s.ok(['inspect', '-f', '{{json .Config.Cmd}}', 'acme/app:1.0']).trim(), '["/bin/sh"]');
      const history = s.ok(['history', '--format', '{{.CreatedBy}}|{{.Comment}}', 'acme/app:1.0']).trim().split('\n');
      assert.deepEqual(history, ['sh|add app user', '|Imported from -']);
      // The committed layer is an OCI changeset: the deletion is a .wh. entry.
      const saved = s.ok(['create', '--name', 'fromapp', 'acme/app:1.0']);
      assert.ok(saved);
      const merged = s.ok(['mount', 'fromapp']).trim();
      assert.ok(!existsSync(join(merged, 'var/log/app.log')), 'the whiteout re-applies');
      assert.match(readFileSync(join(merged, 'etc/passwd'), 'utf8'), /app:x:1000/);
      assert.equal(readFileSync(join(merged, 'tmp/new.txt'), 'utf8'), 'hello\n');
      assert.equal(s.ok(['diff', 'fromapp']), '');
      s.ok(['rm', '-f', 'fromapp']);
    });

    test('five containers add five thin layers and nothing else', () => {
      appImage();
      const before = snapshotDirs(s.root, driver);
      const usage = diskUsage(join(s.root, 'snapshots'));
      fiveContainers();
      const after = snapshotDirs(s.root, driver);
      // Each container: its writable layer and its init layer.
      assert.equal(after.length, before.length + 10);
      const grown = diskUsage(join(s.root, 'snapshots')) - usage;
      // A container is two snapshots: an overlay2 one costs directories and small files (the init layer's
      // seven directories among them), a vfs one two copies of the image (the init layer's and its own).
      if (driver === 'overlay2') assert.ok(grown < 5 * 128 * 1024, `five overlay containers used ${grown} bytes`);
      else assert.ok(grown < 5 * 2 * 2 * diskUsage(rootfs), `five vfs containers used ${grown} bytes`);
      const ps = s.ok(['ps', '-a', '-s', '--filter', 'name=my_container', '--format', '{{.Names}} {{.Size}}']).trim().split('\n');
      assert.equal(ps.length, 5);
      for (const line of ps) assert.match(line, /^my_container_\d 0B \(virtual \d+(\.\d+)?MB\)$/);
      assert.equal(s.ok(['ps', '-n', '2', '--format', '{{.Names}}']), 'my_container_5\nmy_container_4\n');
      assert.match(s.ok(['history', '-H=false', '--format', '{{.Size}} {{.CreatedSince}}', 'acme/app:1.0']), /^\d+ \d{4}-\d\d-\d\dT/);
      const merged = s.ok(['mount', 'my_container_3']).trim();
      writeFileSync(join(merged, 'tmp/x'), 'x'.repeat(38));
      assert.match(s.ok(['ps', '-a', '-s', '--filter', 'name=my_container_3', '--format', '{{.Size}}']), /^38B \(virtual /);
    });

    test('a container written through its mount shows its new size in ps -s, mounted and after unmount', () => {
      importBase();
      s.ok(['create', '--name', 'sized', 'acme/busybox:1.0', 'sh']);
      const size = (): string => s.ok(['ps', '-a', '-s', '--filter', 'name=sized', '--format', '{{.Size}}']).replace(/ \(virtual .*\)\n$/, '');
      const merged = s.ok(['mount', 'sized']).trim();
      assert.equal(size(), '0B');
      writeFileSync(join(merged, 'tmp/a'), 'a'.repeat(38));
      assert.equal(size(), '38B', 'a size read while mounted is not kept: the layer may change');
      writeFileSync(join(merged, 'tmp/b'), 'b'.repeat(62));
      assert.equal(size(), '100B');
      s.ok(['unmount', 'sized']);
      assert.equal(size(), '100B');
      assert.equal(s.ok(['inspect', '-s', '-f', '{{.SizeRw}}', 'sized']), '100\n');
    });

    test('layers are stored by chainID: sha256 of the parent\'s chainID, a space, and the diffID', () => {
      appImage();
      s.ok(['create', '--name', 'second', 'acme/app:1.0']);
      writeFileSync(join(s.ok(['mount', 'second']).trim(), 'tmp/second'), '2\n');
      s.ok(['commit', 'second', 'acme/app:2.0']);
      const diffIds = JSON.parse(s.ok(['inspect', '-f', '{{json .RootFS.Layers}}', 'acme/app:2.0'])) as string[];
      assert.equal(diffIds.length, 3);
      const chain = [diffIds[0]!];
      for (const d of diffIds.slice(1)) chain.push(sha256(Buffer.from(`${chain.at(-1)} ${d}`)));
      const images = ['acme/app:2.0', 'acme/app:1.0', 'acme/busybox:1.0'].map((r) => s.ok(['inspect', '-f', '{{.Id}}', r]).trim());
      s.ok(['rm', '-f', 'second', 'cow']);
      // rmi names each layer it deletes by its chainID, as Docker does.
      const deleted = ['acme/app:2.0', 'acme/app:1.0', 'acme/busybox:1.0'].flatMap((r) =>
        s.ok(['rmi', r]).split('\n').filter((l) => l.startsWith('Deleted: ')).map((l) => l.slice('Deleted: '.length)));
      assert.deepEqual(deleted, [images[0], chain[2], images[1], chain[1], images[2], chain[0]]);
    });

    test('rmi by a second name only untags; by ID it refuses an image with several names', () => {
      importBase();
      s.ok(['tag', 'acme/busybox:1.0', 'acme/busybox:alias']);
      const id = s.ok(['inspect', '-f', '{{.Id}}', 'acme/busybox:1.0']).trim();
      const r = s.run(['rmi', id.slice(7, 19)]);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `Error: conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories\n`);
      const tagged = s.ok(['inspect', '-f', '{{.Metadata.LastTagTime}}', id]).trim();
      assert.ok(Date.now() - Date.parse(tagged) < 60_000, `LastTagTime ${tagged} is when the alias was made`);
      assert.equal(s.ok(['inspect', '-f', '{{.Metadata.LastTagTime}}', id]).trim(), tagged, 'and stays so');
      assert.equal(s.ok(['rmi', 'acme/busybox:alias']), 'Untagged: acme/busybox:alias\n');
      assert.equal(s.ok(['inspect', '-f', '{{json .RepoTags}}', id]).trim(), '["acme/busybox:1.0"]');
    });

    test('rmi refuses an image a container uses; layers go with their last user', () => {
      appImage();
      fiveContainers();
      const r = s.run(['rmi', 'acme/app:1.0']);
      assert.equal(r.status, 1);
      const oldest = s.ok(['inspect', '-f', '{{.Id}}', 'my_container_1']).slice(0, 12);
      const app = s.ok(['inspect', '-f', '{{.Id}}', 'acme/app:1.0']).slice(7, 19);
      assert.equal(r.stderr, `Error: conflict: unable to remove repository reference "acme/app:1.0" (must force) - container ${oldest} is using its referenced image ${app}\n`);
      for (let i = 1; i <= 5; i++) s.ok(['rm', `my_container_${i}`]);
      const before = snapshotDirs(s.root, driver).length;
      s.ok(['rm', 'cow']);
      assert.equal(snapshotDirs(s.root, driver).length, before - 2, 'rm removes the writable layer and the init layer');
      const out = s.ok(['rmi', 'acme/app:1.0']);
      assert.match(out, /^Untagged: acme\/app:1\.0\nDeleted: sha256:/);
      assert.equal(snapshotDirs(s.root, driver).length, before - 3, 'the committed layer goes, the base stays');
      s.ok(['rmi', 'acme/busybox:1.0']);
      assert.deepEqual(snapshotDirs(s.root, driver), []);
      assert.equal(s.ok(['system', 'check']).trim(), 'No problems found');
    });
  });
}

describe('strata CLI and its surroundings', () => {
  let fixture: BusyboxFixture;
  beforeEach(() => { fixture = busyboxFixture('overlay2'); });
  afterEach(() => fixture.cleanup());

  /** Start strata, read its first chunk of output, then close the pipe as `| head -1` does. */
  const readerGoesAway = (args: string[]): Promise<{ first: string; code: number | null; stderr: string }> =>
    new Promise((resolve) => {
      const p = fixture.s.spawn(args);
      let first = '';
      let stderr = '';
      p.stdout!.once('data', (d: Buffer) => { first = d.toString(); p.stdout!.destroy(); });
      p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('close', (code) => resolve({ first, code, stderr }));
    });

  test('a reader that goes away early ends a long listing or a save quietly, as SIGPIPE ends docker\'s', async () => {
    const { s, tar } = fixture;
    s.ok(['import', '-', 'acme/busybox:1.0'], tar);
    // A listing far longer than a pipe holds: 3000 names, tagged in-process (a CLI call each would take minutes).
    const engine = await Engine.open({ root: s.root, driver: 'overlay2' });
    try {
      for (let i = 0; i < 3000; i++) await engine.images.tag('acme/busybox:1.0', `acme/many:${i}`);
    } finally {
      engine.close();
    }
    assert.ok(s.ok(['images']).length > 150_000, 'the listing is longer than a pipe holds');
    const listing = await readerGoesAway(['images']);
    assert.match(listing.first, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
    assert.equal(listing.stderr, '');
    assert.ok(listing.code === 0 || listing.code === 141, `exit status ${listing.code}`);
    const save = await readerGoesAway(['save', 'acme/busybox:1.0']);
    assert.equal(save.stderr, '');
    assert.ok(save.code === 0 || save.code === 141, `exit status ${save.code}`);
    assert.equal(s.ok(['system', 'check']).trim(), 'No problems found');
  });

  test('the working directory\'s .env and bunfig.toml reach neither strata\'s settings nor its code', () => {
    const { s, tar } = fixture;
    const id = s.ok(['import', '-', 'acme/busybox:1.0'], tar).trim();
    // Bun's executables read both from the working directory by default; strata, run as root anywhere, must not.
    const cwd = mkdtempSync(join(tmpdir(), 'strata-cwd-'));
    try {
      writeFileSync(join(cwd, '.env'), 'STRATA_STORAGE_DRIVER=bogus\n');
      writeFileSync(join(cwd, 'bunfig.toml'), 'preload = ["./preload.js"]\n');
      writeFileSync(join(cwd, 'preload.js'), `require('node:fs').writeFileSync(${JSON.stringify(join(cwd, 'ran'))}, '');\n`);
      const r = spawnSync(STRATA_BIN, ['--root', s.root, 'images', '-q', '--no-trunc'], { cwd });
      assert.equal(r.stderr.toString(), '');
      assert.equal(r.status, 0);
      assert.equal(r.stdout.toString(), `${id}\n`);
      assert.equal(existsSync(join(cwd, 'ran')), false, 'the preload script did not run');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  test('a store under a directory named with , and : uses overlay2 (the mount options hold no part of its name)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-punct-'));
    const root = join(dir, 'a,b:c', 'store');
    const s = testStore('overlay2', root);
    try {
      // The first command probes the driver (no --storage-driver), as a user's first command does.
      const first = spawnSync(STRATA_BIN, ['--root', root, 'import', '-', 'acme/busybox:1.0'], { input: fixture.tar });
      assert.equal(first.status, 0, first.stderr.toString());
      assert.equal(s.ok(['inspect', '-f', '{{.GraphDriver.Name}}', 'acme/busybox:1.0']), 'overlay2\n');
      s.ok(['create', '--name', 'punct', 'acme/busybox:1.0', 'sh']);
      const merged = s.ok(['mount', 'punct']).trim();
      const mountType = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' '))
        .find((f) => f[4] === merged)?.at(-3);
      assert.equal(mountType, 'overlay', `${merged} is an overlay mount`);
      assert.equal(readFileSync(join(merged, 'etc/passwd'), 'utf8'), 'root:x:0:0:root:/root:/bin/sh\n');
      writeFileSync(join(merged, 'tmp/new.txt'), 'hello\n');
      assert.equal(s.ok(['diff', 'punct']), 'C /tmp\nA /tmp/new.txt\n');
      s.ok(['commit', 'punct', 'acme/punct:1.0']);
      s.ok(['create', '--name', 'again', 'acme/punct:1.0', 'sh']);
      assert.equal(readFileSync(join(s.ok(['mount', 'again']).trim(), 'tmp/new.txt'), 'utf8'), 'hello\n');
    } finally {
      s.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
