/**
 * Operation locks. Every open store holds one lock file under `<root>/locks/` with flock(LOCK_EX) for
 * its whole life, and the work it has in progress (pending rows) names that lock. The kernel drops a
 * flock when its holder dies, however it dies, and a flock means the same in every PID namespace (a
 * pid and its start time do not): so a lock that can be taken belongs to a process that is gone, and
 * the work that names it is garbage.
 */
import { closeSync, constants, fstatSync, openSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomId } from '../images/digest.js';
import { LOCK_EX, LOCK_NB, native } from '../native/index.js';

/** Not in fs.constants: child processes (mount, runc, conmon) must not inherit a lock and keep it alive. */
const O_CLOEXEC = 0o2000000;

const LOCK_NAME = /^[a-f0-9]{16}\.lock$/;

/** A lock file held open and flocked; `release` drops it. */
export interface HeldLock {
  readonly name: string;
  release(): void;
}

function held(dir: string, name: string, fd: number): HeldLock {
  return {
    name,
    release() {
      // Unlinked while still held, so nobody can take the name of a lock on its way out.
      try { unlinkSync(join(dir, name)); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
      closeSync(fd);
    },
  };
}

/**
 * A new lock of this process's own. A sweeper may take and unlink a lock file in the moment between its
 * creation and its flock: then the name no longer leads to the locked file, and another name is made.
 */
export function acquireLock(dir: string): HeldLock {
  for (;;) {
    const name = `${randomId().slice(0, 16)}.lock`;
    const path = join(dir, name);
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | O_CLOEXEC, 0o600);
    native.flock(fd, LOCK_EX);
    if (stillNamed(path, fd)) return held(dir, name, fd);
    closeSync(fd);
  }
}

function stillNamed(path: string, fd: number): boolean {
  try {
    return statSync(path).ino === fstatSync(fd).ino;
  } catch {
    return false;
  }
}

/**
 * The lock `name` if its holder is gone: 'gone' when its file no longer exists, 'live' when a process
 * holds it, else the lock, now held by the caller, who finishes the dead holder's work and releases it.
 */
export function takeIfAbandoned(dir: string, name: string): HeldLock | 'live' | 'gone' {
  if (!LOCK_NAME.test(name)) return 'gone';
  let fd: number;
  try {
    fd = openSync(join(dir, name), constants.O_RDWR | O_CLOEXEC);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw e;
  }
  if (!native.flock(fd, LOCK_EX | LOCK_NB)) {
    closeSync(fd);
    return 'live';
  }
  return held(dir, name, fd);
}

/** Names of the lock files in `dir`. */
export function lockNames(dir: string): string[] {
  return readdirSync(dir).filter((n) => LOCK_NAME.test(n));
}
