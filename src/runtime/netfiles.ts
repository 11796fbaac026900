/**
 * The container's own /etc/hosts, /etc/hostname and /etc/resolv.conf (kept in its directory and
 * bind-mounted over the image's), with the contents Docker 20.10 writes for `--network none` and `host`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkMode } from './spec.js';

export interface NetworkFiles { hosts: string; hostname: string; resolvConf: string }

/** The host files the container's are derived from. */
export interface HostNetworkFiles { hosts: string; resolvConf: string }

/** Docker's hosts file for a container with a network namespace of its own (no address but loopback). */
const NAMESPACED_HOSTS = [
  '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters', '',
].join('\n');

/** Used when no nameserver the container can reach is left: Docker's defaults (Google's public DNS). */
const DEFAULT_NAMESERVERS = 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n';

/** systemd-resolved's stub address, and the file listing the servers behind it. */
const RESOLVED_STUB = '127.0.0.53';
const RESOLVED_UPSTREAM = '/run/systemd/resolve/resolv.conf';

const nameservers = (conf: string): string[] => [...conf.matchAll(/^\s*nameserver\s+(\S+)\s*$/gm)].map((m) => m[1]!);
const isLoopback = (addr: string): boolean => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(addr) || addr === '::1';
const isIPv6 = (addr: string): boolean => addr.includes(':');

/**
 * The host's resolv.conf as a container must see it: loopback nameservers (unreachable from another
 * network namespace) and IPv6 ones (no IPv6 here) removed; Docker's defaults when none is left.
 */
export function containerResolvConf(hostConf: string): string {
  const kept = hostConf.split('\n').filter((line) => {
    const m = /^\s*nameserver\s+(\S+)\s*$/.exec(line);
    return !m || (!isLoopback(m[1]!) && !isIPv6(m[1]!));
  });
  let conf = kept.join('\n');
  if (!conf.endsWith('\n')) conf += '\n';
  return nameservers(conf).length ? conf : `${conf.trim() ? conf : ''}${DEFAULT_NAMESERVERS}`;
}

/** The container's files: its own hostname; for --network host, the host's hosts and resolv.conf as they are. */
export function networkFiles(hostname: string, network: NetworkMode, host: HostNetworkFiles): NetworkFiles {
  if (network === 'host') return { hostname: `${hostname}\n`, hosts: host.hosts, resolvConf: host.resolvConf };
  return { hostname: `${hostname}\n`, hosts: NAMESPACED_HOSTS, resolvConf: containerResolvConf(host.resolvConf) };
}

/** The host's /etc/hosts and resolv.conf (the servers behind systemd-resolved's stub when that is all it names). */
export function hostNetworkFiles(): HostNetworkFiles {
  let resolvConf = readFileSync('/etc/resolv.conf', 'utf8');
  const servers = nameservers(resolvConf);
  if (servers.length && servers.every((s) => s === RESOLVED_STUB)) {
    try { resolvConf = readFileSync(RESOLVED_UPSTREAM, 'utf8'); } catch { /* no resolved: keep the stub, filtered below */ }
  }
  return { hosts: readFileSync('/etc/hosts', 'utf8'), resolvConf };
}

/** Write the files into the container's directory under the names the spec's bind mounts use. */
export function writeNetworkFiles(containerDir: string, files: NetworkFiles): void {
  writeFileSync(join(containerDir, 'hostname'), files.hostname);
  writeFileSync(join(containerDir, 'hosts'), files.hosts);
  writeFileSync(join(containerDir, 'resolv.conf'), files.resolvConf);
}
