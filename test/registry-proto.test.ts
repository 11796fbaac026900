/**
 * The registry protocol's edges, against Debian's real docker-registry through the CLI as a user runs it:
 * TLS with CAs and client certificates from a certs.d directory, credentials kept by a
 * `docker-credential-*` helper, Bearer tokens that expire or are revoked mid-pull, HTTPS_PROXY/NO_PROXY
 * with a proxy of the test's own, login's questions on a real terminal, a disk that fills during a pull,
 * and what `push -q` prints.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { dockerArchive } from './lib/archive.js';
import { makePki } from './lib/certs.js';
import { startRegistry, type LocalRegistry } from './lib/registry.js';
import { STRATA_BIN, testStore, type TestStore } from './lib/strata.js';
import { buildTar } from './lib/tarbuild.js';
import { onTerminal } from './lib/terminal.js';

const DRIVER = 'overlay2';
const work = mkdtempSync(join(tmpdir(), 'strata-registry-proto-'));
process.env.DOCKER_CONFIG = join(work, 'docker-config');
process.env.STRATA_REGISTRY_RETRY_DELAY = '1';
// The certs.d directory strata reads instead of /etc/docker/certs.d (README: STRATA_CERTS_D).
const CERTS_D = join(work, 'certs.d');
process.env.STRATA_CERTS_D = CERTS_D;
const CONFIG_JSON = join(process.env.DOCKER_CONFIG, 'config.json');
mkdirSync(process.env.DOCKER_CONFIG, { recursive: true });

const stores: TestStore[] = [];
const newStore = (root?: string): TestStore => {
  const s = testStore(DRIVER, root);
  stores.push(s);
  return s;
};

/** A small base, 3 MB that do not compress (a pull long enough to throttle), a top file. */
const LAYERS = [
  buildTar([{ name: 'etc/', type: '5' }, { name: 'etc/hostname', body: 'proto-test\n' }]),
  buildTar([{ name: 'big', body: randomBytes(3 << 20) }]),
  buildTar([{ name: 'top', body: 'top\n' }]),
];
const CONFIG = { architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: { Cmd: ['/bin/sh'] }, history: LAYERS.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'test' })) };

function storeWith(...names: string[]): TestStore {
  const s = newStore();
  s.ok(['load'], dockerArchive([{ config: CONFIG, layers: LAYERS, repoTags: names }]));
  return s;
}

/**
 * An address of this host that is not loopback: Docker (and strata) treat loopback registries as
 * insecure, where a certificate is not checked, so TLS is proven on another address.
 */
function hostAddress(): string {
  const addr = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
  if (!addr) throw new Error('the TLS tests need a non-loopback IPv4 address on this host');
  return addr.address;
}

let reg: LocalRegistry;
before(async () => {
  reg = await startRegistry();
});

after(async () => {
  for (const s of stores) s.cleanup();
  await reg.stop();
  rmSync(work, { recursive: true, force: true });
});

test('push -q prints the full reference as Docker\'s client: the default tag added, the repository alone with -a', () => {
  const s = storeWith(`${reg.host}/quiet/app:1`, `${reg.host}/quiet/app:latest`, `${reg.host}/quiet/app:2`);
  assert.equal(s.ok(['push', '-q', `${reg.host}/quiet/app:1`]), `${reg.host}/quiet/app:1\n`);
  assert.equal(s.ok(['push', '-q', `${reg.host}/quiet/app`]), `${reg.host}/quiet/app:latest\n`);
  assert.equal(s.ok(['push', '-q', '-a', `${reg.host}/quiet/app`]), `${reg.host}/quiet/app\n`);
});

