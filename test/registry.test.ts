/**
 * Pull and push against Debian's real docker-registry on 127.0.0.1, through the CLI as a user runs it:
 * round trips that keep diffIDs and image IDs, pull by digest, skopeo both ways (OCI and Docker manifests,
 * a two-platform index, zstd layers), Basic auth with an htpasswd user, a Bearer token server of the
 * test's own with a redirecting blob host, and faults (a cut connection resumed with Range, 5xx/429
 * retried, 401/404, a wrong byte, a registry that is down, SIGKILL midway): each a clear error, nothing
 * partial in the store, and a retry that succeeds.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dockerArchive, sha256 } from './lib/archive.js';
import { startDockerd } from './lib/dockerd.js';
import { cutAfter, registryTestbed, runAsync, sampleImage, startProxy, startRegistry } from './lib/registry.js';
import { buildTar } from './lib/tarbuild.js';
import { exited, type TestStore } from './lib/strata.js';

const DRIVER = 'overlay2';
const work = mkdtempSync(join(tmpdir(), 'strata-registry-test-'));
process.env.DOCKER_CONFIG = join(work, 'docker-config');
process.env.STRATA_REGISTRY_RETRY_DELAY = '1';

/** Three layers: a small base, 5 MB that do not compress (two members for the parallel gzip), a top file. */
const { config: CONFIG, layers: LAYERS } = sampleImage('registry-test', 5 << 20);
const bed = registryTestbed(DRIVER, { config: CONFIG, layers: LAYERS }, work);
const { newStore, storeWith } = bed;

const inspect = (s: TestStore, ref: string): { Id: string; RootFS: { Layers: string[] }; RepoDigests: string[] } =>
  JSON.parse(s.ok(['image', 'inspect', ref]))[0];

/** Nothing of a failed pull is visible: no image, no layer, no blob, no scratch file once the next command swept. */
function assertNothingPartial(s: TestStore): void {
  assert.equal(s.ok(['images', '-a', '-q']), '');
  const check = s.run(['system', 'check']);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.deepEqual(readdirSync(join(s.root, 'blobs', 'sha256')), []);
  assert.deepEqual(readdirSync(join(s.root, 'tmp')), []);
  assert.equal(execFileSync('sqlite3', [join(s.root, 'strata.db'), 'SELECT count(*) FROM layers']).toString().trim(), '0');
}

test('push, rmi, pull: the same image ID and diffIDs, Docker\'s lines, RepoDigests, and a re-push sends nothing', () => {
  const name = `${bed.reg.host}/rt/app:1`;
  const s = storeWith(name);
  const before = inspect(s, name);
  const pushed = s.ok(['push', name]);
  const lines = pushed.trim().split('\n');
  assert.equal(lines[0], `The push refers to repository [${bed.reg.host}/rt/app]`);
  assert.equal(lines.filter((l) => /^[0-9a-f]{12}: Preparing$/.test(l)).length, 3);
  assert.equal(lines.filter((l) => /^[0-9a-f]{12}: Pushed$/.test(l)).length, 3);
  const m = /^1: digest: (sha256:[0-9a-f]{64}) size: (\d+)$/.exec(lines.at(-1)!);
  assert.ok(m, pushed);
  const digest = m[1]!;

  s.ok(['rmi', name]);
  const pulled = s.ok(['pull', name]).trim().split('\n');
  assert.equal(pulled[0], `1: Pulling from rt/app`);
  assert.equal(pulled.filter((l) => l.endsWith(': Pulling fs layer')).length, 3);
  assert.equal(pulled.filter((l) => l.endsWith(': Pull complete')).length, 3);
  assert.deepEqual(pulled.slice(-3), [`Digest: ${digest}`, `Status: Downloaded newer image for ${name}`, name]);
  const after = inspect(s, name);
  assert.equal(after.Id, before.Id);
  assert.deepEqual(after.RootFS.Layers, before.RootFS.Layers);
  assert.deepEqual(after.RepoDigests, [`${bed.reg.host}/rt/app@${digest}`]);
  assert.match(s.ok(['images', '--digests', `${bed.reg.host}/rt/app`]), new RegExp(`${bed.reg.host}/rt/app\\s+1\\s+${digest}`));
  assert.deepEqual(s.ok(['history', '-q', name]).trim().split('\n'), [before.Id.slice(7, 19), '<missing>', '<missing>']);

  // Pulled blobs are kept: a push to another repository sends the very same bytes (same digest).
  const again = s.ok(['pull', name]).trim().split('\n');
  assert.deepEqual(again.slice(1), [`Digest: ${digest}`, `Status: Image is up to date for ${name}`, name]);
  const repush = s.ok(['push', name]).trim().split('\n');
  assert.equal(repush.filter((l) => l.endsWith(': Layer already exists')).length, 3);
  assert.equal(repush.at(-1), `1: digest: ${digest} size: ${m[2]}`);
  s.ok(['tag', name, `${bed.reg.host}/rt/copy:1`]);
  const mounted = s.ok(['push', `${bed.reg.host}/rt/copy:1`]).trim().split('\n');
  assert.equal(mounted.filter((l) => l.endsWith(': Mounted from rt/app')).length, 3, mounted.join('\n'));
  assert.equal(mounted.at(-1), `1: digest: ${digest} size: ${m[2]}`);

  // Removing the image removes its kept blobs.
  s.ok(['rmi', name, `${bed.reg.host}/rt/copy:1`]);
  assert.deepEqual(readdirSync(join(s.root, 'blobs', 'sha256')), []);

  // skopeo reads what strata pushed.
  const sk = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${name}`]).toString()) as { Digest: string; Layers: string[] };
  assert.equal(sk.Digest, digest);
  assert.equal(sk.Layers.length, 3);
  const ociDir = join(work, 'oci-copy');
  execFileSync('skopeo', ['copy', '--src-tls-verify=false', `docker://${name}`, `oci:${ociDir}:x`]);
  assert.ok(existsSync(join(ociDir, 'index.json')));
});

