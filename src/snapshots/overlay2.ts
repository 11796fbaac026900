/**
 * overlay2, as Docker lays it out: a snapshot is `<key>/diff`; `<key>/link` names a short symlink
 * `l/<name>` to that diff, and `<key>/lower` lists the parent chain as short links, newest first, so
 * long chains fit in mount options. An active snapshot adds `work/` and `merged/` (the mount point);
 * committing removes them. A view has no diff of its own. Preparing touches no file of the parent, so
 * it costs the same for any image size.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTree } from '../archive/remove.js';
import { treeSize } from '../archive/usage.js';
import { randomBytes } from '../images/digest.js';
import { native } from '../native/index.js';
import { checkKey, SNAPSHOT_KEY } from './keys.js';
import { moveAway } from './moveaway.js';
import { mountAll, unmount } from './mount.js';
import { escapePath } from './mountdata.js';
import { spreadSnapshots } from './spread.js';
import type { DriverModule } from './registry.js';
import type { LayerTarget, Mount, SnapshotInfo, SnapshotKind, Snapshotter } from './types.js';

const LINK_DIR = 'l';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Docker's short link names: 26 characters of base32 (130 random bits). */
const shortName = (): string => [...randomBytes(26)].map((b) => BASE32[b & 31]).join('');

export class Overlay2 implements Snapshotter {
  readonly name = 'overlay2';
  readonly home: string;

  constructor(storeRoot: string) {
    this.home = join(storeRoot, 'snapshots', 'overlay2');
    mkdirSync(join(this.home, LINK_DIR), { recursive: true, mode: 0o700 });
  }

  private dir(key: string): string {
    return join(this.home, checkKey(key));
  }

  /** Short links (relative to home) of `parent`'s own diff and its parents', newest first. */
  private chainOf(parent: string | null): string[] {
    if (!parent) return [];
    return [`${LINK_DIR}/${readFileSync(join(this.dir(parent), 'link'), 'utf8')}`, ...this.lowerOf(parent)];
  }

  private lowerOf(key: string): string[] {
    const lowerFile = join(this.dir(key), 'lower');
    return existsSync(lowerFile) ? readFileSync(lowerFile, 'utf8').split(':') : [];
  }

  /** The snapshot's directory with its parent chain recorded; `own` adds its diff and short link. */
  private make(key: string, parent: string | null, own: boolean): { dir: string; lower: string[] } {
    const dir = this.dir(key);
    const lower = this.chainOf(parent);
    spreadSnapshots(this.home);
    mkdirSync(own ? join(dir, 'diff') : dir, { recursive: true, mode: 0o755 });
    if (own) {
      const link = shortName();
      // The name is recorded before the link exists, so remove() finds the link whatever a crash interrupts.
      writeFileSync(join(dir, 'link'), link);
      symlinkSync(`../${key}/diff`, join(this.home, LINK_DIR, link));
    }
    if (lower.length) writeFileSync(join(dir, 'lower'), lower.join(':'));
    // OverlayFS needs at least one lower dir: a snapshot with no parent gets an empty one of its own.
    else mkdirSync(join(dir, 'empty'), { mode: 0o755 });
    mkdirSync(join(dir, 'merged'), { mode: 0o755 });
    return { dir, lower };
  }

  async prepare(key: string, parent: string | null): Promise<Mount[]> {
    const { dir, lower } = this.make(key, parent, true);
    mkdirSync(join(dir, 'work'), { mode: 0o700 });
    return this.activeMounts(key, lower);
  }

  async view(key: string, parent: string | null): Promise<Mount[]> {
    return this.readOnly(key, this.make(key, parent, false).lower);
  }

  /** No upper dir to mount any more: its work dir and mount point go (the parent's empty dir, if any, too). */
  async commit(key: string): Promise<void> {
    const dir = this.dir(key);
    if (this.kind(dir) !== 'active') throw new Error(`snapshot ${key} is not active`);
    // A snapshot never mounted (an init layer written straight into its diff) has them empty: an rmdir each, at
    // once. A mounted one's work/ holds OverlayFS's own work/ and incompat/ directories: removed off the event
    // loop, so that in the API service concurrent creates wait on the disk side by side. node:fs/promises is
    // loaded here, not imported: loading it costs every command that opens a store about 0.2 ms (bench/RESULTS.md).
    const full = ['work', 'merged', 'empty'].map((d) => join(dir, d)).filter((path) => !removedIfEmpty(path));
    if (!full.length) return;
    const { rm } = await import('node:fs/promises');
    await Promise.all(full.map((path) => rm(path, { recursive: true, force: true })));
  }

