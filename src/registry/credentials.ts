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

function callHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): string {
  const program = `docker-credential-${helper}`;
  const r = spawnSync(program, [action], { input, encoding: 'utf8' });
  if (r.error) throw new Error(`error getting credentials - err: ${r.error.message}, out: \`\``);
  const out = r.stdout.trim();
  if (r.status !== 0) {
    if (/credentials not found/i.test(out)) return '';
    throw new Error(`error ${action === 'get' ? 'getting' : action === 'store' ? 'storing' : 'erasing'} credentials - err: exit status ${r.status}, out: \`${out}\``);
  }
  return out;
}

/** The stored credentials for a registry host, if any. */
export function loadCredentials(host: string): Credentials | undefined {
  const key = authKey(host);
  const config = readConfig();
  const helper = helperFor(config, key);
  if (helper) {
    const out = callHelper(helper, 'get', key);
    if (!out) return undefined;
    const got = JSON.parse(out) as { Username?: string; Secret?: string };
    // As Docker: a helper's "<token>" user means the secret is an identity token.
    return got.Username === '<token>' ? { identityToken: got.Secret } : { username: got.Username, password: got.Secret };
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
    callHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username, Secret }));
    config.auths[key] = {};
  } else {
    const entry: AuthEntry = { auth: Buffer.from(`${creds.username ?? ''}:${creds.identityToken ? '' : creds.password ?? ''}`).toString('base64') };
    if (creds.identityToken) entry.identitytoken = creds.identityToken;
    config.auths[key] = entry;
  }
  writeConfig(config);
}

/** Forget a host's credentials; false when there were none. */
export function eraseCredentials(host: string): boolean {
  const key = authKey(host);
  const config = readConfig();
  const helper = helperFor(config, key);
  const had = !!config.auths?.[key];
  if (helper) {
    if (!had && !loadCredentials(host)) return false;
    callHelper(helper, 'erase', key);
  } else if (!had) {
    return false;
  }
  delete config.auths![key];
  writeConfig(config);
  return true;
}