test('pull by digest: an untagged image with its digest; an unknown tag and an absent registry are clear errors', () => {
  const name = `${bed.reg.host}/rt/bydigest:1`;
  const src = storeWith(name);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(src.ok(['push', name]))![1]!;
  const s = newStore();
  const ref = `${bed.reg.host}/rt/bydigest@${digest}`;
  const out = s.ok(['pull', ref]).trim().split('\n');
  assert.equal(out[0], `${digest}: Pulling from rt/bydigest`);
  assert.deepEqual(out.slice(-2), [`Status: Downloaded newer image for ${ref}`, ref]);
  assert.match(s.ok(['images', '--digests']), new RegExp(`${bed.reg.host}/rt/bydigest\\s+<none>\\s+${digest}`));
  assert.equal(inspect(s, ref).Id, inspect(src, name).Id);

  const missing = s.run(['pull', `${bed.reg.host}/rt/nosuch`]);
  assert.equal(missing.status, 1);
  // As Docker 20.10: nothing is said of a name the registry lacks before the error.
  assert.equal(missing.stdout, 'Using default tag: latest\n');
  assert.equal(missing.stderr, `Error: manifest for ${bed.reg.host}/rt/nosuch:latest not found: manifest unknown: manifest unknown\n`);
  const absent = s.run(['push', `${bed.reg.host}/rt/absent:3`]);
  assert.equal(absent.status, 1);
  assert.equal(absent.stdout, `The push refers to repository [${bed.reg.host}/rt/absent]\n`);
  assert.equal(absent.stderr, `Error: An image does not exist locally with the tag: ${bed.reg.host}/rt/absent\n`);
  const down = s.run(['pull', '127.0.0.1:1/x:1']);
  assert.equal(down.status, 1);
  assert.match(down.stderr, /^Error: Get "http:\/\/127\.0\.0\.1:1\/v2\/": .*connection refused/);
});

