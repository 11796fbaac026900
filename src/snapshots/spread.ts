/**
 * Each snapshot's directory is the top of a tree of its own: its home is marked so (`chattr +T`), and ext4's
 * allocator then places every new snapshot's inodes in a block group of its choosing, rather than next to
 * the inodes of the snapshot made before it. That matters after a removal: ext4 without a journal will not
 * reuse an inode freed in the last minute, and skips it again on every allocation, so the files of an image
 * pulled or imported right after its predecessor was removed were each created after a scan past thousands
 * of just-freed inodes (0.5-0.7 s of CPU in a pull of a 7,000-file layer, bench/RESULTS.md). Where the
 * filesystem has no such flag nothing changes.
 */
import { native } from '../native/index.js';

/** Homes marked by this process: once each, when its first snapshot is made (commands that make none pay nothing). */
const marked = new Set<string>();

export function spreadSnapshots(home: string): void {
  if (marked.has(home)) return;
  marked.add(home);
  native.markTopDir(home);
}
