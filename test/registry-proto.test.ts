/**
 * The registry protocol's edges, against Debian's real docker-registry through the CLI as a user runs it:
 * TLS with CAs and client certificates from a certs.d directory, credentials kept by a
 * `docker-credential-*` helper, Bearer tokens that expire or are revoked mid-pull, HTTPS_PROXY/NO_PROXY
 * with a proxy of the test's own, login's questions on a real terminal, a disk that fills during a pull,
 * and what `push -q` prints.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makePki } from './lib/certs.js';
import { startNetProxy } from './lib/netproxy.js';
import { registryTestbed, runAsync, sampleImage, startProxy, startRegistry } from './lib/registry.js';
import { STRATA_BIN } from './lib/strata.js';
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

/** A small base, 3 MB that do not compress (a pull long enough to throttle), a top file. */
const bed = registryTestbed(DRIVER, sampleImage('proto-test', 3 << 20), work);
const { newStore, storeWith } = bed;

/**
 * An address of this host that is not loopback: Docker (and strata) treat loopback registries as
 * insecure, where a certificate is not checked, so TLS is proven on another address.
 */
function hostAddress(): string {
  const addr = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
  if (!addr) throw new Error('the TLS tests need a non-loopback IPv4 address on this host');
  return addr.address;
}

test('push -q prints the full reference as Docker\'s client: the default tag added, the repository alone with -a', () => {
  const s = storeWith(`${bed.reg.host}/quiet/app:1`, `${bed.reg.host}/quiet/app:latest`, `${bed.reg.host}/quiet/app:2`);
  assert.equal(s.ok(['push', '-q', `${bed.reg.host}/quiet/app:1`]), `${bed.reg.host}/quiet/app:1\n`);
  assert.equal(s.ok(['push', '-q', `${bed.reg.host}/quiet/app`]), `${bed.reg.host}/quiet/app:latest\n`);
  assert.equal(s.ok(['push', '-q', '-a', `${bed.reg.host}/quiet/app`]), `${bed.reg.host}/quiet/app\n`);
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

    // An insecure registry's certificate is not checked (Docker's insecure-registries); its client pair is still sent.
    rmSync(join(dir, 'ca.crt'));
    s.ok(['rmi', name]);
    assert.match(s.run(['pull', name]).stderr, /x509: certificate signed by unknown authority/);
    process.env.STRATA_INSECURE_REGISTRIES = secure.host;
    try {
      assert.equal(s.ok(['pull', name]).trim().split('\n').at(-1), name);
    } finally {
      delete process.env.STRATA_INSECURE_REGISTRIES;
    }
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
    const anonymous = `${bed.reg.host}/helper/anon:1`;
    s.ok(['tag', name, anonymous]);
    s.ok(['push', anonymous]);
    s.ok(['rmi', anonymous]);
    s.ok(['pull', anonymous]);
  } finally {
    rmSync(CONFIG_JSON, { force: true });
    await secured.stop();
  }
});