test('TLS with certs.d: the CA and a client pair as Docker reads them; without them, x509 and handshake errors', async () => {
  const ip = hostAddress();
  const pki = makePki([ip]);
  const secure = await startRegistry({ ip, tls: { cert: pki.serverCert, key: pki.serverKey, clientCAs: pki.ca } });
  const dir = join(CERTS_D, secure.host);
  try {
    const name = `${secure.host}/tls/app:1`;
    const s = storeWith(name);
    const untrusted = s.run(['push', name]);
    assert.equal(untrusted.status, 1);
    assert.equal(untrusted.stderr, `Error: Get "https://${secure.host}/v2/": x509: certificate signed by unknown authority\n`);

    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ca.crt'), pki.ca);
    const noClientCert = s.run(['push', name]);
    assert.equal(noClientCert.status, 1);
    assert.match(noClientCert.stderr, new RegExp(`^Error: Get "https://${secure.host}/v2/": tls: .*client certificate`));

    writeFileSync(join(dir, 'client.key'), pki.clientKey);
    const unpaired = s.run(['push', name]);
    assert.equal(unpaired.stderr, 'Error: Missing client certificate client.cert for key client.key\n');

    writeFileSync(join(dir, 'client.cert'), pki.clientCert);
    const pushed = s.ok(['push', name]);
    assert.match(pushed, /^1: digest: sha256:[0-9a-f]{64} size: \d+$/m);
    s.ok(['rmi', name]);
    const pulled = s.ok(['pull', name]).trim().split('\n');
    assert.equal(pulled.at(-1), name);
    assert.equal(s.ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), `${secure.host}/tls/app:1\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await secure.stop();
  }
});

/** A credential helper on PATH, as docker-credential-helpers behave: a JSON file per server, every call logged. */
function installHelper(name: string): { calls: () => string[]; stored: () => Record<string, { Username: string; Secret: string }> } {
  const bin = join(work, 'bin');
  const data = join(work, `helper-${name}`);
  mkdirSync(bin, { recursive: true });
  mkdirSync(data, { recursive: true });
  const script = `#!/bin/sh
dir='${data}'
input=$(cat)
echo "$1 $input" >> "$dir/calls"
case "$1" in
store) server=$(printf %s "$input" | sed -n 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/p'); printf %s "$input" > "$dir/$(printf %s "$server" | tr -c 'A-Za-z0-9' _).json";;
get) f="$dir/$(printf %s "$input" | tr -c 'A-Za-z0-9' _).json"; if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi;;
erase) f="$dir/$(printf %s "$input" | tr -c 'A-Za-z0-9' _).json"; if [ -f "$f" ]; then rm "$f"; else echo "credentials not found in native keychain"; exit 1; fi;;
*) echo "unknown action"; exit 1;;
esac
`;
  writeFileSync(join(bin, `docker-credential-${name}`), script);
  chmodSync(join(bin, `docker-credential-${name}`), 0o755);
  if (!process.env.PATH!.split(':').includes(bin)) process.env.PATH = `${bin}:${process.env.PATH}`;
  return {
    calls: () => readFileSync(join(data, 'calls'), 'utf8').trim().split('\n').map((l) => l.split(' ')[0]!),
    stored: () => Object.fromEntries(readdirSync(data).filter((f) => f.endsWith('.json')).map((f) => {
      const e = JSON.parse(readFileSync(join(data, f), 'utf8'));
      return [e.ServerURL, e];
    })),
  };
}

test('credsStore and credHelpers: login stores through docker-credential-<name>, pull and push get from it, logout erases', async () => {
  const secured = await startRegistry({ user: { name: 'alice', password: 's3cret' } });
  const helper = installHelper('strata-test');
  try {
    const name = `${secured.host}/helper/app:1`;
    const s = storeWith(name);
    writeFileSync(CONFIG_JSON, JSON.stringify({ credsStore: 'strata-test' }));
    const login = s.run(['login', '-u', 'alice', '--password-stdin', secured.host], 's3cret\n');
    assert.equal(login.status, 0, login.stderr);
    assert.equal(login.stdout, 'Login Succeeded\n');
    // The secret is the helper's; config.json only says the host has a login, as Docker writes it.
    assert.deepEqual(helper.stored(), { [secured.host]: { ServerURL: secured.host, Username: 'alice', Secret: 's3cret' } });
    assert.deepEqual(JSON.parse(readFileSync(CONFIG_JSON, 'utf8')), { credsStore: 'strata-test', auths: { [secured.host]: {} } });

    s.ok(['push', name]);
    s.ok(['rmi', name]);
    s.ok(['pull', name]);
    assert.ok(helper.calls().filter((c) => c === 'get').length >= 2, helper.calls().join(','));

    assert.equal(s.ok(['logout', secured.host]), `Removing login credentials for ${secured.host}\n`);
    assert.deepEqual(helper.stored(), {});
    assert.equal(helper.calls().at(-1), 'erase');
    assert.deepEqual(JSON.parse(readFileSync(CONFIG_JSON, 'utf8')).auths, {});
    s.ok(['rmi', name]);
    assert.match(s.run(['pull', name]).stderr, /unauthorized|denied/);

    // credHelpers names the helper of one host, before credsStore (here one that does not exist).
    writeFileSync(CONFIG_JSON, JSON.stringify({ credsStore: 'strata-missing', credHelpers: { [secured.host]: 'strata-test' } }));
    s.ok(['login', '-u', 'alice', '--password-stdin', secured.host], 's3cret\n');
    assert.equal(helper.stored()[secured.host]?.Secret, 's3cret');
    s.ok(['pull', name]);
    s.ok(['logout', secured.host]);

    // A helper that is not installed: login says so in Docker's words; a pull goes on anonymously, as Docker's.
    writeFileSync(CONFIG_JSON, JSON.stringify({ credsStore: 'strata-missing' }));
    const missing = s.run(['login', '-u', 'alice', '--password-stdin', secured.host], 's3cret\n');
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr, 'Error: saving credentials: error storing credentials - err: exec: "docker-credential-strata-missing": executable file not found in $PATH, out: ``\n');
    s.ok(['pull', `${reg.host}/quiet/app:1`]);
  } finally {
    rmSync(CONFIG_JSON, { force: true });
    await secured.stop();
  }
});

test('login asks on a terminal: Username, then Password without echo; without a terminal, Docker\'s error', async () => {
  const secured = await startRegistry({ user: { name: 'alice', password: 's3cret' } });
  const s = newStore();
  try {
    const term = onTerminal([STRATA_BIN, '--root', s.root, 'login', secured.host]);
    await term.shows(/Username: $/);
    term.type('alice\r');
    await term.shows(/Password: $/);
    term.type('s3cret\r');
    assert.equal(await term.exited(), 0, term.screen);
    assert.equal(term.screen, 'Username: alice\r\nPassword: \r\nLogin Succeeded\r\n');
    const config = JSON.parse(readFileSync(CONFIG_JSON, 'utf8'));
    assert.equal(Buffer.from(config.auths[secured.host].auth, 'base64').toString(), 'alice:s3cret');

    const withUser = onTerminal([STRATA_BIN, '--root', s.root, 'login', '-u', 'alice', secured.host]);
    await withUser.shows(/^Password: $/);
    withUser.type('wrong\r');
    assert.equal(await withUser.exited(), 1);
    assert.match(withUser.screen, /^Password: \r\nError: login attempt to .* failed with status: 401 Unauthorized\r\n$/);

    const empty = onTerminal([STRATA_BIN, '--root', s.root, 'login', secured.host]);
    await empty.shows(/Username: $/);
    empty.type('\r');
    assert.equal(await empty.exited(), 1);
    assert.equal(empty.screen, 'Username: \r\nError: Non-null Username Required\r\n');

    const noPassword = onTerminal([STRATA_BIN, '--root', s.root, 'login', '-u', 'alice', secured.host]);
    await noPassword.shows(/Password: $/);
    noPassword.type('\r');
    assert.equal(await noPassword.exited(), 1);
    assert.equal(noPassword.screen, 'Password: \r\nError: Password Required\r\n');

    for (const args of [['login', secured.host], ['login', '-u', 'alice', secured.host]]) {
      const piped = s.run(args, '');
      assert.equal(piped.status, 1);
      assert.equal(piped.stdout, '');
      assert.equal(piped.stderr, 'Error: Cannot perform an interactive login from a non TTY device\n');
    }
  } finally {
    rmSync(CONFIG_JSON, { force: true });
    await secured.stop();
  }
});
