/**
 * `-u` as Docker resolves it: `name`, `uid`, `uid:gid`, `name:group` (either part a name or a number)
 * looked up in the container's own /etc/passwd and /etc/group, with the supplementary groups that list
 * the user. The files are read inside the rootfs: a symlink among them is followed as if the rootfs were
 * `/`, so no link can make strata read a host file.
 */
import { lstatSync, readFileSync, readlinkSync, closeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { native } from '../native/index.js';

/** The user a container's process runs as (the runtime-spec's process.user, plus the passwd home). */
export interface ResolvedUser {
  uid: number;
  gid: number;
  /** The primary group first, then the groups that list the user (Docker's additionalGids). */
  additionalGids: number[];
  /** The user's home directory from passwd, "/" when the user has no entry. */
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

/** Symlinks followed while resolving one path, as the kernel's MAXSYMLINKS. */
const MAX_LINKS = 40;
const MAX_ID = 2 ** 31 - 1;

/**
 * `path` (absolute, as seen in the container) resolved inside `root`: every symlink is read and followed
 * with `root` as `/`, and ".." never climbs above it. Returns the path relative to root, free of links
 * up to the first component that does not exist. `locate` says where a path relative to the container's
 * `/` is on the host (by default under `root`; `cp` passes one that knows the container's volume mounts).
 */
export function resolveInRoot(root: string, path: string, locate: (rel: string) => string = (rel) => join(root, rel)): string {
  const pending = path.split('/').filter(Boolean);
  const done: string[] = [];
  let links = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') { done.pop(); continue; }
    let isLink: boolean;
    try {
      isLink = lstatSync(locate(join(...done, part))).isSymbolicLink();
    } catch {
      return [...done, part, ...pending].join('/');
    }
    if (!isLink) { done.push(part); continue; }
    if (++links > MAX_LINKS) throw Object.assign(new Error(`${path}: too many levels of symbolic links`), { code: 'ELOOP' });
    const target = readlinkSync(locate(join(...done, part)));
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter(Boolean));
  }
  return done.join('/');
}

/**
 * The contents of the regular file at `path` inside `root`, or null when there is none. The path is
 * resolved with resolveInRoot and then opened without following any symlink, so a link swapped in after
 * the resolution makes the read fail instead of leaving the root.
 */
export function readFileInRoot(root: string, path: string): string | null {
  const rel = resolveInRoot(root, path);
  let dir: number;
  try {
    dir = native.openDirBeneath(root, dirname(rel) === '.' ? '' : dirname(rel));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
  try {
    let fd: number;
    try {
      fd = native.openRegularAt(dir, basename(rel));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    if (fd < 0) return null;
    try {
      return readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } finally {
    closeSync(dir);
  }
}

/** Lines of a colon-separated database (passwd, group), skipping blanks and comments. */
function records(text: string | null): string[][] {
  return (text ?? '').split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.split(':'));
}

function parsePasswd(text: string | null): PasswdEntry[] {
  return records(text).filter((f) => f.length >= 4).map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '' }));
}

function parseGroup(text: string | null): GroupEntry[] {
  return records(text).filter((f) => f.length >= 3).map((f) => ({
    name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean),
  }));
}

/** A decimal id as Docker accepts it, or null when `s` is a name. */
function numericId(s: string): number | null {
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  if (n > MAX_ID) throw new Error(`uids and gids must be in range 0-${MAX_ID}`);
  return n;
}

/**
 * The user `spec` (the image's User or `-u`; "" is root) resolved in the rootfs at `root`, as Docker does
 * (its messages included): a name must have a passwd entry, a number need not; a group named explicitly
 * replaces both the primary group and the supplementary ones.
 */
export function resolveUser(root: string, spec: string): ResolvedUser {
  const colon = spec.indexOf(':');
  const userPart = (colon < 0 ? spec : spec.slice(0, colon)) || '0';
  const groupPart = colon < 0 ? '' : spec.slice(colon + 1);

  const uidArg = numericId(userPart);
  const passwd = parsePasswd(readFileInRoot(root, '/etc/passwd'));
  const entry = passwd.find((p) => (uidArg === null ? p.name === userPart : p.uid === uidArg));
  if (!entry && uidArg === null) throw new Error(`unable to find user ${userPart}: no matching entries in passwd file`);
  const uid = entry ? entry.uid : uidArg!;
  const home = entry?.home || '/';

  const groups = parseGroup(readFileInRoot(root, '/etc/group'));
  if (groupPart) {
    const gidArg = numericId(groupPart);
    const group = groups.find((g) => (gidArg === null ? g.name === groupPart : g.gid === gidArg));
    if (!group && gidArg === null) throw new Error(`unable to find group ${groupPart}: no matching entries in group file`);
    const gid = group ? group.gid : gidArg!;
    return { uid, gid, additionalGids: [gid], home };
  }
  const gid = entry ? entry.gid : 0;
  const supplementary = entry ? groups.filter((g) => g.members.includes(entry.name)).map((g) => g.gid) : [];
  return { uid, gid, additionalGids: [...new Set([gid, ...supplementary])], home };
}
