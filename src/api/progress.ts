/**
 * Long work's progress (pull, push, build, import) streamed to the client as the Engine API does: one
 * JSONMessage per line, as it comes. Status 200 goes with the first message, so work that fails before it
 * has said anything answers with its own status (`docker pull nosuch` gets 404 and Docker's message), and a
 * failure after that is the last line's `error` and `errorDetail`, since the status has gone.
 */
import type { ServerResponse } from 'node:http';
import type { JsonMessage, Progress } from '../engine/index.js';

/** Run `work` with a progress stream on `res`; throws (for the router to answer) only if nothing was sent. */
export async function streamProgress(res: ServerResponse, work: (progress: Progress) => Promise<void>): Promise<void> {
  const write = (m: JsonMessage) => {
    if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/json' });
    if (!res.writableEnded) res.write(JSON.stringify(m) + '\r\n');
  };
  try {
    await work(write);
  } catch (e) {
    if (!res.headersSent) throw e;
    const message = e instanceof Error ? e.message : String(e);
    write({ errorDetail: { message }, error: message });
  }
  if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end();
}
