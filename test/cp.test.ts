/**
 * `cp` with `-` (a tar stream on stdout, or from stdin) and `cp` through a container's volume and bind
 * mounts, running or not, as Docker 20.10 does both (checked side by side): the tar's entries are named
 * after the path copied, owners and modes come from the tar, a hostile tar never writes outside the
 * directory it is extracted into, and a path under a mount is the mount's source on the host.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { busyboxUserland } from './lib/bundle.js';
import { tarOf } from './lib/rootfs.js';
import { DRIVERS, testStore, type TestStore } from './lib/strata.js';
import { buildTar } from './lib/tarbuild.js';
import { tarEntries } from './lib/tarread.js';

let rootfs: string;
let image: Buffer;
let host: string;
before(() => {
  rootfs = busyboxUserland();
  mkdirSync(join(rootfs, 'srv/app'), { recursive: true });
  writeFileSync(join(rootfs, 'srv/app/conf'), 'from the image\n');
  image = tarOf(rootfs);
  host = mkdtempSync(join(tmpdir(), 'strata-cp-stream-'));
});
after(() => {
  rmSync(rootfs, { recursive: true, force: true });
  rmSync(host, { recursive: true, force: true });
});

/** `tar tv`'s listing of a tar: "mode uid/gid name" per entry, as GNU tar reads it. */
function listing(tar: Buffer): string[] {
  return execFileSync('tar', ['--numeric-owner', '-tvf', '-'], { input: tar, encoding: 'utf8' }).trim().split('\n')
    .map((l) => { const f = l.split(/\s+/); return `${f[0]} ${f[1]} ${f.slice(5).join(' ')}`; });
}

