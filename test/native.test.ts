/**
 * The native addon is loaded by worker threads too (the commit worker, archive/tarworker.ts), so it keeps
 * no state between calls: threads reading extended attributes at the same moment each get their own
 * file's bytes, whole.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { native } from '../src/native/index.js';

const THREADS = 4;
const ROUNDS = 5_000;

/** Each thread's file carries values of its own letter and length, so a value read for another thread shows. */
const valueOf = (thread: number, attr: number): Buffer => Buffer.alloc(20 + thread * 97 + attr * 13, 65 + thread);

test('threads reading xattrs at once through the addon each get their own file\'s values and names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-native-'));
  try {
    const files: string[] = [];
    for (let t = 0; t <= THREADS; t++) {
      const file = join(dir, `f${t}`);
      writeFileSync(file, '');
      for (let a = 0; a < 3; a++) native.lsetxattr(file, `user.t${t}a${a}`, valueOf(t, a));
      files.push(file);
    }
    // Each thread (and this one, as thread THREADS) counts the reads that were not its own file's.
    const body = `
      const { workerData, parentPort } = require('node:worker_threads');
      const { native } = require(workerData.module);
      const { thread, file, rounds } = workerData;
      const valueOf = ${valueOf.toString()};
      let wrong = 0;
      for (let i = 0; i < rounds; i++) {
        const a = i % 3;
        if (!native.lgetxattr(file, 'user.t' + thread + 'a' + a).equals(valueOf(thread, a))) wrong++;
        const names = native.llistxattr(file).filter((n) => n.startsWith('user.')).sort().join(',');
        if (names !== ['a0', 'a1', 'a2'].map((x) => 'user.t' + thread + x).join(',')) wrong++;
      }
      parentPort.postMessage(wrong);
    `;
    const module = join(import.meta.dir, '../src/native/index.ts');
    const workers = Array.from({ length: THREADS }, (_, t) => new Promise<number>((resolve, reject) => {
      const w = new Worker(body, { eval: true, workerData: { module, thread: t, file: files[t], rounds: ROUNDS } });
      w.once('message', resolve);
      w.once('error', reject);
    }));
    let wrong = 0;
    for (let i = 0; i < ROUNDS; i++) {
      if (!native.lgetxattr(files[THREADS]!, `user.t${THREADS}a${i % 3}`)!.equals(valueOf(THREADS, i % 3))) wrong++;
      if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(await Promise.all(workers), Array(THREADS).fill(0), 'every worker read only its own file');
    assert.equal(wrong, 0, 'the main thread read only its own file');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('syncfs writes back the filesystem of a descriptor, and names the cause when the descriptor is bad', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-syncfs-'));
  try {
    writeFileSync(join(dir, 'f'), 'x'.repeat(1 << 20));
    const fd = openSync(dir, 'r');
    try { native.syncfs(fd); } finally { closeSync(fd); }
    assert.throws(() => native.syncfs(fd), (e: NodeJS.ErrnoException) => e.code === 'EBADF' && /syncfs/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('markTopDir sets the T flag of a directory on ext4 and says false where the filesystem has none (tmpfs)', () => {
  const dirs = [mkdtempSync(join(tmpdir(), 'strata-topdir-')), mkdtempSync('/dev/shm/strata-topdir-')];
  try {
    for (const dir of dirs) {
      const ext = statfsSync(dir).type === 0xef53;
      assert.equal(native.markTopDir(dir), ext, dir);
      assert.equal(native.markTopDir(dir), ext, `${dir}, marked already`);
      if (ext) assert.match(execFileSync('lsattr', ['-d', dir], { encoding: 'utf8' }), /^\S*T\S* /);
    }
    assert.throws(() => native.markTopDir(join(dirs[0]!, 'missing')), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});

/** CRC-64/ISO as Go's hash/crc64 defines it, one bit at a time: the reference the addon's must equal. */
function crc64Reference(data: Buffer, crc = 0n): bigint {
  const mask = (1n << 64n) - 1n;
  let c = ~crc & mask;
  for (const byte of data) {
    c ^= BigInt(byte);
    for (let i = 0; i < 8; i++) c = c & 1n ? (c >> 1n) ^ 0xd800000000000000n : c >> 1n;
  }
  return ~c & mask;
}

test('crc64 is Go\'s crc64.ISO (tar-split\'s file checksum), continued across pieces as from whole', () => {
  assert.equal(native.crc64(0n, Buffer.from('123456789')), 0xb90956c775a41001n); // the catalogue's check value
  const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + (i >> 3)) & 0xff));
  const whole = native.crc64(0n, data);
  assert.equal(whole, crc64Reference(data));
  for (const cut of [0, 1, 7, 8, 63, 64, 1000, 4999, 5000]) {
    assert.equal(native.crc64(native.crc64(0n, data.subarray(0, cut)), data.subarray(cut)), whole, `cut at ${cut}`);
  }
  assert.equal(native.crc64(0n, Buffer.alloc(0)), 0n);
});

test('syncfsAsync settles on the pool thread: resolves for a filesystem, rejects with the errno for a bad descriptor', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-native-'));
  const fd = openSync(dir, 'r');
  try {
    writeFileSync(join(dir, 'f'), 'x');
    assert.equal(await native.syncfsAsync(fd), undefined);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  // Far above any descriptor the process has (a closed one's number may be taken again meanwhile).
  await assert.rejects(native.syncfsAsync(1 << 30), (e: NodeJS.ErrnoException) => e.code === 'EBADF' && e.syscall === 'syncfs');
});
