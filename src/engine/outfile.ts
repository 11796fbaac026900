/**
 * The files `save -o` and `export -o` write (Transfer.saveToFile, Containers.exportToFile): file work
 * through the addon, so it sits below the front ends. The archive goes into an unnamed file (O_TMPFILE) in the
 * target's directory and gets its name only when complete, so a failure or a kill at any point leaves
 * neither a partial file under the name asked for nor a temporary file beside it (an archive can be
 * hundreds of MB). Where the filesystem has no O_TMPFILE, a hidden temporary name is used instead and
 * removed on failure; only there can a kill leave it behind.
 */
import { closeSync, createWriteStream, renameSync, rmSync, statSync, write as fsWrite } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { randomId } from '../images/digest.js';
import { native } from '../native/index.js';
import { OutputPathError, StrataError } from './errors.js';

/** What open(O_TMPFILE) fails with where the filesystem (ENOTSUP) or the kernel (EISDIR) lacks it. */
const NO_TMPFILE = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EISDIR']);

const tempName = (file: string): string => join(dirname(file), `.${basename(file)}.${randomId().slice(0, 12)}.tmp`);

/** The docker CLI's words for an output path whose directory is not there. */
const noDirectory = (file: string): OutputPathError => new OutputPathError(`invalid output path: directory ${JSON.stringify(dirname(file))} does not exist`);

/**
 * The docker CLI's check of an output path: its directory must exist, and what is there already (followed)
 * must be a directory or a regular file, so that a device such as /dev/null is never replaced by the archive.
 */
function checkOutputPath(file: string): void {
  const dir = dirname(file);
  if (!statSync(dir, { throwIfNoEntry: false })) throw noDirectory(file);
  const st = statSync(file, { throwIfNoEntry: false });
  if (st && (st.isCharacterDevice() || st.isBlockDevice())) {
    throw new OutputPathError(`invalid output path: ${JSON.stringify(file)} must be a directory or a regular file: got a device`);
  }
}

/**
 * Write what `produce` streams to `file`, replacing it whole or not at all. The path is checked and the file
 * opened first, so a bad path fails before any work (or mount) starts. Mode 0600, as the docker CLI's.
 */
export async function writeOutputFile(file: string, produce: () => Readable): Promise<void> {
  checkOutputPath(file);
  const path = resolve(file);
  let fd: number;
  try {
    fd = native.openTmpfile(dirname(path), 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    // The directory went between the check and the open.
    if (code === 'ENOENT') throw noDirectory(file);
    if (NO_TMPFILE.has(code)) return writeViaTempName(path, produce);
    throw e;
  }
  try {
    await writeAll(fd, produce());
    nameFile(fd, path);
  } finally {
    closeSync(fd);
  }
}

const write = promisify(fsWrite);

/** Copy the stream into fd. Not through a WriteStream: on a write error that closes the fd, even with autoClose off. */
async function writeAll(fd: number, data: Readable): Promise<void> {
  for await (const chunk of data as AsyncIterable<Buffer>) {
    for (let done = 0; done < chunk.length; ) done += (await write(fd, chunk, done, chunk.length - done)).bytesWritten;
  }
}

/** Link the finished unnamed file as `path`; over an existing file, through a temporary name and a rename. */
function nameFile(fd: number, path: string): void {
  try {
    native.linkFd(fd, path);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const tmp = tempName(path);
  native.linkFd(fd, tmp);
  try {
    rename(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** The finished file's rename over `path`; onto a directory it fails as Go's os.Rename says it (the docker CLI's). */
function rename(tmp: string, path: string): void {
  try {
    renameSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw new StrataError(`rename ${tmp} ${path}: file exists`);
    throw e;
  }
}

async function writeViaTempName(path: string, produce: () => Readable): Promise<void> {
  const tmp = tempName(path);
  try {
    await pipeline(produce(), createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
    rename(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}
