/**
 * overlay2, as Docker lays it out: a layer is `<id>/diff`; `<id>/link` names a short symlink `l/<name>`
 * to that diff, and `<id>/lower` lists the parent chain as short links, newest first, so long chains fit
 * in one page of mount options. A writable layer adds `work/` and `merged/`; making one touches no file
 * of the image, so it costs the same for any image size.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { overlayChanges, removeTree, tarOnThread } from '../archive/index.js';
import type { Change } from '../archive/types.js';
import { isMounted, unmount } from './mount.js';
import type { GraphDriverData, LayerTarget, MountSpec, Snapshotter } from './types.js';
import { treeSize } from './usage.js';

const LINK_DIR = 'l';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Docker's short link names: 26 characters of base32 (130 random bits). */
const shortName = (): string => [...randomBytes(26)].map((b) => BASE32[b & 31]).join('');

export class Overlay2 implements Snapshotter {
  readonly name = 'overlay2' as const;
  readonly home: string;

  constructor(storeRoot: string) {
    this.home = join(storeRoot, 'snapshots', 'overlay2');
    mkdirSync(join(this.home, LINK_DIR), { recursive: true, mode: 0o700 });
  }

  private dir(id: string): string {
    if (!/^[a-f0-9]{64}$/.test(id)) throw new Error(`invalid snapshot id ${JSON.stringify(id)}`);
    return join(this.home, id);
  }

  /** Short links of the layer's own diff and its parents', newest first. */
  private lowerChain(parent: string | null): string[] {
    if (!parent) return [];
    const own = `${LINK_DIR}/${readFileSync(join(this.dir(parent), 'link'), 'utf8')}`;
    const lowerFile = join(this.dir(parent), 'lower');
    const rest = existsSync(lowerFile) ? readFileSync(lowerFile, 'utf8').split(':') : [];
    return [own, ...rest];
  }

  private make(id: string, parent: string | null): string {
    const dir = this.dir(id);
    mkdirSync(join(dir, 'diff'), { recursive: true, mode: 0o755 });
    const link = shortName();
    // The name is recorded before the link exists, so remove() finds the link whatever a crash interrupts.
    writeFileSync(join(dir, 'link'), link);
    symlinkSync(`../${id}/diff`, join(this.home, LINK_DIR, link));
    const lower = this.lowerChain(parent);
    if (lower.length) writeFileSync(join(dir, 'lower'), lower.join(':'));
    return dir;
  }

  async createLayer(id: string, parent: string | null): Promise<LayerTarget> {
    return { dir: join(this.make(id, parent), 'diff'), whiteouts: 'overlay' };
  }

  async createWritable(id: string, parent: string | null): Promise<void> {
    const dir = this.make(id, parent);
    mkdirSync(join(dir, 'work'), { mode: 0o700 });
    mkdirSync(join(dir, 'merged'), { mode: 0o755 });
    // OverlayFS needs at least one lower dir: an image with no layers gets an empty one of its own.
    if (!parent) mkdirSync(join(dir, 'empty'), { mode: 0o755 });
  }

  /**
   * Every path in the options is relative to the driver's home (the mount runs there): the options then
   * hold no part of the store's root, whose length would eat into the page they must fit in and whose
   * `,` or `:` the kernel would read as separators.
   */
  mountSpec(id: string, _target: string): MountSpec {
    const lowerFile = join(this.dir(id), 'lower');
    const lower = existsSync(lowerFile) ? readFileSync(lowerFile, 'utf8') : `${id}/empty`;
    return {
      type: 'overlay', source: 'overlay', cwd: this.home,
      options: [`lowerdir=${lower}`, `upperdir=${id}/diff`, `workdir=${id}/work`],
    };
  }

  rootfsPath(id: string): string {
    return join(this.dir(id), 'merged');
  }

  layerDir(id: string): string {
    return join(this.dir(id), 'diff');
  }

  /** The parents' diff dirs, newest first, as real paths (Docker resolves the short links before printing them). */
  private lowerDiffs(id: string): string[] {
    const lowerFile = join(this.dir(id), 'lower');
    if (!existsSync(lowerFile)) return [];
    return readFileSync(lowerFile, 'utf8').split(':').map((l) => join(this.home, LINK_DIR, readlinkSync(join(this.home, l))));
  }

  async changes(id: string, _parent: string | null): Promise<Change[]> {
    return overlayChanges(this.layerDir(id), this.lowerDiffs(id));
  }

  diffTar(id: string, _parent: string | null): Readable {
    return tarOnThread({ kind: 'overlay-upper', dir: this.layerDir(id) });
  }

  async usage(id: string): Promise<number> {
    return treeSize(this.layerDir(id));
  }

  /** The upper dir holds exactly what the container added or changed. */
  async diffSize(id: string, _parent: string | null): Promise<number> {
    return treeSize(this.layerDir(id));
  }

  /** Docker names the same four dirs for an image's top layer as for a container (keys in its JSON order). */
  graphDriverData(id: string): GraphDriverData {
    const dir = this.dir(id);
    const lower = this.lowerDiffs(id).join(':');
    const data: GraphDriverData = {};
    if (lower) data.LowerDir = lower;
    data.MergedDir = join(dir, 'merged');
    data.UpperDir = join(dir, 'diff');
    data.WorkDir = join(dir, 'work');
    return data;
  }

  async remove(id: string): Promise<void> {
    const dir = this.dir(id);
    const merged = join(dir, 'merged');
    if (isMounted(merged)) unmount(merged);
    const linkFile = join(dir, 'link');
    // Empty when a crash came between creating the file and writing the name (then no link was made).
    const link = existsSync(linkFile) ? readFileSync(linkFile, 'utf8') : '';
    if (link) rmSync(join(this.home, LINK_DIR, link), { force: true });
    removeTree(dir);
  }

  async list(): Promise<string[]> {
    return readdirSync(this.home).filter((d) => /^[a-f0-9]{64}$/.test(d));
  }
}
