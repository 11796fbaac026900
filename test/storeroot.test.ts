/**
 * The store's root directory: reached through a symlink it works like any other and leaves no mount
 * behind; it, blobs/ and strata.db are closed to other users, also when they existed with looser modes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { busyboxRootfs, tarOf } from './lib/rootfs.js';
import { STRATA_BIN, testStore } from './lib/strata.js';

/** Mounts under `dir` (other tests may mount elsewhere meanwhile). */
const mountsUnder = (dir: string): string[] => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir));
const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8);

test('a store root reached through a symlink: every command works and no mount is left behind', () => {
  const real = mkdtempSync(join(tmpdir(), 'strata-real-'));
  const links = mkdtempSync(join(tmpdir(), 'strata-link-'));
  const root = join(links, 'root');
  symlinkSync(real, root);
  const rootfs = busyboxRootfs();
  // No --storage-driver: the first command probes the filesystem with a mount of its own.
  const strata = (args: string[], input?: Buffer): string => {
    const r = spawnSync(STRATA_BIN, ['--root', root, ...args], { input });
    assert.equal(r.status, 0, `strata ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.toString();
  };
  try {
    strata(['import', '-', 'sym:1'], tarOf(rootfs));
    strata(['create', '--name', 'symc', 'sym:1', 'sh']);
    const merged = strata(['mount', 'symc']).trim();
    assert.equal(strata(['mount', 'symc']).trim(), merged, 'a second mount finds the first');
    // /etc/hostname is the init layer's empty placeholder, as in Docker; the image's /etc/passwd reads through.
    assert.equal(readFileSync(join(merged, 'etc/hostname'), 'utf8'), '');
    assert.equal(readFileSync(join(merged, 'etc/passwd'), 'utf8'), 'root:x:0:0:root:/root:/bin/sh\n');
    strata(['unmount', 'symc']);
    strata(['commit', 'symc', 'sym:2']);
    strata(['images']);
    strata(['rm', 'symc']);
    strata(['rmi', 'sym:2', 'sym:1']);
    assert.equal(strata(['system', 'check']).trim(), 'No problems found');
    assert.deepEqual([...mountsUnder(real), ...mountsUnder(links)], [], 'every mount made was unmounted');
  } finally {
    spawnSync('sh', ['-c', `grep -o " ${real}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`]);
    for (const d of [real, links, rootfs]) rmSync(d, { recursive: true, force: true });
  }
});

test('the root, blobs/ and strata.db are not readable by other users, also when they were', () => {
  const s = testStore('vfs');
  try {
    chmodSync(s.root, 0o755);
    s.ok(['images']);
    assert.equal(modeOf(s.root), '700');
    assert.equal(modeOf(join(s.root, 'blobs')), '700');
    assert.equal(modeOf(join(s.root, 'strata.db')), '600');
    const files = ['strata.db', 'strata.db-wal', 'strata.db-shm'].map((f) => join(s.root, f));
    for (const d of ['', 'blobs', 'blobs/sha256']) chmodSync(join(s.root, d), 0o755);
    for (const f of files) if (existsSync(f)) chmodSync(f, 0o644);
    s.ok(['images']);
    assert.equal(modeOf(s.root), '700');
    assert.equal(modeOf(join(s.root, 'blobs')), '700');
    for (const f of files) if (existsSync(f)) assert.equal(modeOf(f), '600', f);
  } finally {
    s.cleanup();
  }
});
