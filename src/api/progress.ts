/**
 * Long work's progress (pull, push, build, import) streamed to the client as the Engine API does: one
 * JSONMessage per line, as it comes, with status 200 sent before the work starts; a failure after that
 * is the last line's `error` and `errorDetail`, since the status has gone.
 */
import type { ServerResponse } from 'node:http';
import type { JsonMessage, Progress } from '../engine/index.js';

export interface ProgressStream {
  /** Hand this to the engine as its `Progress` callback. */
  progress: Progress;
  /** Work failed after the stream began: its message is the stream's last line. */
  fail(e: unknown): void;
  end(): void;
}

export function progressStream(res: ServerResponse): ProgressStream {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  const write = (m: JsonMessage) => { if (!res.writableEnded) res.write(JSON.stringify(m) + '\r\n'); };
  return {
    progress: write,
    fail: (e) => {
      const message = e instanceof Error ? e.message : String(e);
      write({ errorDetail: { message }, error: message });
    },
    end: () => res.end(),
  };
}

/**
 * Run `work` with a progress stream on `res`: the coordinator's pull, push and build handlers are this
 * plus their engine call (`(progress) => registry.pull(ref, opts, progress)`).
 */
export async function streamProgress(res: ServerResponse, work: (progress: Progress) => Promise<void>): Promise<void> {
  const stream = progressStream(res);
  try {
    await work(stream.progress);
  } catch (e) {
    stream.fail(e);
  } finally {
    stream.end();
  }
}