test('strata pulls what skopeo pushes: OCI and Docker manifests, zstd layers, a two-platform index', () => {
  const s = newStore();
  const archive = join(work, 'image.tar');
  writeFileSync(archive, dockerArchive([{ config: CONFIG, layers: LAYERS, repoTags: ['x:1'] }]));
  const diffIds = LAYERS.map((l) => sha256(l));
  // Layers of its own for zstd: skopeo reuses a registry's blobs of the same layers rather than compress again.
  const zstdLayers = [buildTar([{ name: 'z', body: randomBytes(1 << 20) }]), buildTar([{ name: 'zz', body: 'zstd\n' }])];
  const zstdArchive = join(work, 'zstd.tar');
  writeFileSync(zstdArchive, dockerArchive([{ config: { ...CONFIG, history: undefined }, layers: zstdLayers, repoTags: ['z:1'] }]));
  const cases: [string, string, string[], string[]][] = [
    ['docker', archive, diffIds, ['--format', 'v2s2']],
    ['oci', archive, diffIds, ['--format', 'oci']],
    ['zstd', zstdArchive, zstdLayers.map((l) => sha256(l)), ['--format', 'oci', '--dest-compress', '--dest-compress-format', 'zstd']],
  ];
  for (const [tag, file, layers, flags] of cases) {
    execFileSync('skopeo', ['copy', '--dest-tls-verify=false', ...flags, `docker-archive:${file}`, `docker://${bed.reg.host}/sk/${tag}:1`]);
    s.ok(['pull', `${bed.reg.host}/sk/${tag}:1`]);
    assert.deepEqual(inspect(s, `${bed.reg.host}/sk/${tag}:1`).RootFS.Layers, layers, tag);
  }
  const manifest = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${bed.reg.host}/sk/zstd:1`]).toString());
  assert.ok(manifest.layers.every((l: { mediaType: string }) => l.mediaType.endsWith('+zstd')));

  // An OCI layout with two platforms: the host's is chosen, --platform picks the other, a third is refused.
  const layout = join(work, 'two-platforms');
  execFileSync('skopeo', ['copy', '--format', 'oci', `docker-archive:${archive}`, `oci:${layout}:x`]);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const amd = index.manifests[0];
  const blob = (d: string): string => join(layout, 'blobs', 'sha256', d.slice(7));
  const armManifest = JSON.parse(readFileSync(blob(amd.digest), 'utf8'));
  const armConfig = Buffer.from(JSON.stringify({ ...JSON.parse(readFileSync(blob(armManifest.config.digest), 'utf8')), architecture: 'arm64', variant: 'v8' }));
  writeFileSync(blob(sha256(armConfig)), armConfig);
  armManifest.config = { ...armManifest.config, digest: sha256(armConfig), size: armConfig.length };
  const armBytes = Buffer.from(JSON.stringify(armManifest));
  writeFileSync(blob(sha256(armBytes)), armBytes);
  const both = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [
    { mediaType: amd.mediaType, digest: amd.digest, size: amd.size, platform: { os: 'linux', architecture: 'amd64' } },
    { mediaType: amd.mediaType, digest: sha256(armBytes), size: armBytes.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { mediaType: amd.mediaType, digest: amd.digest, size: amd.size, platform: { os: 'unknown', architecture: 'unknown' },
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
  ] };
  const indexBytes = Buffer.from(JSON.stringify(both));
  writeFileSync(blob(sha256(indexBytes)), indexBytes);
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: both.mediaType, digest: sha256(indexBytes), size: indexBytes.length, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }] }));
  execFileSync('skopeo', ['copy', '--dest-tls-verify=false', '--multi-arch', 'all', `oci:${layout}:multi`, `docker://${bed.reg.host}/sk/multi:1`]);
  const out = s.ok(['pull', `${bed.reg.host}/sk/multi:1`]);
  assert.match(out, new RegExp(`Digest: ${sha256(indexBytes)}`));
  assert.equal(JSON.parse(s.ok(['image', 'inspect', `${bed.reg.host}/sk/multi:1`]))[0].Architecture, 'amd64');
  s.ok(['pull', '--platform', 'linux/arm64', `${bed.reg.host}/sk/multi:1`]);
  assert.equal(JSON.parse(s.ok(['image', 'inspect', `${bed.reg.host}/sk/multi:1`]))[0].Architecture, 'arm64');
  const none = s.run(['pull', '--platform', 'linux/s390x', `${bed.reg.host}/sk/multi:1`]);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /^Error: no matching manifest for linux\/s390x in the manifest list entries\n$/);
});

