/**
 * Writing an archive as a stream: small entries from memory, each layer tar read from the store only when
 * its turn comes, so neither the archive nor a layer is ever held whole in memory or on disk.
 */
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import type { ArchiveEntry, LayerOpener } from './model.js';

export function writeArchive(entries: ArchiveEntry[], open: LayerOpener): Readable {
  const tar = pack();
  const fill = async (): Promise<void> => {
    for (const e of entries) {
      if (tar.destroyed) return;
      const base = { name: e.name, mtime: e.mtime, uid: 0, gid: 0 };
      if (e.kind === 'dir') tar.entry({ ...base, type: 'directory', mode: 0o755 });
      else if (e.kind === 'bytes') tar.entry({ ...base, mode: 0o644, size: e.data.length }, e.data);
      else await copyLayer(tar.entry({ ...base, mode: 0o644, size: e.layer.tarSize }), open(e.layer), e.name);
    }
    tar.finalize();
  };
  fill().catch((err: Error) => tar.destroy(err));
  // tar-stream's streams are streamx streams: expose a plain Node Readable with the same backpressure.
  return Readable.from(tar, { objectMode: false });
}

async function copyLayer(sink: NodeJS.WritableStream, source: Readable, name: string): Promise<void> {
  const finished = new Promise<void>((resolve, reject) => {
    sink.on('finish', resolve);
    sink.on('error', reject);
    sink.on('close', () => reject(new Error(`${name}: archive closed early`)));
  });
  finished.catch(() => {}); // awaited below; a failure before then is reported by the loop's own error
  try {
    for await (const chunk of source) {
      if (!sink.write(chunk as Buffer)) await once(sink as unknown as NodeJS.EventEmitter, 'drain');
    }
    sink.end();
    await finished;
  } catch (e) {
    source.destroy();
    throw new Error(`${name}: ${(e as Error).message}`);
  }
}
