/**
 * A response written straight onto an upgrade request's connection, for the answers given before (or
 * instead of) hijacking it: an error, `101 UPGRADED`, or a plain 200 for a detached exec. It has the part
 * of ServerResponse the handlers use.
 */
import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';

export function rawResponse(socket: Duplex) {
  const res = {
    headersSent: false,
    writableEnded: false,
    writableFinished: false,
    statusCode: 200,
    writeHead(status: number, headers: OutgoingHttpHeaders = {}) {
      res.statusCode = status;
      res.headersSent = true;
      const lines = Object.entries(headers).map(([k, v]) => `${k}: ${String(v)}\r\n`).join('');
      socket.write(`HTTP/1.1 ${status} ${status === 101 ? 'UPGRADED' : STATUS_CODES[status] ?? ''}\r\n${lines}\r\n`);
      return res;
    },
    write(data: string | Buffer) {
      return socket.write(data);
    },
    end(data?: string | Buffer) {
      if (!res.headersSent) res.writeHead(res.statusCode);
      res.writableEnded = true;
      res.writableFinished = true;
      if (data !== undefined) socket.write(data);
      return res;
    },
    destroy() {
      socket.destroy();
    },
    on(event: string, fn: () => void) {
      socket.on(event, fn);
      return res;
    },
    once(event: string, fn: () => void) {
      socket.once(event, fn);
      return res;
    },
  };
  return res;
}