test('Basic auth: login checks and stores Docker\'s config.json, push and pull use it, logout removes it', async () => {
  const secured = await startRegistry({ user: { name: 'alice', password: 's3cret' } });
  try {
    const name = `${secured.host}/auth/app:1`;
    const s = storeWith(name);
    const denied = s.run(['push', name]);
    assert.equal(denied.status, 1);
    assert.match(denied.stderr, /denied|unauthorized/);
    const wrong = s.run(['login', '-u', 'alice', '--password-stdin', secured.host], 'nope\n');
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /401 Unauthorized/);
    const ok = s.run(['login', '-u', 'alice', '-p', 's3cret', secured.host]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, 'Login Succeeded\n');
    assert.equal(ok.stderr, 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    const config = JSON.parse(readFileSync(join(process.env.DOCKER_CONFIG!, 'config.json'), 'utf8'));
    assert.equal(Buffer.from(config.auths[secured.host].auth, 'base64').toString(), 'alice:s3cret');
    s.ok(['push', name]);
    s.ok(['rmi', name]);
    s.ok(['pull', name]);
    assert.equal(s.ok(['logout', secured.host]), `Removing login credentials for ${secured.host}\n`);
    assert.equal(s.ok(['logout', secured.host]), `Not logged in to ${secured.host}\n`);
    s.ok(['rmi', name]);
    const anonymous = s.run(['pull', name]);
    assert.equal(anonymous.status, 1);
  } finally {
    await secured.stop();
  }
});

test('Bearer tokens from the WWW-Authenticate realm, refreshed when they expire; a blob redirect to another host gets no credentials', async () => {
  const tokens: { scope: string[]; basic: string | null }[] = [];
  let issued = 0;
  const cdnAuth: (string | null)[] = [];
  const cdn = Bun.serve({
    port: 0, hostname: '127.0.0.1',
    async fetch(req) {
      cdnAuth.push(req.headers.get('authorization'));
      return fetch(`http://${bed.reg.host}${new URL(req.url).pathname}`);
    },
  });
  const valid = new Map<string, number>();
  const proxy = startProxy(bed.reg.host, {
    intercept(req, url) {
      if (url.pathname === '/token') {
        tokens.push({ scope: url.searchParams.getAll('scope'), basic: req.headers.get('authorization') });
        const token = `tok-${++issued}`;
        valid.set(token, Date.now() + 1000);
        return Response.json({ token, expires_in: 1 });
      }
      const auth = req.headers.get('authorization') ?? '';
      const token = auth.replace(/^Bearer /, '');
      if (!(valid.get(token)! > Date.now())) {
        return new Response('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', {
          status: 401, headers: { 'WWW-Authenticate': `Bearer realm="http://${proxyHost()}/token",service="test-registry"`, 'Content-Type': 'application/json' },
        });
      }
      // Blobs are served by another host, as a registry's storage backend does.
      if (req.method === 'GET' && /\/blobs\/sha256:/.test(url.pathname)) {
        return new Response(null, { status: 307, headers: { Location: `http://localhost:${cdn.port}${url.pathname}` } });
      }
      return undefined;
    },
  });
  const proxyHost = (): string => proxy.host;
  try {
    const name = `${proxy.host}/tok/app:1`;
    const s = storeWith(name);
    writeFileSync(join(process.env.DOCKER_CONFIG!, 'config.json'), JSON.stringify({ auths: { [proxy.host]: { auth: Buffer.from('bob:pw').toString('base64') } } }));
    const pushed = await runAsync(s, ['push', name]);
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.ok(tokens.some((t) => t.scope.includes('repository:tok/app:pull,push')), JSON.stringify(tokens));
    assert.ok(tokens.every((t) => t.basic === `Basic ${Buffer.from('bob:pw').toString('base64')}`));
    s.ok(['rmi', name]);
    await new Promise((r) => setTimeout(r, 1100)); // the tokens expire
    const before = issued;
    const pulled = await runAsync(s, ['pull', name]);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.ok(issued > before);
    assert.ok(tokens.some((t) => t.scope.includes('repository:tok/app:pull')));
    assert.ok(cdnAuth.length >= 4, 'the config and the layers came from the other host');
    assert.deepEqual(cdnAuth.filter((a) => a !== null), []);
  } finally {
    proxy.stop();
    cdn.stop(true);
    rmSync(join(process.env.DOCKER_CONFIG!, 'config.json'), { force: true });
  }
});

