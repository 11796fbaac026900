/** Trees described entry by entry, so two can be compared for everything a layer must keep. */
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { native } from '../../src/native/index.js';

/** path → "type mode uid:gid mtime size|target|rdev xattrs content-hash link-group" */
export function describeTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const inodes = new Map<number, string>();
  const visit = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = join(root, r);
      const st = lstatSync(abs);
      const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : st.isFIFO() ? 'fifo'
        : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : 'other';
      const xattrs = native.llistxattr(abs).filter((x) => !x.startsWith('trusted.overlay.')).sort()
        .map((x) => `${x}=${native.lgetxattr(abs, x)?.toString('hex')}`).join(',');
      let detail = '';
      if (type === 'file') detail = createHash('sha256').update(readFileSync(abs)).digest('hex').slice(0, 16);
      if (type === 'symlink') detail = readlinkSync(abs);
      if (type === 'char' || type === 'block') detail = `rdev=${st.rdev}`;
      let group = '';
      if (type === 'file' && st.nlink > 1) {
        group = inodes.get(st.ino) ?? r;
        inodes.set(st.ino, group);
      }
      // Directory mtimes are compared too: apply restores them after writing the children.
      const mtime = type === 'symlink' ? '' : Math.floor(st.mtimeMs / 1000);
      out.set(r, `${type} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${mtime} ${type === 'file' ? st.size : ''} ${detail} [${xattrs}] ${group ? `link:${group}` : ''}`);
      if (type === 'dir') visit(r);
    }
  };
  visit('');
  return out;
}

/** security.capability granting cap_net_bind_service, in the kernel's v2 format. */
const NET_BIND_CAP = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** A tree with every kind of entry a layer must keep: hard links, symlinks, FIFOs, devices, setuid, owners, xattrs. */
export function richTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-rich-'));
  const t = 1_600_000_000;
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'etc/deep/er'), { recursive: true });
  mkdirSync(join(dir, 'dev'));
  mkdirSync(join(dir, 'srv/old'), { recursive: true });
  writeFileSync(join(dir, 'bin/tool'), Buffer.alloc(100_000, 7));
  chownSync(join(dir, 'bin/tool'), 0, 0);
  chmodSync(join(dir, 'bin/tool'), 0o4755);
  writeFileSync(join(dir, 'bin/server'), 'cap');
  chmodSync(join(dir, 'bin/server'), 0o755);
  native.lsetxattr(join(dir, 'bin/server'), 'security.capability', NET_BIND_CAP);
  writeFileSync(join(dir, 'etc/deep/er/conf'), 'x=1\n');
  native.lsetxattr(join(dir, 'etc/deep/er/conf'), 'user.origin', Buffer.from('strata-test'));
  chownSync(join(dir, 'etc/deep/er/conf'), 1234, 5678);
  chmodSync(join(dir, 'etc/deep'), 0o2750);
  linkSync(join(dir, 'bin/tool'), join(dir, 'bin/tool-hardlink'));
  symlinkSync('../bin/tool', join(dir, 'etc/tool-link'));
  symlinkSync('/nonexistent/abs', join(dir, 'etc/dangling'));
  lchownSync(join(dir, 'etc/dangling'), 42, 43);
  native.mknod(join(dir, 'dev/null'), 0o020666, 1, 3);
  native.mknod(join(dir, 'dev/loop9'), 0o060660, 7, 9);
  native.mknod(join(dir, 'dev/fifo'), 0o010644, 0, 0);
  mkdirSync(join(dir, 'tmp'));
  chmodSync(join(dir, 'tmp'), 0o1777);
  writeFileSync(join(dir, 'srv/old/a'), 'a');
  writeFileSync(join(dir, 'srv/old/b'), 'b');
  writeFileSync(join(dir, 'srv/keep'), 'keep');
  writeFileSync(join(dir, `etc/${'long-name-'.repeat(12)}`), 'long');
  // Times last, deepest first, so creating children does not move them.
  const all = [...describeTree(dir).keys()].reverse();
  for (const r of all) {
    const abs = join(dir, r);
    if (lstatSync(abs).isSymbolicLink()) lutimesSync(abs, t, t);
    else utimesSync(abs, t, t);
  }
  return dir;
}

/** Entries that differ between two described trees, as readable lines (empty when equal). */
export function treeDiff(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) out.push(`${k}: ${v}  !=  ${b.get(k) ?? '(missing)'}`);
  for (const k of b.keys()) if (!a.has(k)) out.push(`${k}: (missing)  !=  ${b.get(k)}`);
  return out;
}
