/** The blob store: verified ingest and reads, nothing left behind on failure, safe with concurrent writers. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { digestOf, HashingStream } from '../src/content/hashing.js';
import { ContentStore, DigestMismatchError } from '../src/content/index.js';

const sha = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');
/** A stream that hands `bytes` over in small chunks, as a network or decompressor would. */
const chunked = (bytes: Buffer, size = 1000): Readable =>
  Readable.from((function* () {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  })());
const drain = async (r: Readable): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
};

describe('content store', () => {
  let root: string;
  let store: ContentStore;
  const blobsDir = (): string => join(root, 'blobs', 'sha256');
  const leftovers = (): string[] => [...readdirSync(join(root, 'tmp'))];
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'strata-content-'));
    store = new ContentStore(root);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('ingest streams a blob into blobs/sha256/<hex>; get and reader give the bytes back', async () => {
    const bytes = randomBytes(300_000);
    const d = await store.ingest(chunked(bytes), { digest: sha(bytes), size: bytes.length });
    assert.deepEqual(d, { digest: sha(bytes), size: bytes.length });
    assert.deepEqual(readFileSync(join(blobsDir(), sha(bytes).slice(7))), bytes);
    assert.deepEqual(store.get(d.digest), bytes);
    assert.deepEqual(await drain(store.reader(d.digest)), bytes);
    assert.equal(store.has(d.digest), true);
    assert.equal(store.size(d.digest), bytes.length);
    assert.deepEqual(leftovers(), []);
  });

  test('ingest without expectations computes digest and size; ingesting again is a no-op', async () => {
    const bytes = Buffer.from('hello layer');
    const first = await store.ingest(chunked(bytes, 3));
    const second = await store.ingest(chunked(bytes, 5));
    assert.deepEqual(first, { digest: sha(bytes), size: bytes.length });
    assert.deepEqual(second, first);
    assert.equal(readdirSync(blobsDir()).filter((h) => h === sha(bytes).slice(7)).length, 1);
    assert.deepEqual(leftovers(), []);
  });

  test('put stores small JSON under the same rules, idempotently', () => {
    const json = Buffer.from('{"architecture":"amd64","os":"linux"}');
    assert.deepEqual(store.put(json), { digest: sha(json), size: json.length });
    assert.deepEqual(store.put(json), { digest: sha(json), size: json.length });
    assert.deepEqual(store.get(sha(json)), json);
    assert.ok(store.list().includes(sha(json)));
    assert.deepEqual(leftovers(), []);
  });

  test('a wrong digest or size is refused and leaves nothing behind', async () => {
    const bytes = randomBytes(50_000);
    const before = readdirSync(blobsDir()).sort();
    const other = sha(Buffer.from('something else'));
    await assert.rejects(store.ingest(chunked(bytes), { digest: other }), (e: Error) =>
      e instanceof DigestMismatchError && e.message.includes(other) && e.message.includes(sha(bytes)));
    await assert.rejects(store.ingest(chunked(bytes), { size: bytes.length + 1 }), /size mismatch.*expected 50001, got 50000/);
    await assert.rejects(store.ingest(chunked(bytes), { size: 10_000 }), /size mismatch: expected 10000 bytes, got more/);
    assert.deepEqual(readdirSync(blobsDir()).sort(), before);
    assert.deepEqual(leftovers(), []);
  });

  test('a source that fails midway leaves nothing behind', async () => {
    const before = readdirSync(blobsDir()).sort();
    const failing = Readable.from((async function* () {
      yield randomBytes(10_000);
      throw new Error('connection reset');
    })());
    await assert.rejects(store.ingest(failing), /connection reset/);
    assert.deepEqual(readdirSync(blobsDir()).sort(), before);
    assert.deepEqual(leftovers(), []);
  });

  test('a corrupted or truncated blob is detected by get and by reader', async () => {
    const bytes = randomBytes(200_000);
    const { digest } = await store.ingest(chunked(bytes));
    const path = join(blobsDir(), digest.slice(7));
    const flipped = Buffer.from(bytes);
    flipped[123_456] ^= 0xff;
    writeFileSync(path, flipped);
    assert.throws(() => store.get(digest), (e: Error) => e instanceof DigestMismatchError && /is corrupt/.test(e.message));
    await assert.rejects(drain(store.reader(digest)), /is corrupt/);

    writeFileSync(path, bytes);
    const r = store.reader(digest);
    truncateSync(path, 1000);
    // The reader took the size when it was made; the file shrank before its first read.
    await assert.rejects(drain(r), new RegExp(`^Error: blob ${digest} changed while read \\(1000 of 200000 bytes\\)$`));
    assert.throws(() => store.get(digest), /is corrupt/);
    store.remove(digest);
    assert.equal(store.has(digest), false);
    assert.throws(() => store.get(digest), new RegExp(`blob ${digest} not found`));
    assert.throws(() => store.reader(digest), /not found/);
  });

  test('malformed digests are refused before they reach a path', async () => {
    const hostile = [
      '../../etc/passwd', 'sha256:../../../etc/passwd', `sha256:${'A'.repeat(64)}`, `sha512:${'a'.repeat(128)}`,
      `sha256:${'a'.repeat(63)}`, `sha256:${'a'.repeat(64)}/`, `sha256:${'a'.repeat(64)}\n`, '',
    ];
    for (const d of hostile) {
      assert.throws(() => store.has(d), /invalid digest/, d);
      assert.throws(() => store.get(d), /invalid digest/, d);
      assert.throws(() => store.reader(d), /invalid digest/, d);
      assert.throws(() => store.remove(d), /invalid digest/, d);
      await assert.rejects(store.ingest(chunked(Buffer.from('x')), { digest: d }), /invalid digest/, d);
    }
    assert.deepEqual(leftovers(), []);
    assert.equal(existsSync(join(root, 'etc')), false);
  });

  test('two processes ingesting the same blob at once both succeed and leave one whole copy', async () => {
    const bytes = randomBytes(16 << 20);
    const digest = sha(bytes);
    const module = new URL('../src/content/index.js', import.meta.url).href;
    // The children read fd 0 as a file stream, not process.stdin: in a `bun -e` script Bun's
    // process.stdin sometimes never ends after a last chunk that came in pieces (3 children in 30 here
    // spun until killed). strata's own reading of a pipe fed in pieces is tested in runtime.test.ts.
    const script = `
      import { createReadStream } from 'node:fs';
      import { ContentStore } from ${JSON.stringify(module)};
      const d = await new ContentStore(process.argv[1]).ingest(createReadStream('', { fd: 0 }), { digest: process.argv[2] });
      process.stdout.write(d.digest);`;
    const run = (): Promise<{ code: number | null; out: string; err: string }> => new Promise((resolve) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', script, root, digest]);
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d));
      p.stderr.on('data', (d: Buffer) => (err += d));
      p.on('close', (code) => resolve({ code, out, err }));
      // Interleave the writes so both are mid-ingest together.
      const writeAll = async (): Promise<void> => {
        for (let i = 0; i < bytes.length; i += 1 << 20) {
          if (!p.stdin.write(bytes.subarray(i, i + (1 << 20)))) await new Promise((r) => p.stdin.once('drain', r));
          await new Promise((r) => setImmediate(r));
        }
        p.stdin.end();
      };
      void writeAll();
    });
    const results = await Promise.all([run(), run(), run()]);
    for (const r of results) assert.deepEqual({ code: r.code, out: r.out }, { code: 0, out: digest }, r.err);
    assert.deepEqual(store.get(digest), bytes);
    assert.deepEqual(leftovers(), []);
  });
});

describe('the hashing stream (content store, load)', () => {
  test('passes the bytes through unchanged and gives their sha256 and count', async () => {
    const bytes = randomBytes(123_457);
    const hashing = new HashingStream();
    assert.deepEqual(await drain(chunked(bytes).pipe(hashing)), bytes);
    assert.equal(hashing.digest(), sha(bytes));
    assert.equal(hashing.size, bytes.length);
    assert.equal(await digestOf(chunked(bytes)), sha(bytes));
  });

  test('stops a source at the first byte past its limit, and fails at the end when the check says so', async () => {
    await assert.rejects(drain(chunked(randomBytes(5000)).pipe(new HashingStream({ maxBytes: 4999 }))),
      (e: Error) => e instanceof DigestMismatchError && /expected 4999 bytes, got more/.test(e.message));
    const bytes = randomBytes(100);
    await assert.rejects(drain(chunked(bytes).pipe(new HashingStream({ atEnd: (d, n) => new Error(`${d} ${n}`) }))), new RegExp(`${sha(bytes)} 100`));
  });
});

