/**
 * save and load on both drivers: a rich tree survives save → load into a second store entry by entry;
 * saved layer tars are the exact bytes (sha256 = diffID); OCI layout round trips; real tools (skopeo,
 * umoci) read what strata writes and strata reads what skopeo writes; corrupt and hostile archives fail
 * with a clear error and leave the store as it was.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { extract, pack } from 'tar-stream';
import { Engine } from '../src/engine/index.js';
import { Transfer, type ArchiveFormat } from '../src/engine/transfer.js';
import { snapshotDirs, storeFiles } from './lib/disk.js';
import { tarOf } from './lib/rootfs.js';
import { DRIVERS, testStore } from './lib/strata.js';
import { withoutInit } from './lib/initlayer.js';
import { describeTree, richTree, treeDiff } from './lib/tree.js';

const sha256 = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');
const hex = (d: string): string => d.replace(/^sha256:/, '');
const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

async function bytesOf(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

interface TarEntry { name: string; type: string; data: Buffer; linkname?: string }

async function entriesOf(archive: Buffer): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  const ex = extract();
  Readable.from([archive]).pipe(ex as unknown as NodeJS.WritableStream);
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    out.push({ name: e.header.name, type: e.header.type, data: Buffer.concat(chunks), linkname: e.header.linkname ?? undefined });
  }
  return out;
}

async function tarFrom(entries: TarEntry[]): Promise<Buffer> {
  const p = pack();
  const done = bytesOf(Readable.from(p));
  for (const e of entries) {
    if (e.type === 'file') p.entry({ name: e.name, size: e.data.length }, e.data);
    else p.entry({ name: e.name, type: e.type as 'symlink', linkname: e.linkname });
  }
  p.finalize();
  return done;
}

const entry = (entries: TarEntry[], name: string): TarEntry => {
  const e = entries.find((x) => x.name === name);
  assert.ok(e, `archive has ${name}: ${entries.map((x) => x.name).join(' ')}`);
  return e;
};

const json = (b: Buffer): any => JSON.parse(b.toString()); // eslint-disable-line @typescript-eslint/no-explicit-any

for (const driver of DRIVERS) {
  describe(`save and load on ${driver}`, () => {
    const roots: string[] = [];
    const engines: Engine[] = [];
    let a: Engine;
    let rich: string;
    let baseTar: Buffer;
    let work: string;
    /** What a container of rich:2 sees, described entry by entry. */
    let expected: Map<string, string>;

    const open = async (): Promise<Engine> => {
      const root = mkdtempSync(join(tmpdir(), `strata-saveload-${driver}-`));
      roots.push(root);
      const e = await Engine.open({ root, driver });
      engines.push(e);
      return e;
    };
    const transfer = (e: Engine): Transfer => new Transfer(e.store, e.images, e.layers);
    const save = (e: Engine, refs: string[], format: ArchiveFormat = 'docker'): Promise<Buffer> => bytesOf(transfer(e).save(refs, format));
    /** The image's tree as a new container sees it, less the container's own init layer (its times are the container's). */
    const treeOf = async (e: Engine, image: string): Promise<Map<string, string>> => {
      const id = await e.containers.create({ image, cmd: ['sh'] });
      try {
        return withoutInit(describeTree(e.containers.mount(id)));
      } finally {
        await e.containers.unmount(id);
      }
    };
    /** The store as a user could observe it: image IDs and every file outside the database. */
    const state = (e: Engine): { images: string[]; files: string[] } => ({
      images: e.images.list({ all: true }).map((i) => i.Id).sort(),
      files: storeFiles(e.store.root),
    });

    before(async () => {
      a = await open();
      rich = richTree();
      baseTar = tarOf(rich);
      work = mkdtempSync(join(tmpdir(), 'strata-saveload-work-'));
      await a.images.import(Readable.from([baseTar]), { reference: 'rich:1' });
      // A second layer with a whiteout and an opaque directory, committed from a container.
      const c = await a.containers.create({ image: 'rich:1', name: 'changer', cmd: ['sh'] });
      const merged = a.containers.mount(c);
      rmSync(join(merged, 'srv/old'), { recursive: true });
      rmSync(join(merged, 'etc/deep'), { recursive: true });
      mkdirSync(join(merged, 'etc/deep'));
      writeFileSync(join(merged, 'etc/deep/new'), 'new');
      writeFileSync(join(merged, 'srv/added'), Buffer.alloc(300_000, 9));
      expected = withoutInit(describeTree(merged));
      await a.containers.unmount(c);
      await a.containers.commit(c, { reference: 'rich:2' });
      await a.images.tag('rich:2', 'rich:latest');
    });
    after(async () => {
      for (const e of engines) {
        for (const c of e.store.meta.listContainers()) await e.containers.unmount(c.id);
        e.close();
      }
      for (const d of [...roots, rich, work]) rmSync(d, { recursive: true, force: true });
    });

    test('docker-archive: manifest, config and exact layer bytes (sha256 = diffID)', async () => {
      const img = a.images.inspect('rich:2');
      const entries = await entriesOf(await save(a, ['rich:2']));
      assert.equal(entries[0]!.name, 'manifest.json', 'manifest first, so a streaming reader can place layers as they come');
      const manifest = json(entry(entries, 'manifest.json').data);
      assert.equal(manifest.length, 1);
      assert.deepEqual(manifest[0].RepoTags, ['rich:2']);
      assert.equal(manifest[0].Config, `${hex(img.Id)}.json`);
      const config = entry(entries, manifest[0].Config).data;
      assert.equal(sha256(config), img.Id, 'config bytes are the stored ones: the image ID is kept');
      assert.deepEqual(json(config).rootfs.diff_ids, img.RootFS.Layers);
      assert.equal(manifest[0].Layers.length, 2);
      manifest[0].Layers.forEach((name: string, i: number) => {
        assert.equal(sha256(entry(entries, name).data), img.RootFS.Layers[i], `${name} hashes to its diffID`);
      });
      assert.ok(entry(entries, manifest[0].Layers[0]).data.equals(baseTar), 'the base layer is the imported tar, byte for byte');
      const repositories = json(entry(entries, 'repositories').data);
      assert.deepEqual(Object.keys(repositories.rich), ['2']);
    });

    test('save → load into a second store: same ID, names, layers, and every entry of the tree', async () => {
      const b = await open();
      const archive = await save(a, ['rich:2']);
      const result = await transfer(b).load(Readable.from([archive]));
      const id = a.images.inspect('rich:2').Id;
      assert.deepEqual(result, { images: [{ Id: id, RepoTags: ['rich:2'] }], renamed: [] });
      assert.deepEqual(b.images.inspect('rich:2').RootFS, a.images.inspect('rich:2').RootFS);
      assert.deepEqual(treeDiff(expected, await treeOf(b, 'rich:2')), []);
      // The loaded layers give back the same bytes again.
      assert.ok((await save(b, ['rich:2'])).equals(archive), 'saving the loaded image gives the same archive');
      assert.equal(b.store.meta.listPending().length, 0, 'no layer is left pending');
      assert.deepEqual((await b.system.check()).problems, []);
    });

    test('loading again unpacks nothing: layers already present are reused', async () => {
      const b = await open();
      const archive = await save(a, ['rich:2']);
      await transfer(b).load(Readable.from([archive]));
      const snaps = snapshotDirs(b.store.root, driver);
      const again = await transfer(b).load(Readable.from([gzipSync(archive)]));
      assert.equal(again.images[0]!.Id, a.images.inspect('rich:2').Id);
      assert.deepEqual(snapshotDirs(b.store.root, driver), snaps);
      assert.deepEqual(b.store.meta.listPending(), []);
    });

    test('several images and tags in one archive share their layers; saving a repository saves all its tags', async () => {
      const entries = await entriesOf(await save(a, ['rich']));
      const manifest = json(entry(entries, 'manifest.json').data);
      const tags = manifest.flatMap((m: { RepoTags: string[] }) => m.RepoTags).sort();
      assert.deepEqual(tags, ['rich:1', 'rich:2', 'rich:latest']);
      assert.equal(manifest.length, 2, 'one entry per image, its tags together');
      // Each image names its layers by v1 IDs of its own (Docker 20.10's layout): a tar already in the
      // archive is a symlink to its first copy, so the shared base layer's bytes are written once.
      const layerTars = entries.filter((e) => e.name.endsWith('/layer.tar'));
      const files = layerTars.filter((e) => e.type === 'file');
      assert.equal(files.length, 2, 'the shared base layer is written once');
      for (const link of layerTars.filter((e) => e.type === 'symlink')) {
        assert.ok(files.some((f) => `../${f.name}` === link.linkname), `${link.name} → ${link.linkname}`);
      }
      const b = await open();
      const result = await transfer(b).load(Readable.from([await tarFrom(entries)]));
      assert.deepEqual(result.images.flatMap((i) => i.RepoTags).sort(), ['rich:1', 'rich:2', 'rich:latest']);
      assert.equal(b.store.meta.listLayers().length, 2);
    });

    test('an image saved by ID loads untagged; a name moved from another image is reported', async () => {
      const id = a.images.inspect('rich:1').Id;
      const b = await open();
      const untagged = await transfer(b).load(Readable.from([await save(a, [hex(id).slice(0, 12)])]));
      assert.deepEqual(untagged.images, [{ Id: id, RepoTags: [] }]);
      await b.images.tag(id, 'rich:2');
      const moved = await transfer(b).load(Readable.from([await save(a, ['rich:2'])]));
      assert.deepEqual(moved.renamed, [{ name: 'rich:2', previousId: id }]);
    });

    test('OCI layout: index with names, blobs named by digest, round trip', async () => {
      const img = a.images.inspect('rich:2');
      const archive = await save(a, ['rich:2'], 'oci');
      const entries = await entriesOf(archive);
      assert.deepEqual(json(entry(entries, 'oci-layout').data), { imageLayoutVersion: '1.0.0' });
      for (const e of entries.filter((x) => x.name.startsWith('blobs/sha256/') && x.type === 'file')) {
        assert.equal(sha256(e.data), `sha256:${e.name.slice('blobs/sha256/'.length)}`, `${e.name} hashes to its name`);
      }
      const index = json(entry(entries, 'index.json').data);
      assert.equal(index.manifests.length, 1);
      assert.deepEqual(index.manifests[0].annotations, {
        'io.containerd.image.name': 'docker.io/library/rich:2', 'org.opencontainers.image.ref.name': '2',
      });
      const manifest = json(entry(entries, `blobs/sha256/${hex(index.manifests[0].digest)}`).data);
      assert.equal(manifest.config.digest, img.Id);
      assert.deepEqual(manifest.layers.map((l: { digest: string }) => l.digest), img.RootFS.Layers, 'uncompressed layers: digest = diffID');
      assert.ok(manifest.layers.every((l: { mediaType: string }) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar'));
      // Without manifest.json, the loader reads the OCI index.
      const pure = await tarFrom(entries.filter((e) => e.name !== 'manifest.json'));
      const b = await open();
      const result = await transfer(b).load(Readable.from([pure]));
      assert.deepEqual(result.images, [{ Id: img.Id, RepoTags: ['rich:2'] }]);
      assert.deepEqual(treeDiff(expected, await treeOf(b, 'rich:2')), []);
    });

    test('entries in any order: layers before the manifest are spooled, then placed', async () => {
      const entries = await entriesOf(await save(a, ['rich:2']));
      // Docker writes manifest.json last and layer directories in name order; put the top layer first too.
      const reordered = [...entries].reverse();
      const b = await open();
      const result = await transfer(b).load(Readable.from([await tarFrom(reordered)]));
      assert.equal(result.images[0]!.Id, a.images.inspect('rich:2').Id);
      assert.deepEqual(treeDiff(expected, await treeOf(b, 'rich:2')), []);
      assert.deepEqual(storeFiles(join(b.store.root, 'tmp')), [join(b.store.root, 'tmp')], 'nothing left in tmp/');
    });

    test('strata\'s own archives stream straight into the store; out-of-order ones are spooled under tmp/ and cleaned up', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'strata-big-'));
      writeFileSync(join(dir, 'big'), Buffer.alloc(3 << 20, 5));
      await a.images.import(Readable.from([tarOf(dir)]), { reference: 'big:1' });
      rmSync(dir, { recursive: true, force: true });
      const entries = await entriesOf(await save(a, ['big:1']));
      /** Load, feeding the archive in small pieces and looking for a spool directory between them. */
      const loadWatching = async (archive: Buffer): Promise<boolean> => {
        const b = await open();
        const tmp = join(b.store.root, 'tmp');
        let spooled = false;
        async function* pieces(): AsyncGenerator<Buffer> {
          for (let off = 0; off < archive.length; off += 64 << 10) {
            // A load's spool is named after its process's lock (Store.scratchPath): <lock>.load-<random>.
            spooled ||= readdirSync(tmp).some((f) => /^[a-f0-9]{16}\.load-/.test(f));
            yield archive.subarray(off, off + (64 << 10));
            await new Promise((r) => setImmediate(r));
          }
        }
        const result = await transfer(b).load(Readable.from(pieces()));
        assert.deepEqual(result.images.map((i) => i.RepoTags), [['big:1']]);
        assert.deepEqual(readdirSync(tmp), [], 'nothing left in tmp/');
        return spooled;
      };
      assert.equal(await loadWatching(await tarFrom(entries)), false, 'manifest first: the layer is unpacked as it arrives');
      assert.equal(await loadWatching(await tarFrom([...entries].reverse())), true, 'manifest last: the layer waits in the spool');
    });

    test('classic docker save links a repeated layer.tar to the first copy: accepted as an alias', async () => {
      const entries = await entriesOf(await save(a, ['rich:2']));
      const manifest = json(entry(entries, 'manifest.json').data);
      const [baseName, topName] = manifest[0].Layers as string[];
      const renamed = entries.map((e) => (e.name === topName ? { ...e, name: 'other/layer.tar' } : e))
        .filter((e) => e.name !== topName);
      renamed.push({ name: topName!, type: 'symlink', data: Buffer.alloc(0), linkname: '../other/layer.tar' });
      const b = await open();
      const result = await transfer(b).load(Readable.from([await tarFrom(renamed)]));
      assert.equal(result.images[0]!.Id, a.images.inspect('rich:2').Id);
      assert.ok(baseName);
    });

    test('real tools read what strata writes, and strata reads what skopeo writes', { skip: !has('skopeo') && 'skopeo is not installed' }, async () => {
      const img = a.images.inspect('rich:2');
      const dockerFile = join(work, 'rich.docker.tar');
      const ociFile = join(work, 'rich.oci.tar');
      writeFileSync(dockerFile, await save(a, ['rich:2']));
      writeFileSync(ociFile, await save(a, ['rich:2'], 'oci'));
      const inspect = (ref: string): { Layers: string[]; Digest: string } => JSON.parse(execFileSync('skopeo', ['inspect', ref]).toString());
      const config = (ref: string): string => execFileSync('skopeo', ['inspect', '--raw', '--config', ref]).toString();
      assert.deepEqual(inspect(`docker-archive:${dockerFile}`).Layers, img.RootFS.Layers);
      assert.deepEqual(inspect(`oci-archive:${ociFile}`).Layers, img.RootFS.Layers);
      assert.equal(sha256(Buffer.from(config(`oci-archive:${ociFile}`))), img.Id);
      if (has('umoci')) {
        const layout = join(work, 'layout');
        mkdirSync(layout);
        execFileSync('tar', ['-C', layout, '-xf', ociFile]);
        assert.equal(execFileSync('umoci', ['ls', '--layout', layout]).toString().trim(), '2');
        const stat = execFileSync('umoci', ['stat', '--json', '--image', `${layout}:2`]).toString();
        assert.ok(JSON.parse(stat).history.length >= 2, 'umoci reads the manifest and config');
      }
      // skopeo's own archives: docker-archive with manifest.json last, and OCI with gzip-compressed layers.
      const fromSkopeo = join(work, 'skopeo.docker.tar');
      const gzOci = join(work, 'skopeo.oci-gzip.tar');
      execFileSync('skopeo', ['copy', '-q', `docker-archive:${dockerFile}`, `docker-archive:${fromSkopeo}:acme/rich:copied`]);
      execFileSync('skopeo', ['copy', '-q', '--dest-compress', `docker-archive:${dockerFile}`, `oci-archive:${gzOci}:acme/rich:gz`]);
      for (const [file, name] of [[fromSkopeo, 'acme/rich:copied'], [gzOci, 'acme/rich:gz']] as const) {
        const b = await open();
        const result = await transfer(b).load(Readable.from([readFileSync(file)]));
        assert.deepEqual(result.images.map((i) => i.RepoTags), [[name]], file);
        assert.deepEqual(b.images.inspect(name).RootFS.Layers, img.RootFS.Layers);
        assert.deepEqual(treeDiff(expected, await treeOf(b, name)), [], file);
        assert.deepEqual(storeFiles(join(b.store.root, 'tmp')), [join(b.store.root, 'tmp')], 'spool removed');
      }
    });

    describe('bad archives fail clearly and leave the store as it was', () => {
      let b: Engine;
      let good: TarEntry[];
      let goodOci: TarEntry[];
      let manifest: { Config: string; Layers: string[] }[];
      before(async () => {
        b = await open();
        await b.images.import(Readable.from([baseTar]), { reference: 'present:1' });
        good = await entriesOf(await save(a, ['rich:2']));
        goodOci = await entriesOf(await save(a, ['rich:2'], 'oci'));
        manifest = json(entry(good, 'manifest.json').data);
      });

      const replace = (entries: TarEntry[], name: string, data: Buffer): TarEntry[] => entries.map((e) => (e.name === name ? { ...e, data } : e));
      /** The tar with one byte of the first regular file's content changed: still a valid tar, other bytes. */
      const corruptContent = (tar: Buffer): Buffer => {
        for (let off = 0; off + 512 <= tar.length; ) {
          const size = parseInt(tar.toString('latin1', off + 124, off + 136).replace(/\0.*$/, '').trim() || '0', 8);
          const type = tar.toString('latin1', off + 156, off + 157);
          if ((type === '0' || type === '\0') && size > 0) {
            const d = Buffer.from(tar);
            d[off + 512] = d[off + 512]! ^ 0xff;
            return d;
          }
          off += 512 + Math.ceil(size / 512) * 512;
        }
        throw new Error('no regular file in the layer');
      };

      const failsCleanly = async (archive: Buffer, message: RegExp): Promise<void> => {
        const before = state(b);
        await assert.rejects(transfer(b).load(Readable.from([archive])), (e: Error) => {
          assert.match(e.message, message);
          return true;
        });
        assert.deepEqual(state(b), before);
        assert.deepEqual(b.store.meta.listPending(), []);
      };

      test('truncated, corrupt or not an archive', async () => {
        const whole = await tarFrom(good);
        // Cut inside the top layer's 300 kB file, and inside the first entry (a document): Docker's load's words.
        await failsCleanly(whole.subarray(0, whole.length - 200_000), /^Error processing tar file\(exit status 1\): unexpected EOF$/);
        await failsCleanly(whole.subarray(0, 600), /^Error processing tar file\(exit status 1\): unexpected EOF$/);
        // zlib's own words for the damage depend on where the cut falls in the compressed data.
        await failsCleanly(Buffer.concat([gzipSync(whole).subarray(0, 5000), Buffer.alloc(64, 1)]), /^invalid archive: invalid gzip stream: /);
        await failsCleanly(Buffer.alloc(4096, 'x'), /invalid archive/);
        await failsCleanly(Buffer.alloc(0), /invalid archive: manifest\.json.* is missing/);
      });

      test('missing entries and bad documents', async () => {
        await failsCleanly(await tarFrom(good.filter((e) => e.name !== manifest[0]!.Layers[1])), /invalid archive: .*layer\.tar is missing/);
        await failsCleanly(await tarFrom(good.filter((e) => e.name !== manifest[0]!.Config)), /invalid archive: .*\.json is missing/);
        await failsCleanly(await tarFrom(replace(good, 'manifest.json', Buffer.from('[{"Config": '))), /invalid archive: manifest\.json is not valid JSON/);
        await failsCleanly(await tarFrom(replace(good, 'manifest.json', Buffer.from('{"a": 1}'))), /invalid archive: manifest\.json is not a list/);
        const oneLayer = JSON.stringify([{ ...manifest[0], Layers: manifest[0]!.Layers.slice(0, 1) }]);
        await failsCleanly(await tarFrom(replace(good, 'manifest.json', Buffer.from(oneLayer))), /lists 1 layers .* config has 2 diff_ids/);
        const badName = JSON.stringify([{ ...manifest[0], RepoTags: ['Not A Name'] }]);
        await failsCleanly(await tarFrom(replace(good, 'manifest.json', Buffer.from(badName))), /invalid archive: image name "Not A Name"/);
      });

      test('a layer that does not match its diffID, after the first layer was already unpacked', async () => {
        const top = manifest[0]!.Layers[1]!;
        const data = entry(good, top).data;
        // Change file content inside the tar (past the first header), so it is a valid tar with other bytes.
        await failsCleanly(await tarFrom(replace(good, top, corruptContent(data))), /invalid archive: layer .* does not match the image config/);
      });

      test('OCI blobs that do not match their digests', async () => {
        const index = json(entry(goodOci, 'index.json').data);
        const manifestName = `blobs/sha256/${hex(index.manifests[0].digest)}`;
        const withoutDockerManifest = goodOci.filter((e) => e.name !== 'manifest.json');
        const layer = json(entry(goodOci, manifestName).data).layers[1].digest as string;
        await failsCleanly(await tarFrom(replace(withoutDockerManifest, `blobs/sha256/${hex(layer)}`, corruptContent(entry(goodOci, `blobs/sha256/${hex(layer)}`).data))),
          /invalid archive: .*does not match/);
        await failsCleanly(await tarFrom(replace(withoutDockerManifest, manifestName, Buffer.from(entry(goodOci, manifestName).data.toString() + ' '))),
          /invalid archive: .* does not match its digest/);
      });

      test('hostile names, links and entry types in the archive', async () => {
        const evil = (name: string, extra: Partial<TarEntry> = {}): Promise<Buffer> =>
          tarFrom([...good, { name, type: 'file', data: Buffer.from('x'), ...extra }]);
        await failsCleanly(await evil('../escape'), /invalid archive: entry "\.\.\/escape" points outside the archive/);
        await failsCleanly(await evil('a/../../escape'), /points outside the archive/);
        await failsCleanly(await evil('/etc/escape'), /absolute name/);
        await failsCleanly(await evil('link', { type: 'symlink', linkname: '../../etc/passwd' }), /link "link" points outside the archive/);
        await failsCleanly(await evil('link', { type: 'symlink', linkname: '/etc/passwd' }), /points to an absolute path/);
        await failsCleanly(await evil('fifo', { type: 'fifo' }), /is a fifo; an image archive holds only files, directories and links/);
        await failsCleanly(await evil('manifest.json'), /"manifest\.json" appears twice/);
        // A layer path redirected through a link to a file outside the archive is refused before anything is read.
        const redirected = good.filter((e) => e.name !== manifest[0]!.Layers[1]);
        redirected.push({ name: manifest[0]!.Layers[1]!, type: 'symlink', data: Buffer.alloc(0), linkname: '../../../../etc/shadow' });
        await failsCleanly(await tarFrom(redirected), /points outside the archive/);
        assert.ok(!existsSync(join(b.store.root, '..', 'escape')));
      });
    });

    test('CLI: save -o, load -i and from stdin, docker\'s messages, errors leave no file', () => {
      const s = testStore(driver);
      try {
        s.ok(['import', '-', 'cli:1'], baseTar);
        const file = join(work, `cli-${driver}.tar`);
        s.ok(['save', '-o', file, 'cli:1']);
        const other = testStore(driver);
        try {
          assert.equal(other.ok(['load', '-i', file]), 'Loaded image: cli:1\n');
          assert.equal(other.ok(['load', '-q'], readFileSync(file)), 'Loaded image: cli:1\n');
          const id = other.ok(['images', '-q', '--no-trunc']).trim();
          const byIdFile = join(work, `cli-${driver}-id.tar`);
          other.ok(['save', '-o', byIdFile, id.slice(7, 19)]);
          assert.equal(testLoad(byIdFile, driver), `Loaded image ID: ${id}\n`);
          const oci = join(work, `cli-${driver}.oci.tar`);
          other.ok(['image', 'save', '--format', 'oci', '-o', oci, 'cli:1']);
          assert.equal(testLoad(oci, driver), 'Loaded image: cli:1\n');
        } finally {
          other.cleanup();
        }
        if (has('script')) {
          // On a terminal, save refuses to write binary (docker's words); script(1) gives the command a pty.
          const cmd = `bin/strata --root ${s.root} --storage-driver ${driver} save cli:1; echo "exit=$?"`;
          const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: join(import.meta.dirname, '..') }).stdout.toString();
          assert.match(tty, /Error: cowardly refusing to save to a terminal\. Use the -o flag or redirect/);
          assert.match(tty, /exit=1/);
        }
        const missing = join(work, 'never.tar');
        const r = s.run(['save', '-o', missing, 'nosuch:image']);
        assert.equal(r.status, 1);
        // Docker's save: a tag its reference store lacks is 'reference does not exist'; a bare name is named as given.
        assert.equal(r.stderr, 'Error: reference does not exist\n');
        assert.ok(!existsSync(missing), 'no output file for a failed save');
        assert.deepEqual([s.run(['save', '-o', missing, 'cli:1', 'nosuch']).stderr, existsSync(missing)], ['Error: No such image: nosuch\n', false]);
        const bad = s.run(['save', '--format', 'zip', '-o', missing, 'cli:1']);
        assert.equal(bad.status, 1);
        assert.equal(bad.stderr, 'Error: invalid --format "zip": use docker or oci\n');
        const nofile = s.run(['load', '-i', join(work, 'nope.tar')]);
        assert.equal(nofile.status, 1);
        assert.equal(nofile.stderr, `Error: open ${join(work, 'nope.tar')}: no such file or directory\n`);
        const corrupt = s.run(['load'], Buffer.alloc(2048, 'z'));
        assert.equal(corrupt.status, 1);
        assert.equal(corrupt.stderr, 'Error: invalid archive: Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?\n');
      } finally {
        s.cleanup();
      }
    });
  });
}

function testLoad(file: string, driver: string): string {
  const s = testStore(driver);
  try {
    return s.ok(['load', '-i', file]);
  } finally {
    s.cleanup();
  }
}
