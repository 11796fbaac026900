/**
 * Which proxy a registry request goes through, by the rules of Go's net/http ProxyFromEnvironment (what
 * Docker's daemon uses): HTTPS_PROXY for https URLs and HTTP_PROXY for http ones (the upper-case name
 * first, then the lower-case one); never for localhost or a loopback address; not for a host NO_PROXY
 * names: `*`, an IP, a CIDR, a domain (itself and its subdomains) or `.domain` (subdomains only), each
 * optionally with a port. A proxy given without a scheme is http://. The choice is made here, not by the
 * runtime, whose own reading of these variables proxies loopback addresses.
 */
import { BlockList, isIP } from 'node:net';

const env = (upper: string): string => process.env[upper] || process.env[upper.toLowerCase()] || '';

const defaultPort = (url: URL): string => url.port || (url.protocol === 'https:' ? '443' : '80');

/** `[::1]` → `::1`: the host as an address or a name, without brackets or a trailing dot. */
const bare = (host: string): string => host.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./.test(host);
  return false;
}

/** Whether one NO_PROXY entry covers the host (and port). */
function covers(entry: string, host: string, port: string): boolean {
  if (entry === '*') return true;
  if (entry.includes('/')) {
    const [net, bits] = entry.split('/');
    const family = isIP(net!);
    if (!family || !isIP(host)) return false;
    const list = new BlockList();
    list.addSubnet(net!, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
    return list.check(host, isIP(host) === 4 ? 'ipv4' : 'ipv6');
  }
  let name = entry;
  let entryPort = '';
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
  if (m) [name, entryPort] = [m[1]!, m[2]!];
  if (entryPort && entryPort !== port) return false;
  name = bare(name);
  if (isIP(name)) return name === host;
  if (name.startsWith('*.')) name = name.slice(1);
  if (name.startsWith('.')) return host.endsWith(name);
  return host === name || host.endsWith(`.${name}`);
}

/** The proxy URL for a request to `url`, or undefined to connect directly. */
export function proxyFor(url: URL): string | undefined {
  const proxy = env(url.protocol === 'https:' ? 'HTTPS_PROXY' : 'HTTP_PROXY');
  if (!proxy) return undefined;
  const host = bare(url.hostname);
  if (isLoopback(host)) return undefined;
  const port = defaultPort(url);
  const noProxy = env('NO_PROXY').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
  if (noProxy.some((entry) => covers(entry, host, port))) return undefined;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}
