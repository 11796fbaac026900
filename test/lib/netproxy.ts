/**
 * An HTTP proxy of the test's own, as a corporate proxy is: `CONNECT host:port` tunnels (what HTTPS goes
 * through) and absolute-URI requests (`GET http://host:port/v2/ HTTP/1.1`, what plain HTTP goes through).
 * It resolves names by its own table (`hosts`), so a registry name that no DNS knows works through it and
 * only through it; every connection's first line is logged, which is how a test sees what went through.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface NetProxy {
  /** "127.0.0.1:PORT" */
  host: string;
  /** Each connection's first request line: `CONNECT registry.test:443 HTTP/1.1`, `GET http://… HTTP/1.1`. */
  lines: string[];
  stop(): Promise<void>;
}

/** `hosts` maps "name:port" as clients ask for it to the "ip:port" to connect to. */
export async function startNetProxy(hosts: Record<string, string>): Promise<NetProxy> {
  const lines: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const line = head.subarray(0, head.indexOf('\r\n')).toString();
      lines.push(line);
      const [method, target] = line.split(' ');
      const tunnel = method === 'CONNECT';
      const asked = tunnel ? target! : new URL(target!).host;
      const to = hosts[asked];
      if (!to) {
        client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const [ip, port] = [to.slice(0, to.lastIndexOf(':')), Number(to.slice(to.lastIndexOf(':') + 1))];
      const upstream = connect(port, ip, () => {
        // A tunnel starts after the proxy's answer; a forwarded request goes on as it came (the registry,
        // Go's net/http, takes an absolute URI in the request line).
        if (tunnel) client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        else upstream.write(head);
        client.pipe(upstream).pipe(client);
      });
      sockets.add(upstream);
      upstream.on('close', () => { sockets.delete(upstream); client.destroy(); });
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as { port: number }).port}`,
    lines,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