for (const driver of DRIVERS) {
  describe(`cp on ${driver}`, () => {
    let s: TestStore;
    before(() => {
      s = testStore(driver);
      s.ok(['import', '-c', 'CMD ["sh"]', '-', 'bb:1'], image);
    });
    after(() => {
      for (const id of s.run(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean)) s.run(['rm', '-f', id]);
      s.cleanup();
    });

    test('cp CONTAINER:PATH - writes a tar named after the path (/. as ./, -L as the target, / as /)', () => {
      s.ok(['create', '--name', 'out', 'bb:1']);
      assert.deepEqual(listing(s.okBytes(['cp', 'out:/srv/app/conf', '-'])), ['-rw-r--r-- 0/0 conf']);
      assert.deepEqual(tarEntries(s.okBytes(['cp', 'out:/srv/app/conf', '-'])).map((e) => e.body.toString()), ['from the image\n']);
      assert.deepEqual(listing(s.okBytes(['cp', 'out:/srv', '-'])).map((l) => l.split(' ')[2]), ['srv/', 'srv/app/', 'srv/app/conf']);
      assert.deepEqual(listing(s.okBytes(['cp', 'out:/srv/.', '-'])).map((l) => l.split(' ')[2]), ['./', './app/', './app/conf']);
      assert.deepEqual(listing(s.okBytes(['cp', 'out:/bin/ls', '-'])), ['lrwxrwxrwx 0/0 ls -> /bin/busybox']);
      assert.equal(listing(s.okBytes(['cp', '-L', 'out:/bin/ls', '-']))[0]!.split(' ')[2], 'busybox');
      assert.deepEqual(tarEntries(s.okBytes(['cp', 'out:/', '-'])).slice(0, 2).map((e) => e.name), ['', '/.dockerenv']);
      const missing = s.run(['cp', 'out:/nosuch', '-']);
      assert.deepEqual([missing.status, missing.stdout, missing.stderr], [1, '', 'Error: No such container:path: out:/nosuch\n']);
      s.ok(['rm', 'out']);
    });

    test("cp's refusals are Docker 20.10's: a path ending in / asserts a directory, a missing parent or source is named", () => {
      s.ok(['create', '--name', 'refuse', 'bb:1']);
      const dir = mkdtempSync(join(host, 'refuse-'));
      writeFileSync(join(dir, 'f'), 'host file\n');
      const refused = (args: string[], stderr: string) => {
        const r = s.run(['cp', ...args]);
        assert.deepEqual([r.status, r.stderr], [1, stderr], args.join(' '));
      };
      // Into the container.
      refused([join(dir, 'f'), 'refuse:/srv/app/conf/'], 'Error: no such directory\n');
      refused([join(dir, 'f'), 'refuse:/nodir/'], 'Error: no such directory\n');
      refused([join(dir, 'f'), 'refuse:/nodir/x'], 'Error: No such container:path: refuse:/nodir\n');
      refused([dir, 'refuse:/srv/app/conf'], 'Error: cannot copy directory\n');
      refused([join(dir, 'none'), 'refuse:/srv/'], `Error: lstat ${join(dir, 'none')}: no such file or directory\n`);
      refused([`${join(dir, 'f')}/`, 'refuse:/srv/'], 'Error: not a directory\n');
      refused([`${join(dir, 'f')}/.`, 'refuse:/srv/'], 'Error: not a directory\n');
      // The file a refused copy named is as it was.
      assert.equal(s.okBytes(['cp', 'refuse:/srv/app/conf', '-']).includes('from the image\n'), true);
      // Out of it.
      refused(['refuse:/srv/app/conf', `${join(dir, 'f')}/`], `Error: stat ${join(dir, 'f')}/: not a directory\n`);
      refused(['refuse:/srv/app/conf', join(dir, 'nodir') + '/'], 'Error: no such directory\n');
      refused(['refuse:/srv/app/conf', join(dir, 'nodir', 'x')], `Error: invalid output path: directory "${join(dir, 'nodir')}" does not exist\n`);
      refused(['refuse:/srv', join(dir, 'f')], 'Error: cannot copy directory\n');
      refused(['refuse:/nosuch', dir], 'Error: No such container:path: refuse:/nosuch\n');
      // A container that is not there is a path the daemon cannot find.
      refused(['nosuch:/etc/motd', dir], 'Error: No such container:path: nosuch:/etc/motd\n');
      refused(['nosuch:/etc/motd', '-'], 'Error: No such container:path: nosuch:/etc/motd\n');
      refused([join(dir, 'f'), 'nosuch:/x'], 'Error: No such container:path: nosuch:/\n');
      refused(['-', 'nosuch:/x'], 'Error: destination "nosuch:/x" must be a directory\n');
      assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'host file\n');
      s.ok(['rm', 'refuse']);
    });

    test('cp - CONTAINER:DIR extracts a tar from stdin with its owners and modes; errors as Docker', () => {
      const src = join(host, `in-${driver}`);
      mkdirSync(join(src, 'd'), { recursive: true });
      writeFileSync(join(src, 'd/f'), 'hi\n', { mode: 0o640 });
      chownSync(join(src, 'd/f'), 1234, 99);
      const tar = execFileSync('tar', ['-C', src, '-cf', '-', 'd']);
      s.ok(['create', '--name', 'in', 'bb:1']);
      s.ok(['cp', '-', 'in:/srv'], tar);
      s.ok(['cp', '-', 'in:/srv/app'], execFileSync('gzip', ['-c'], { input: tar }));
      assert.deepEqual(listing(s.okBytes(['cp', 'in:/srv/d', '-'])), ['drwxr-xr-x 0/0 d/', '-rw-r----- 1234/99 d/f']);
      assert.equal(tarEntries(s.okBytes(['cp', 'in:/srv/app/d/f', '-']))[0]!.body.toString(), 'hi\n');
      // Docker's answers: an empty stream is nothing to do; a destination that is not a directory, or garbage, fails.
      assert.equal(s.run(['cp', '-', 'in:/srv'], '').status, 0);
      const notDir = s.run(['cp', '-', 'in:/srv/app/conf'], tar);
      assert.deepEqual([notDir.status, notDir.stderr], [1, 'Error: destination "in:/srv/app/conf" must be a directory\n']);
      const garbage = s.run(['cp', '-', 'in:/srv'], 'garbage\n');
      assert.equal(garbage.status, 1);
      assert.match(garbage.stderr, /^Error: Error processing tar file: /);
      const both = s.run(['cp', '-', '-']);
      assert.deepEqual([both.status, both.stderr], [1, 'Error: must specify at least one container source\n']);
      s.ok(['rm', 'in']);
    });

    test('cp - CONTAINER:DIR never writes outside DIR: .. entries, links the tar or the container planted', () => {
      const outside = join(host, `escaped-${driver}`);
      s.ok(['run', '--name', 'hostile', 'bb:1', 'sh', '-c', `mkdir /dst; ln -s ${outside} /dst/out; ln -s / /dst/root`]);
      for (const tar of [
        buildTar([{ name: '../../../../../../../../../..' + outside, body: 'x' }]),
        buildTar([{ name: 'out/planted', body: 'x' }]),
        buildTar([{ name: 'link', type: '2', linkname: outside }, { name: 'link/planted', body: 'x' }]),
      ]) {
        assert.equal(s.run(['cp', '-', 'hostile:/dst'], tar).status, 1);
        assert.equal(existsSync(outside), false);
      }
      // A link the container planted at the root is resolved inside it: the files land in the container's /.
      s.ok(['cp', '-', 'hostile:/dst/root'], buildTar([{ name: 'atroot', body: 'in\n' }]));
      assert.equal(existsSync('/atroot'), false);
      assert.equal(tarEntries(s.okBytes(['cp', 'hostile:/atroot', '-']))[0]!.body.toString(), 'in\n');
      s.ok(['rm', 'hostile']);
    });

    test('cp into and out of volumes and binds, stopped and running, as the container sees them; :ro refused', async () => {
      const bind = join(host, `bind-${driver}`);
      mkdirSync(bind);
      writeFileSync(join(bind, 'onhost'), 'host file\n');
      writeFileSync(join(host, 'f'), 'copied\n');
      s.ok(['create', '--name', 'vols', '-v', `cpvol-${driver}:/srv/app`, '-v', `${bind}:/mnt/b`, '-v', `${bind}:/mnt/ro:ro`, 'bb:1', 'sleep', '100']);
      const volume = JSON.parse(s.ok(['volume', 'inspect', `cpvol-${driver}`]))[0].Mountpoint as string;
      // Stopped: the volume's own directory and the bind's source get the files, not the rootfs under them.
      s.ok(['cp', join(host, 'f'), 'vols:/srv/app/']);
      assert.equal(readFileSync(join(volume, 'f'), 'utf8'), 'copied\n');
      assert.equal(s.ok(['cp', 'vols:/mnt/b/onhost', '-']).includes('host file\n'), true);
      s.ok(['cp', '-', 'vols:/mnt/b'], buildTar([{ name: 'fromtar', body: 'tar\n' }]));
      assert.equal(readFileSync(join(bind, 'fromtar'), 'utf8'), 'tar\n');
      for (const args of [[join(host, 'f'), 'vols:/mnt/ro/'], [join(host, 'f'), 'vols:/mnt/ro']]) {
        const ro = s.run(['cp', ...args]);
        assert.deepEqual([ro.status, ro.stderr], [1, 'Error: mounted volume is marked read-only\n']);
      }
      assert.equal(s.run(['cp', '-', 'vols:/mnt/ro'], buildTar([{ name: 'no', body: 'x' }])).status, 1);
      assert.equal(existsSync(join(bind, 'no')), false);
      assert.equal(s.ok(['diff', 'vols']), '');
      // Running: the container reads what cp wrote, and cp reads what it wrote, through the same mounts.
      s.ok(['start', 'vols']);
      assert.equal(s.ok(['exec', 'vols', 'cat', '/srv/app/f', '/mnt/b/fromtar']), 'copied\ntar\n');
      s.ok(['exec', 'vols', 'sh', '-c', 'echo inside > /srv/app/new; echo bound > /mnt/b/new']);
      s.ok(['cp', 'vols:/srv/app/new', join(host, `new-${driver}`)]);
      assert.equal(readFileSync(join(host, `new-${driver}`), 'utf8'), 'inside\n');
      assert.equal(tarEntries(s.okBytes(['cp', 'vols:/mnt/b/new', '-']))[0]!.body.toString(), 'bound\n');
      s.ok(['cp', '-', 'vols:/srv/app'], buildTar([{ name: 'live', body: 'live\n' }]));
      assert.equal(s.ok(['exec', 'vols', 'cat', '/srv/app/live']), 'live\n');
      assert.equal(statSync(join(volume, 'live')).size, 5);
      s.ok(['rm', '-f', 'vols']);
    });
  });
}
