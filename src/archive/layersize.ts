/**
 * A layer's size as Docker's overlay2 driver reports it: after applying a layer it measures the layer's
 * directory (its `directory.Size`): the apparent size of every entry but directories, each inode once.
 * So a symlink counts the length of its target, a hard link adds nothing to the file it names, devices,
 * FIFOs and whiteouts count 0, and only what the tar left in the end counts (a path written twice counts
 * its last entry). Kept as the tar is applied, so no walk of the layer is needed afterwards.
 */

/** One inode the tar made: the paths that name it share the object. */
interface Inode { bytes: number }

export class LayerSize {
  private readonly named = new Map<string, Inode>();
  /** Directories the tar made: removing one of them removes what was counted below it. */
  private readonly dirs = new Set<string>();

  /** A regular file or a symlink at `path`, of `bytes` (a symlink: its target's length in bytes). */
  file(path: string, bytes: number): void {
    this.named.set(path, { bytes });
  }

  /** A hard link at `path` to `target`: the target's inode, counted once. */
  link(path: string, target: string): void {
    const inode = this.named.get(target);
    if (inode) this.named.set(path, inode);
    else this.named.delete(path);
  }

  /** A directory, device, FIFO or whiteout at `path`: nothing of its own to count. */
  other(path: string, isDir: boolean): void {
    this.named.delete(path);
    if (isDir) this.dirs.add(path);
  }

  /** What was at `path` is gone, with everything below it. */
  removed(path: string): void {
    this.named.delete(path);
    if (!this.dirs.delete(path)) return;
    const below = path + '/';
    for (const p of this.named.keys()) if (p.startsWith(below)) this.named.delete(p);
    for (const d of this.dirs) if (d.startsWith(below)) this.dirs.delete(d);
  }

  get total(): number {
    let sum = 0;
    for (const inode of new Set(this.named.values())) sum += inode.bytes;
    return sum;
  }
}
