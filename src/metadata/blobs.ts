/**
 * strata.db's record of compressed layer blobs: which registry blob (digest, media type, size) holds which
 * layer (diffID), and in which repository it was pulled from or pushed to. A push reads it to skip blobs a
 * registry has and to send a pulled layer's own bytes; the blob file itself, when kept, is in the content
 * store under its digest.
 */
import type { DB } from './db.js';

export interface LayerBlob {
  diffId: string;
  /** Fully qualified repository ("localhost:5000/acme/app") the blob is known to be in. */
  repository: string;
  digest: string;
  mediaType: string;
  size: number;
}

interface BlobRow { diff_id: string; repository: string; digest: string; media_type: string; size: number }

const blob = (r: BlobRow): LayerBlob => ({ diffId: r.diff_id, repository: r.repository, digest: r.digest, mediaType: r.media_type, size: r.size });

export class BlobMetadata {
  constructor(private readonly db: DB) {}

  /** Every blob known for the layer, most recently recorded first. */
  blobsOf(diffId: string): LayerBlob[] {
    return (this.db.prepare('SELECT * FROM layer_blobs WHERE diff_id = ? ORDER BY rowid DESC').all(diffId) as BlobRow[]).map(blob);
  }

  recordBlob(b: LayerBlob): void {
    this.db.prepare(`INSERT INTO layer_blobs (diff_id, repository, digest, media_type, size) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(diff_id, repository, digest) DO NOTHING`).run(b.diffId, b.repository, b.digest, b.mediaType, b.size);
  }

  /**
   * Inside the transaction that deleted layers: the kept blob files no stored layer is the content of any
   * more, for the caller to remove. The rows stay, as Docker keeps its diffID → digest records after an
   * rmi: a later import or commit of the same content can still skip or mount what a registry has.
   */
  unusedBlobFiles(): string[] {
    return (this.db.prepare(`SELECT DISTINCT digest FROM layer_blobs b WHERE NOT EXISTS
      (SELECT 1 FROM layer_blobs o JOIN layers l ON l.diff_id = o.diff_id WHERE o.digest = b.digest)`).all() as { digest: string }[]).map((r) => r.digest);
  }
}