  private kind(dir: string): SnapshotKind {
    if (!existsSync(join(dir, 'diff'))) return 'view';
    return existsSync(join(dir, 'work')) ? 'active' : 'committed';
  }

  mounts(key: string): Mount[] {
    const dir = this.dir(key);
    const kind = this.kind(dir);
    if (kind === 'active') return this.activeMounts(key, this.lowerOf(key));
    return this.readOnly(key, kind === 'committed' ? this.chainOf(key) : this.lowerOf(key));
  }

  private abs(rel: string): string {
    return escapePath(join(this.home, rel));
  }

  private activeMounts(key: string, lower: string[]): Mount[] {
    return [{
      type: 'overlay', source: 'overlay',
      options: [
        `lowerdir=${(lower.length ? lower : [`${key}/empty`]).map((l) => this.abs(l)).join(':')}`,
        `upperdir=${this.abs(`${key}/diff`)}`, `workdir=${this.abs(`${key}/work`)}`,
      ],
    }];
  }

  /** A read-only tree of `layers`: one layer is bound as it is; OverlayFS needs two lower dirs at least. */
  private readOnly(key: string, layers: string[]): Mount[] {
    if (layers.length > 1) return [{ type: 'overlay', source: 'overlay', options: ['ro', `lowerdir=${layers.map((l) => this.abs(l)).join(':')}`] }];
    return [{ type: 'bind', source: join(this.home, layers[0] ?? `${key}/empty`), options: ['rbind', 'ro'] }];
  }

  async remove(key: string): Promise<void> {
    removeTree(this.unlink(key));
  }

  detach(key: string, to: string): void {
    moveAway(this.unlink(key), to);
  }

  /** The snapshot's short link removed (it would dangle); its directory. */
  private unlink(key: string): string {
    const dir = this.dir(key);
    const linkFile = join(dir, 'link');
    // Empty when a crash came between creating the file and writing the name (then no link was made).
    const link = existsSync(linkFile) ? readFileSync(linkFile, 'utf8') : '';
    if (link) rmSync(join(this.home, LINK_DIR, link), { force: true });
    return dir;
  }

  /** The upper dir holds exactly what the snapshot added or changed. */
  async usage(key: string): Promise<number> {
    return treeSize(join(this.dir(key), 'diff'));
  }

  async walk(): Promise<SnapshotInfo[]> {
    return readdirSync(this.home).filter((k) => SNAPSHOT_KEY.test(k)).map((key) => ({ key, kind: this.kind(join(this.home, key)) }));
  }

  target(key: string): LayerTarget {
    return { dir: join(this.dir(key), 'diff'), whiteouts: 'overlay' };
  }
}

/** rmdir, true unless the directory holds something (a directory that is not there is removed already). */
function removedIfEmpty(path: string): boolean {
  try {
    rmdirSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    if (code !== 'ENOENT') throw e;
  }
  return true;
}

const S_IFCHR = 0o020000;

/**
 * Whether a real overlay mount honours a whiteout and an opaque directory on this store's filesystem
 * (some refuse: overlay on overlay, tmpfs without xattrs, kernels without OverlayFS).
 */
function supported(storeRoot: string): boolean {
  const base = join(storeRoot, 'snapshots');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'probe-'));
  const merged = join(dir, 'merged');
  let mounted = false;
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'lower', 'file'), 'x');
    writeFileSync(join(dir, 'lower', 'gone'), 'x');
    native.mknod(join(dir, 'upper', 'gone'), S_IFCHR, 0, 0);
    mkdirSync(join(dir, 'lower', 'opaque'));
    writeFileSync(join(dir, 'lower', 'opaque', 'hidden'), 'x');
    mkdirSync(join(dir, 'upper', 'opaque'));
    native.lsetxattr(join(dir, 'upper', 'opaque'), 'trusted.overlay.opaque', Buffer.from('y'));
    const at = (d: string): string => escapePath(join(dir, d));
    mountAll([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${at('lower')}`, `upperdir=${at('upper')}`, `workdir=${at('work')}`] }], merged);
    mounted = true;
    return readFileSync(join(merged, 'file'), 'utf8') === 'x' && !existsSync(join(merged, 'gone'))
      && existsSync(join(merged, 'opaque')) && !existsSync(join(merged, 'opaque', 'hidden'));
  } catch {
    return false;
  } finally {
    // What it mounted it unmounts, whatever mountinfo calls the path.
    if (mounted) unmount(merged);
    rmSync(dir, { recursive: true, force: true });
  }
}

export const driver: DriverModule = { open: (storeRoot) => new Overlay2(storeRoot), supported };