test('faults: a cut connection resumes with Range; 500 and 429 are retried; 401/404 fail clearly; a wrong byte stores nothing', async () => {
  const name = `${bed.reg.host}/fault/app:1`;
  const src = storeWith(name);
  src.ok(['push', name]);
  const big = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${name}`]).toString()).layers
    .reduce((a: { size: number; digest: string }, b: { size: number; digest: string }) => (a.size > b.size ? a : b));
  let mode = '';
  let cuts = 0;
  let failures = 0;
  const proxy = startProxy(bed.reg.host, {
    intercept(_req, url) {
      if (mode === '500' && url.pathname.includes('/manifests/') && failures++ < 2) return new Response('boom', { status: 500 });
      if (mode === '429' && url.pathname.includes('/manifests/') && failures++ < 1) return new Response('slow down', { status: 429, headers: { 'Retry-After': '1' } });
      if (mode === '401' && url.pathname.includes('/manifests/')) return new Response('{"errors":[{"code":"DENIED","message":"no"}]}', { status: 401 });
      if (mode === '404' && url.pathname.includes('/blobs/')) return new Response('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}', { status: 404, headers: { 'Content-Type': 'application/json' } });
      return undefined;
    },
    async shape(req, url, res) {
      if (!url.pathname.endsWith(big.digest) || req.method !== 'GET') return res;
      if (mode === 'cut' && cuts++ === 0) return cutAfter(res, 1 << 20);
      if (mode === 'corrupt') {
        const bytes = Buffer.from(await res.arrayBuffer());
        bytes[bytes.length >> 1] ^= 1;
        return new Response(bytes, { status: res.status, headers: res.headers });
      }
      return res;
    },
  });
  try {
    const ref = `${proxy.host}/fault/app:1`;
    const s = newStore();
    const pull = () => runAsync(s, ['pull', ref]);

    mode = 'corrupt';
    const corrupt = await pull();
    assert.equal(corrupt.status, 1);
    assert.match(corrupt.stderr, new RegExp(`^Error: filesystem layer verification failed for digest ${big.digest}`));
    assertNothingPartial(s);

    mode = '401';
    const unauthorized = await pull();
    assert.equal(unauthorized.status, 1);
    assert.match(unauthorized.stderr, /^Error: pull access denied for /);
    mode = '404';
    const gone = await pull();
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /blob unknown to registry/);
    assertNothingPartial(s);

    mode = 'cut';
    const cut = await pull();
    assert.equal(cut.status, 0, cut.stderr);
    assert.match(cut.stdout, /Retrying in 1 second/);
    const ranged = proxy.requests.filter((r) => r.path.endsWith(big.digest) && r.headers.get('range'));
    assert.deepEqual(ranged.map((r) => r.headers.get('range')), [`bytes=${1 << 20}-`]);
    assert.equal(inspect(s, ref).Id, inspect(src, name).Id);
    s.ok(['rmi', ref]);

    for (const m of ['500', '429']) {
      mode = m;
      failures = 0;
      const retried = await pull();
      assert.equal(retried.status, 0, retried.stderr);
      assert.ok(failures > 1);
      s.ok(['rmi', ref]);
    }
  } finally {
    proxy.stop();
  }
});

test('SIGKILL of a pull midway leaves nothing visible, and the pull then succeeds', async () => {
  const name = `${bed.reg.host}/kill/app:1`;
  storeWith(name).ok(['push', name]);
  const proxy = startProxy(bed.reg.host, {
    shape(req, url, res) {
      if (req.method !== 'GET' || !url.pathname.includes('/blobs/')) return res;
      // Slow: 64 kB every 50 ms, so the kill lands mid-download.
      const reader = res.body!.getReader();
      let held = Buffer.alloc(0);
      return new Response(new ReadableStream({
        async pull(c) {
          if (held.length === 0) {
            const { done, value } = await reader.read();
            if (done) { c.close(); return; }
            held = Buffer.from(value);
          }
          await new Promise((r) => setTimeout(r, 50));
          c.enqueue(held.subarray(0, 65536));
          held = held.subarray(65536);
        },
      }), { status: res.status, headers: res.headers });
    },
  });
  try {
    const s = newStore();
    const p = s.spawn(['pull', `${proxy.host}/kill/app:1`]);
    await new Promise((r) => setTimeout(r, 1500));
    p.kill('SIGKILL');
    await exited(p);
    assertNothingPartial(s);
    const again = await runAsync(s, ['pull', `${proxy.host}/kill/app:1`]);
    assert.equal(again.status, 0, again.stderr);
  } finally {
    proxy.stop();
  }
});

test('a mount the registry answers with 202 (the source lost the blob) still uploads the kept blob', async () => {
  const name = `${bed.reg.host}/mnt/src:1`;
  storeWith(name).ok(['push', name]);
  const s = newStore();
  s.ok(['pull', name]);
  const layers = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${name}`]).toString()).layers as { digest: string }[];
  // The source repository forgets its blobs: a mount from it can only open an upload.
  for (const l of layers) assert.equal((await fetch(`http://${bed.reg.host}/v2/mnt/src/blobs/${l.digest}`, { method: 'DELETE' })).status, 202);
  s.ok(['tag', name, `${bed.reg.host}/mnt/dst:1`]);
  const out = s.ok(['push', `${bed.reg.host}/mnt/dst:1`]);
  assert.equal(out.split('\n').filter((l) => l.endsWith(': Pushed')).length, 3, out);
  const copied = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${bed.reg.host}/mnt/dst:1`]).toString()).layers as { digest: string }[];
  assert.deepEqual(copied.map((l) => l.digest), layers.map((l) => l.digest));
});

test('Docker pulls what strata pushes (multi-member gzip from the parallel compressor included)', async () => {
  const name = `${bed.reg.host}/registry-docker/app:1`;
  const s = storeWith(name);
  s.ok(['push', name]);
  const dockerd = await startDockerd();
  try {
    const pulled = dockerd.docker(['pull', '-q', name]);
    assert.equal(pulled.status, 0, pulled.stderr);
    const layers = dockerd.docker(['inspect', '-f', '{{json .RootFS.Layers}}', name]).stdout;
    assert.deepEqual(JSON.parse(layers), inspect(s, name).RootFS.Layers);
  } finally {
    await dockerd.stop();
  }
});

test('run and create of an absent image pull it first', () => {
  const name = `${bed.reg.host}/auto/app:1`;
  storeWith(name).ok(['push', name]);
  const s = newStore();
  const r = s.run(['create', name]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^[0-9a-f]{64}\n$/);
  assert.match(r.stderr, new RegExp(`^Unable to find image '${name}' locally\n1: Pulling from auto/app\n`));
  assert.match(r.stderr, /Status: Downloaded newer image for /);
  const absent = s.run(['create', `${bed.reg.host}/auto/nosuch:1`]);
  assert.equal(absent.status, 1);
  assert.match(absent.stderr, /manifest unknown/);
});

test('build pulls a FROM image the store lacks, as the classic builder does, and --pull asks the registry again', () => {
  const name = `${bed.reg.host}/build/base:1`;
  storeWith(name).ok(['push', name]);
  const s = newStore();
  const ctx = join(work, 'build-ctx');
  mkdirSync(ctx, { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), `FROM ${name}\nCMD ["/x"]\n`);
  const out = s.ok(['build', '-t', 'built:1', ctx]).split('\n');
  const from = out.indexOf(`Step 1/2 : FROM ${name}`);
  assert.equal(out[from + 1], '1: Pulling from build/base', out.join('\n'));
  assert.ok(out.includes(`Status: Downloaded newer image for ${name}`), out.join('\n'));
  assert.match(out[out.indexOf('Step 2/2 : CMD ["/x"]') - 1]!, /^ ---> [0-9a-f]{12}$/);
  assert.deepEqual(inspect(s, 'built:1').RootFS.Layers, inspect(s, name).RootFS.Layers, 'the built image is on the pulled one');
  const again = s.ok(['build', '--pull', '-t', 'built:1', ctx]);
  assert.match(again, new RegExp(`Status: Image is up to date for ${name.replace(/[.]/g, '\\.')}\\n`));
  assert.match(again, / ---> Using cache\n/);
});