test('login asks on a terminal: Username, then Password without echo; stored credentials tried first; without a terminal, Docker\'s error', async () => {
  const secured = await startRegistry({ user: { name: 'alice', password: 's3cret' } });
  const s = newStore();
  try {
    const term = onTerminal([STRATA_BIN, '--root', s.root, 'login', secured.host]);
    await term.shows(/Username: $/);
    term.type('alice\r');
    await term.shows(/Password: $/);
    // The line can be edited as on any terminal: erase (DEL) and kill-line (Ctrl-U).
    term.type('nope\x15s3cx\x7fret\r');
    assert.equal(await term.exited(), 0, term.screen);
    assert.equal(term.screen, 'Username: alice\r\nPassword: \r\nLogin Succeeded\r\n');
    const config = JSON.parse(readFileSync(CONFIG_JSON, 'utf8'));
    assert.equal(Buffer.from(config.auths[secured.host].auth, 'base64').toString(), 'alice:s3cret');

    const withUser = onTerminal([STRATA_BIN, '--root', s.root, 'login', '-u', 'alice', secured.host]);
    await withUser.shows(/^Password: $/);
    withUser.type('wrong\r');
    assert.equal(await withUser.exited(), 1);
    assert.match(withUser.screen, /^Password: \r\nError: login attempt to .* failed with status: 401 Unauthorized\r\n$/);

    // Ctrl-C at the password: exit 130 with the terminal's echo back on.
    const interrupted = onTerminal(['sh', '-c', `'${STRATA_BIN}' --root '${s.root}' login -u alice ${secured.host}; echo "status $?"; stty -a`]);
    await interrupted.shows(/Password: $/);
    interrupted.type('s3\x03');
    assert.equal(await interrupted.exited(), 0);
    assert.match(interrupted.screen, /^Password: \r\nstatus 130\r\n/);
    assert.match(interrupted.screen, /[ ;]echo /);
    assert.doesNotMatch(interrupted.screen, /-echo |-icanon/);

    // Neither -u nor -p: the stored credentials are tried first (Docker 28's client), with or without a terminal.
    const hint = ' Info -> To login with a different account, run \'strata logout\' followed by \'strata login\'\n\n\n';
    const reused = s.run(['login', secured.host], '');
    assert.equal(reused.status, 0, reused.stderr);
    assert.equal(reused.stdout, 'Login Succeeded\n');
    assert.equal(reused.stderr, `Authenticating with existing credentials... [Username: alice]\n\n${hint}`);

    // Stored credentials that no longer work: said so, then the questions, offering the stored user.
    writeFileSync(CONFIG_JSON, JSON.stringify({ auths: { [secured.host]: { auth: Buffer.from('alice:old').toString('base64') } } }));
    const stale = onTerminal([STRATA_BIN, '--root', s.root, 'login', secured.host]);
    await stale.shows(/Username \(alice\): $/);
    stale.type('\r');
    await stale.shows(/Password: $/);
    stale.type('s3cret\r');
    assert.equal(await stale.exited(), 0, stale.screen);
    assert.match(stale.screen, /Login did not succeed, error: login attempt to .* failed with status: 401 Unauthorized\r\nUsername \(alice\): \r\nPassword: \r\nLogin Succeeded\r\n$/);
    assert.equal(Buffer.from(JSON.parse(readFileSync(CONFIG_JSON, 'utf8')).auths[secured.host].auth, 'base64').toString(), 'alice:s3cret');

    s.ok(['logout', secured.host]);
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

/** A token server of the test's own in front of the registry: tokens of a given life, expired ones refused. */
function tokenRegistry(opts: { expiresIn?: number; delayMs: number }) {
  const valid = new Map<string, number>();
  const log = { issued: 0, expiredUsed: 0, refused: [] as string[] };
  let refuse: (path: string) => boolean = () => false;
  const challenge = (): Response => new Response('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', {
    status: 401, headers: { 'WWW-Authenticate': `Bearer realm="http://${proxy.host}/token",service="proto-test"`, 'Content-Type': 'application/json' },
  });
  const proxy = startProxy(bed.reg.host, {
    async intercept(req, url) {
      if (url.pathname === '/token') {
        const token = `tok-${++log.issued}`;
        valid.set(token, Date.now() + (opts.expiresIn ?? 60) * 1000);
        return Response.json(opts.expiresIn === undefined ? { token } : { token, expires_in: opts.expiresIn });
      }
      const token = (req.headers.get('authorization') ?? '').replace(/^Bearer /, '');
      const until = valid.get(token);
      if (until === undefined) return challenge();
      if (until <= Date.now()) {
        log.expiredUsed++;
        return challenge();
      }
      if (refuse(url.pathname)) {
        log.refused.push(url.pathname);
        return challenge();
      }
      // A slow registry: the pull outlives a short token.
      await new Promise((r) => setTimeout(r, opts.delayMs));
      return undefined;
    },
  });
  return { proxy, log, refuseWhen: (f: (path: string) => boolean) => (refuse = f) };
}

test('Bearer tokens: one with expires_in is renewed before use once it expires, 60 s without; a 401 mid-pull gets a new token and one retry', async () => {
  const name = (host: string): string => `${host}/tok/app:1`;
  const src = storeWith(name(bed.reg.host));
  src.ok(['push', name(bed.reg.host)]);
  const s = newStore();

  // Tokens of 2 s, a pull of more than that: renewed before they lapse, never sent expired.
  const short = tokenRegistry({ expiresIn: 2, delayMs: 700 });
  try {
    const started = Date.now();
    const pulled = await runAsync(s, ['pull', name(short.proxy.host)]);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.ok(Date.now() - started > 2500, 'the pull outlived a token');
    assert.ok(short.log.issued >= 2, `tokens issued: ${short.log.issued}`);
    assert.equal(short.log.expiredUsed, 0);
  } finally {
    short.proxy.stop();
  }
  s.ok(['rmi', name(short.proxy.host)]);

  // No expires_in: the token spec's 60 s, so one token serves the whole pull.
  const lasting = tokenRegistry({ delayMs: 700 });
  try {
    const pulled = await runAsync(s, ['pull', name(lasting.proxy.host)]);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.equal(lasting.log.issued, 1);

    // The registry revokes the token as the layers start: each refused request gets a new token and is retried once.
    s.ok(['rmi', name(lasting.proxy.host)]);
    const issuedBefore = lasting.log.issued;
    let revoked = false;
    lasting.refuseWhen((path) => {
      if (revoked || !path.includes('/blobs/')) return false;
      return (revoked = true);
    });
    const again = await runAsync(s, ['pull', name(lasting.proxy.host)]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(lasting.log.refused.length, 1);
    assert.equal(lasting.log.issued - issuedBefore, 2, 'one token for the pull, one after the refusal');

    // A registry that refuses every fresh token too: one retry, then the registry's refusal, nothing stored.
    s.ok(['rmi', name(lasting.proxy.host)]);
    lasting.log.refused.length = 0;
    lasting.refuseWhen((path) => path.includes('/blobs/'));
    const refused = await runAsync(s, ['pull', name(lasting.proxy.host)]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^Error: .*unauthorized: authentication required\n$/);
    const perBlob = new Map<string, number>();
    for (const p of lasting.log.refused) perBlob.set(p, (perBlob.get(p) ?? 0) + 1);
    assert.ok(perBlob.size >= 1);
    assert.ok([...perBlob.values()].every((n) => n === 2), JSON.stringify([...perBlob]));
    assert.equal(s.ok(['images', '-q']), '');
  } finally {
    lasting.proxy.stop();
  }
});

test('HTTPS_PROXY, HTTP_PROXY and NO_PROXY as Go\'s net/http reads them: CONNECT for TLS, forwarding for plain HTTP, loopback never proxied', async () => {
  // The registry names only the proxy can resolve: success proves the requests went through it.
  const pki = makePki(['registry.strata.test']);
  const secure = await startRegistry({ ip: hostAddress(), tls: { cert: pki.serverCert, key: pki.serverKey } });
  const securePort = secure.host.split(':')[1]!;
  const plainPort = bed.reg.host.split(':')[1]!;
  const tlsName = `registry.strata.test:${securePort}`;
  const plainName = `plain.strata.test:${plainPort}`;
  const proxy = await startNetProxy({ [tlsName]: secure.host, [plainName]: bed.reg.host });
  mkdirSync(join(CERTS_D, tlsName), { recursive: true });
  writeFileSync(join(CERTS_D, tlsName, 'ca.crt'), pki.ca);
  const viaProxy = { HTTPS_PROXY: `http://${proxy.host}`, HTTP_PROXY: proxy.host, NO_PROXY: '' };
  try {
    const s = storeWith(`${tlsName}/px/app:1`);
    const pushed = await runAsync(s, ['push', `${tlsName}/px/app:1`], viaProxy);
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.ok(proxy.lines.length > 0);
    assert.deepEqual(new Set(proxy.lines), new Set([`CONNECT ${tlsName} HTTP/1.1`]));

    // NO_PROXY naming the domain (its subdomains match): strata connects itself, and no DNS knows the name.
    const seen = proxy.lines.length;
    for (const noProxy of ['strata.test', '.strata.test', `registry.strata.test:${securePort}`, '*']) {
      s.ok(['rmi', `${tlsName}/px/app:1`]);
      const direct = await runAsync(s, ['pull', `${tlsName}/px/app:1`], { ...viaProxy, no_proxy: noProxy, NO_PROXY: '' });
      assert.equal(direct.status, 1, `NO_PROXY=${noProxy}: ${direct.stdout}`);
      assert.equal(direct.stderr, `Error: Get "https://${tlsName}/v2/": dial tcp: lookup registry.strata.test: no such host\n`);
      assert.equal(proxy.lines.length, seen, `NO_PROXY=${noProxy} sent nothing through the proxy`);
      // An entry for another port or domain leaves the proxy in use.
      const other = await runAsync(s, ['pull', `${tlsName}/px/app:1`], { ...viaProxy, NO_PROXY: `registry.strata.test:1,other.test,127.0.0.0/8` });
      assert.equal(other.status, 0, other.stderr);
      assert.ok(proxy.lines.length > seen);
      proxy.lines.length = seen;
    }

    // Plain HTTP (an insecure registry) goes through HTTP_PROXY as absolute-URI requests.
    const insecure = { ...viaProxy, HTTPS_PROXY: '', STRATA_INSECURE_REGISTRIES: plainName };
    s.ok(['tag', `${tlsName}/px/app:1`, `${plainName}/px/plain:1`]);
    const plain = await runAsync(s, ['push', `${plainName}/px/plain:1`], insecure);
    assert.equal(plain.status, 0, plain.stderr);
    assert.ok(proxy.lines.includes(`GET http://${plainName}/v2/ HTTP/1.1`), proxy.lines.join('\n'));

    // Loopback registries are never proxied (Go's rule), whatever NO_PROXY says.
    proxy.lines.length = 0;
    s.ok(['tag', `${tlsName}/px/app:1`, `${bed.reg.host}/px/loop:1`]);
    const loop = await runAsync(s, ['push', `${bed.reg.host}/px/loop:1`], viaProxy);
    assert.equal(loop.status, 0, loop.stderr);
    assert.deepEqual(proxy.lines, []);
  } finally {
    await proxy.stop();
    await secure.stop();
  }
});

test('a disk that fills during a pull: Docker\'s "no space left on device", nothing partial in the store, and a pull once space is freed', async () => {
  const name = `${bed.reg.host}/full/app:1`;
  storeWith(name).ok(['push', name]);
  // A store on a 5 MB tmpfs: the 3 MB layer's blob and its files do not both fit.
  const root = mkdtempSync(join(tmpdir(), 'strata-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=5m', 'tmpfs', root]);
  try {
    const s = newStore(root);
    const full = s.run(['pull', name]);
    assert.equal(full.status, 1);
    assert.equal(full.stderr, `Error: write ${root}: no space left on device\n`);
    assert.equal(s.ok(['images', '-a', '-q']), '');
    assert.equal(s.ok(['system', 'check']), 'No problems found\n');
    assert.deepEqual(readdirSync(join(root, 'blobs', 'sha256')), []);
    assert.deepEqual(readdirSync(join(root, 'tmp')), []);

    execFileSync('mount', ['-o', 'remount,size=64m', root]);
    const pulled = s.ok(['pull', name]).trim().split('\n');
    assert.equal(pulled.at(-1), name);
    assert.equal(s.ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), `${name}\n`);
    assert.equal(s.ok(['system', 'check']), 'No problems found\n');
  } finally {
    // The store's cleanup unmounts what is under its root, the tmpfs included, and removes it.
    for (const st of bed.all.filter((x) => x.root === root)) st.cleanup();
  }
});
