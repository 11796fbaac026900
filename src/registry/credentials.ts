/**
 * Credentials in Docker's ~/.docker/config.json (or $DOCKER_CONFIG/config.json), so a login by either tool
 * serves both: `auths` with base64 `user:password`, or the `docker-credential-<name>` helpers that
 * `credsStore` and `credHelpers` name (their get/store/erase protocol: JSON on stdin and stdout).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { authKey } from './hosts.js';

export interface Credentials {
  username?: string;
  password?: string;
  /** A refresh token the registry's token server gave (Docker's IdentityToken). */
  identityToken?: string;
  /** A bearer token given as is (the Engine API's X-Registry-Auth may carry one). */
  registryToken?: string;
}

interface AuthEntry { auth?: string; identitytoken?: string; username?: string; password?: string }
interface ConfigFile { auths?: Record<string, AuthEntry>; credsStore?: string; credHelpers?: Record<string, string>; [k: string]: unknown }

export function configPath(): string {
  return join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

function readConfig(): ConfigFile {
  try {
    return JSON.parse(readFileSync(configPath(), 'utf8')) as ConfigFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`reading ${configPath()}: ${(e as Error).message}`);
  }
}

/** Written whole or not at all, private to its owner as Docker writes it. */
function writeConfig(config: ConfigFile): void {
  const path = configPath();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.strata-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(config, null, '\t') + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

function helperFor(config: ConfigFile, key: string): string | undefined {
  return config.credHelpers?.[key] ?? config.credHelpers?.[key.replace(/^https?:\/\//, '').replace(/\/.*$/, '')] ?? config.credsStore;
}

const VERB = { get: 'getting', store: 'storing', erase: 'erasing' } as const;

/** A helper that has nothing for the server says so on stdout and exits 1 (docker-credential-helpers' words). */
class NotFound extends Error {}

/** Run `docker-credential-<helper> <action>` with `input` on stdin; its stdout. Errors in Docker's words. */
function callHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): string {
  const program = `docker-credential-${helper}`;
  const r = spawnSync(program, [action], { input, encoding: 'utf8' });
  if (r.error) {
    const why = (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `exec: "${program}": executable file not found in $PATH` : r.error.message;
    throw new Error(`error ${VERB[action]} credentials - err: ${why}, out: \`\``);
  }
  const out = r.stdout.trim();
  if (r.status !== 0) {
    if (/credentials not found/i.test(out)) throw new NotFound(out);
    throw new Error(`error ${VERB[action]} credentials - err: exit status ${r.status}, out: \`${out}\``);
  }
  return out;
}

/** The helper's credentials for a server, or undefined when it has none. */
function helperGet(helper: string, key: string): Credentials | undefined {
  let out: string;
  try {
    out = callHelper(helper, 'get', key);
  } catch (e) {
    if (e instanceof NotFound) return undefined;
    throw e;
  }
  const got = JSON.parse(out) as { Username?: string; Secret?: string };
  // As Docker: a helper's "<token>" user means the secret is an identity token.
  return got.Username === '<token>' ? { identityToken: got.Secret } : { username: got.Username, password: got.Secret };
}

/**
 * The stored credentials for a registry host, if any. As Docker's client, a helper that fails (missing,
 * or erring) leaves the pull or push anonymous rather than stopping it.
 */
export function loadCredentials(host: string): Credentials | undefined {
  const key = authKey(host);
  const config = readConfig();
  const helper = helperFor(config, key);
  if (helper) {
    try {
      return helperGet(helper, key);
    } catch {
      return undefined;
    }
  }
  const entry = config.auths?.[key] ?? config.auths?.[`https://${key}`] ?? config.auths?.[`http://${key}`];
  if (!entry) return undefined;
  const creds: Credentials = {};
  if (entry.auth) {
    const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon < 0) throw new Error(`invalid auth configuration file ${configPath()}: ${key} has an auth without a colon`);
    creds.username = plain.slice(0, colon);
    creds.password = plain.slice(colon + 1);
  }
  if (entry.identitytoken) creds.identityToken = entry.identitytoken;
  return creds.username || creds.identityToken ? creds : undefined;
}

/** Store credentials for a host, through its helper when config.json names one. */
export function saveCredentials(host: string, creds: Credentials): void {
  const key = authKey(host);
  const config = readConfig();
  const helper = helperFor(config, key);
  config.auths ??= {};
  if (helper) {
    const [Username, Secret] = creds.identityToken ? ['<token>', creds.identityToken] : [creds.username ?? '', creds.password ?? ''];
    try {
      callHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username, Secret }));
    } catch (e) {
      throw new Error(`saving credentials: ${(e as Error).message}`);
    }
    config.auths[key] = {};
  } else {
    const entry: AuthEntry = { auth: Buffer.from(`${creds.username ?? ''}:${creds.identityToken ? '' : creds.password ?? ''}`).toString('base64') };
    if (creds.identityToken) entry.identitytoken = creds.identityToken;
    config.auths[key] = entry;
  }
  writeConfig(config);
}

/**
 * Forget a host's credentials; false when there were none. A helper that has nothing for the host (or is
 * gone) is no error: the entry in config.json goes all the same, as with Docker's logout.
 */
export function eraseCredentials(host: string): boolean {
  const key = authKey(host);
  const config = readConfig();
  const helper = helperFor(config, key);
  let had = !!config.auths?.[key];
  if (helper) {
    try {
      callHelper(helper, 'erase', key);
      had = true;
    } catch { /* nothing there, or no helper to ask: nothing to erase */ }
  }
  if (!had) return false;
  delete config.auths![key];
  writeConfig(config);
  return true;
}
