/**
 * A memo of the content digests of a context directory's files, so a rebuild of an unchanged context need not
 * read every file again (cold, those reads are most of a cached build's time). The cache stays keyed by content:
 * a digest is reused only while the file's device, inode, size, mode, mtime and ctime (to the nanosecond) are
 * all what they were when it was read, and any change to a file's bytes changes its ctime (which no one can set).
 * A file changed twice within one tick of the kernel's clock could keep its ctime, so, as git does for its index,
 * a file whose ctime is under a second older than the read is not memoized: it is read again next time.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, type BigIntStats } from 'node:fs';
import { dirname, join } from 'node:path';

/** The file's stat as one string (`dev:ino:size:mode:mtimeNs:ctimeNs`, compared whole), then its digest. */
type Entry = [string, string];

const RACY_NS = 1_000_000_000n;

const statKey = (st: BigIntStats): string => `${st.dev}:${st.ino}:${st.size}:${st.mode}:${st.mtimeNs}:${st.ctimeNs}`;

export class DigestMemo {
  private readonly entries: Map<string, Entry>;
  private changed = false;
  /** When this build began reading (ns since the epoch): files changed less than RACY_NS before it are not kept. */
  private readonly startNs = BigInt(Date.now()) * 1_000_000n;

  private constructor(private readonly file: string, entries: Map<string, Entry>) {
    this.entries = entries;
  }

  /** The memo of the context directory `contextDir` (its real path), kept under `dir`. */
  static open(dir: string, contextDir: string): DigestMemo {
    const file = join(dir, `${new Bun.CryptoHasher('sha256').update(contextDir).digest('hex').slice(0, 32)}.json`);
    let entries = new Map<string, Entry>();
    try {
      entries = new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, Entry>));
    } catch {
      // None yet, or unreadable: every file is read.
    }
    return new DigestMemo(file, entries);
  }

  /** The digest recorded for the file at `rel` if its stat is unchanged since. */
  lookup(rel: string, st: BigIntStats): string | undefined {
    const e = this.entries.get(rel);
    // An entry of another shape (a memo an older strata wrote) never equals the key: the file is read again.
    return e?.[0] === statKey(st) ? e[1] : undefined;
  }

  record(rel: string, st: BigIntStats, digest: string): void {
    if (this.startNs - st.ctimeNs < RACY_NS || this.startNs - st.mtimeNs < RACY_NS) {
      if (this.entries.delete(rel)) this.changed = true;
      return;
    }
    this.entries.set(rel, [statKey(st), digest]);
    this.changed = true;
  }

  /**
   * Write the memo if it changed (whole, by rename: a concurrent build reads the old one or the new one). It is
   * only a cache: one that cannot be written (a `builder prune` removed its directory meanwhile) is let go.
   */
  save(): void {
    if (!this.changed) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
      writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.entries)), { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch {
      rmSync(tmp, { force: true });
    }
    this.changed = false;
  }
}
