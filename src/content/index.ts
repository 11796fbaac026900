/**
 * The content-addressable blob store: `blobs/sha256/<hex>`. Ingest writes to tmp/ while hashing, fsyncs
 * and renames into place, so a blob is either whole and verified or absent. Reads verify size and digest.
 */
import { closeSync, createReadStream, createWriteStream, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { randomId, sha256 } from '../images/digest.js';
import { DigestMismatchError } from './errors.js';

export { DigestMismatchError } from './errors.js';

/**
 * Streams (node:stream and the hashing stream) are loaded when a blob is streamed, not at start: most
 * commands only read small blobs (configs), and loading Bun's stream classes costs a short command about
 * 5 ms (bench/RESULTS.md).
 */
const streaming = () => ({
  ...(require('node:stream') as typeof import('node:stream')),
  ...(require('./hashing.js') as typeof import('./hashing.js')),
  pipelineAsync: (require('node:stream/promises') as typeof import('node:stream/promises')).pipeline,
});

const DIGEST = /^sha256:([a-f0-9]{64})$/;

export interface Descriptor { digest: string; size: number }

/** The hex of a well-formed digest; anything else (a hostile "../x") is refused before it nears a path. */
export function digestHex(digest: string): string {
  const m = DIGEST.exec(digest);
  if (!m) throw new Error(`invalid digest ${JSON.stringify(digest)}: expected sha256:<64 hex>`);
  return m[1]!;
}

export class ContentStore {
  private readonly blobs: string;

  /**
   * `scratch` names a temporary file for an ingest; a store names it after the operation lock of the
   * process (Store.scratchPath), so the next sweep removes it if this process dies.
   */
  constructor(root: string, private readonly scratch: (kind: string) => string = (kind) => join(root, 'tmp', `${kind}-${randomId()}`)) {
    this.blobs = join(root, 'blobs', 'sha256');
    mkdirSync(this.blobs, { recursive: true });
    mkdirSync(join(root, 'tmp'), { recursive: true });
  }

  path(digest: string): string {
    return join(this.blobs, digestHex(digest));
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  /** Store small bytes (configs, manifests). Idempotent. */
  put(bytes: Buffer): Descriptor {
    const digest = sha256(bytes);
    if (this.has(digest)) return { digest, size: bytes.length };
    const tmp = this.scratch('blob');
    try {
      const fd = openSync(tmp, 'wx', 0o644);
      try {
        writeSync(fd, bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.commit(tmp, digest);
    } finally {
      rmSync(tmp, { force: true });
    }
    return { digest, size: bytes.length };
  }

  /** Stream a blob in, hashing as it goes; verifies `expected` and leaves nothing behind on mismatch or error. */
  async ingest(input: Readable, expected: Partial<Descriptor> = {}): Promise<Descriptor> {
    if (expected.digest !== undefined) digestHex(expected.digest);
    const tmp = this.scratch('blob');
    const { HashingStream, pipelineAsync } = streaming();
    // A source that sends more than it announced is cut off as it does, before it can fill the disk.
    const tee = new HashingStream({ maxBytes: expected.size });
    try {
      // Opened here, not by the stream: an async open could create the file after a failure removed it.
      const out = createWriteStream('', { fd: openSync(tmp, 'wx', 0o644) });
      await pipelineAsync(input, tee, out);
      const digest = tee.digest();
      const size = tee.size;
      if (expected.digest !== undefined && expected.digest !== digest) throw new DigestMismatchError(`digest mismatch: expected ${expected.digest}, got ${digest}`);
      if (expected.size !== undefined && expected.size !== size) throw new DigestMismatchError(`size mismatch for ${digest}: expected ${expected.size}, got ${size}`);
      const fd = openSync(tmp, 'r');
      try { fsyncSync(fd); } finally { closeSync(fd); }
      this.commit(tmp, digest);
      return { digest, size };
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /**
   * Take a file whose bytes are known to hash to `digest` (checked by the caller as they were written, as a
   * pull checks a layer's blob while it streams): synced, then renamed into place.
   */
  adopt(file: string, digest: string): void {
    digestHex(digest);
    const fd = openSync(file, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
    this.commit(file, digest);
  }

  /**
   * Put a synced temp file in place. rename() replaces atomically, so two writers of the same blob (other
   * processes included) both succeed and readers see one whole copy or the other; the directory is
   * synced so the name survives a crash.
   */
  private commit(tmp: string, digest: string): void {
    renameSync(tmp, this.path(digest));
    const dir = openSync(this.blobs, 'r');
    try { fsyncSync(dir); } finally { closeSync(dir); }
  }

  /** A small blob's bytes, verified. */
  get(digest: string): Buffer {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.path(digest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`blob ${digest} not found`);
      throw e;
    }
    const actual = sha256(bytes);
    if (actual !== digest) throw new DigestMismatchError(`blob ${digest} is corrupt (its content hashes to ${actual})`);
    return bytes;
  }

  /** Stream a blob; the stream errors at its end if the bytes do not match the digest. */
  reader(digest: string): Readable {
    const path = this.path(digest);
    const size = this.size(digest);
    const { HashingStream, pipeline } = streaming();
    const check = new HashingStream({
      atEnd: (actual, seen) => {
        if (seen !== size) return new DigestMismatchError(`blob ${digest} changed while read (${seen} of ${size} bytes)`);
        return actual === digest ? undefined : new DigestMismatchError(`blob ${digest} is corrupt (its content hashes to ${actual})`);
      },
    });
    // pipeline() destroys the file stream when the consumer gives up early, and forwards read errors.
    return pipeline(createReadStream(path), check, () => {});
  }

  /** Bytes of a stored blob; a clear error when it is absent. */
  size(digest: string): number {
    try {
      return statSync(this.path(digest)).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`blob ${digest} not found`);
      throw e;
    }
  }

  remove(digest: string): void {
    rmSync(this.path(digest), { force: true });
  }

  list(): string[] {
    return readdirSync(this.blobs).filter((h) => /^[a-f0-9]{64}$/.test(h)).map((h) => `sha256:${h}`);
  }
}
