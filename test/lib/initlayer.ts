/** Docker's init layer as a container's tree and export show it (src/engine/initlayer.ts). */

/** The placeholders, and the directories they are made in, whose mtime is the container's creation time. */
export const INIT_PATHS = [
  '.dockerenv', 'dev', 'dev/console', 'dev/pts', 'dev/shm', 'etc', 'etc/hostname', 'etc/hosts', 'etc/mtab', 'etc/resolv.conf', 'proc', 'sys',
];

/** Top-level names the init layer adds to a tree that has none of them. */
export const INIT_TOP = ['.dockerenv', 'dev', 'etc', 'proc', 'sys'];

const INIT = new Set(INIT_PATHS);

/** A tree description without the init layer's entries (for comparing a container's tree with its image's). */
export function withoutInit<T>(tree: Map<string, T>): Map<string, T> {
  return new Map([...tree].filter(([p]) => !INIT.has(p)));
}

/** Tar member names without the init layer's (with or without a trailing slash). */
export const withoutInitNames = (names: string[]): string[] => names.filter((n) => !INIT.has(n.replace(/\/$/, '')));
