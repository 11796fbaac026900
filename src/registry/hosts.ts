/**
 * Where a registry named in a reference is reached: docker.io is registry-1.docker.io; plain HTTP is
 * allowed for loopback registries and the ones listed in STRATA_INSECURE_REGISTRIES (Docker's
 * `insecure-registries`, which a daemon-free tool takes from its environment); TLS trusts the system's CAs
 * and the ones in /etc/docker/certs.d/<host>/ (`*.crt`, and `*.cert` + `*.key` as a client certificate).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DOMAIN } from '../images/reference.js';

/** The key Docker's config.json files Docker Hub's credentials under. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

export interface TlsFiles { ca?: string[]; cert?: string; key?: string }

export interface Endpoint {
  /** The registry as a reference names it: "docker.io", "localhost:5000". */
  host: string;
  /** Where its API is: "https://registry-1.docker.io". */
  base: string;
  /** Whether plain HTTP may be used when HTTPS fails (loopback and insecure registries). */
  insecure: boolean;
  tls: TlsFiles;
}

const CERTS_DIR = process.env.STRATA_CERTS_D ?? '/etc/docker/certs.d';

function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

function insecureList(): string[] {
  return (process.env.STRATA_INSECURE_REGISTRIES ?? '').split(/[\s,]+/).filter(Boolean);
}

export function endpointFor(host: string): Endpoint {
  const api = host === DEFAULT_DOMAIN ? 'registry-1.docker.io' : host;
  const insecure = isLoopback(host) || insecureList().includes(host);
  return { host, base: `https://${api}`, insecure, tls: tlsFiles(host) };
}

/** Docker's certs.d layout for one host. */
function tlsFiles(host: string): TlsFiles {
  const dir = join(CERTS_DIR, host);
  if (!existsSync(dir)) return {};
  const files = readdirSync(dir).sort();
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  const out: TlsFiles = {};
  const cas = files.filter((f) => f.endsWith('.crt')).map(read);
  if (cas.length) out.ca = cas;
  // Client pairs as Docker pairs them: an X.cert needs its X.key, and an X.key its X.cert.
  for (const f of files.filter((name) => /\.(cert|key)$/.test(name))) {
    const isCert = f.endsWith('.cert');
    const other = f.replace(/\.(cert|key)$/, isCert ? '.key' : '.cert');
    if (!files.includes(other)) throw new Error(isCert ? `Missing key ${other} for client certificate ${f}` : `Missing client certificate ${other} for key ${f}`);
  }
  const cert = files.find((f) => f.endsWith('.cert'));
  if (cert) {
    out.cert = read(cert);
    out.key = read(cert.replace(/\.cert$/, '.key'));
  }
  return out;
}

/** The key of a registry in config.json: Docker Hub's legacy URL, else the host as given. */
export function authKey(host: string): string {
  return host === DEFAULT_DOMAIN || host === 'index.docker.io' || host === 'registry-1.docker.io' ? DOCKER_HUB_AUTH_KEY : host;
}

/** A `login`/`logout` argument (a host, or a URL as older Docker versions wrote them) as a registry host. */
export function serverHost(server: string | undefined): string {
  if (!server) return DEFAULT_DOMAIN;
  const host = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return ['index.docker.io', 'registry-1.docker.io', 'docker.io'].includes(host) ? DEFAULT_DOMAIN : host;
}
