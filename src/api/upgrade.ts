/**
 * An upgrade request's body (exec start's `{"Detach":false,"Tty":false}`): its Content-Length bytes. Bun's
 * node:http hands them over as the request's own stream (Node.js would leave them at the start of the
 * connection's data, which strata, running on Bun only, does not expect); what follows is the client's stdin.
 */
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { ApiError, MAX_JSON_BODY } from './http.js';

export async function upgradeBody(req: IncomingMessage, head: Buffer): Promise<NodeJS.ReadableStream> {
  const length = Number(req.headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length < 0 || length > MAX_JSON_BODY) throw new ApiError(400, 'invalid Content-Length');
  const chunks: Buffer[] = [Buffer.from(head)];
  let got = head.length;
  if (got < length) {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      chunks.push(Buffer.from(chunk));
      got += chunk.length;
      if (got >= length) break;
    }
  }
  const body = new PassThrough();
  body.end(Buffer.concat(chunks).subarray(0, length));
  return body;
}
