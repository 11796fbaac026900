/** Opening the files commands read (import, load). */
import { createReadStream, fstatSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../engine/errors.js';

/** Layers stream through in large chunks: fewer trips through the event loop per megabyte. */
const CHUNK = 4 << 20;

/** An input file, opened before any work starts, so a wrong name is a clear error; "-" is stdin. */
export async function openInput(file: string): Promise<Readable> {
  if (file === '-') {
    // A redirected file reads best in large chunks; a pipe best through Node's own pipe handle.
    return fstatSync(0).isFile() ? createReadStream('', { fd: 0, highWaterMark: CHUNK, autoClose: false }) : process.stdin;
  }
  const stream = createReadStream(file, { highWaterMark: CHUNK });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (err: NodeJS.ErrnoException) => reject(new InvalidArgumentError(err.code === 'ENOENT' ? `open ${file}: no such file or directory` : err.message)));
  });
  return stream;
}
