/**
 * Images at the edges Docker draws, through the CLI on both drivers: configs without the optional
 * `created`, the 125-layer depth limit, names that read as image IDs, and config blobs going with the
 * images that used them.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import { dockerArchive, oneFileLayers } from './lib/archive.js';
import { storeFiles } from './lib/disk.js';
import { DRIVERS, testStore, type TestStore } from './lib/strata.js';
import { INIT_TOP } from './lib/initlayer.js';
import { buildTar } from './lib/tarbuild.js';

const HEX64 = '0123456789abcdef'.repeat(4);
const noCreated = { architecture: 'amd64', os: 'linux' };
const baseConfig = { ...noCreated, created: '2024-01-01T00:00:00Z' };

async function entryNames(tar: Buffer): Promise<string[]> {
  const names: string[] = [];
  const ex = extract();
  Readable.from([tar]).pipe(ex as unknown as NodeJS.WritableStream);
  for await (const e of ex) {
    names.push(e.header.name);
    e.resume();
  }
  return names;
}

/** Run a command that must fail with exactly `message` on stderr, and check the store is as before. */
function failsCleanly(s: TestStore, args: string[], message: string | RegExp, input?: Buffer): void {
  const images = s.ok(['images', '-a', '-q', '--no-trunc']);
  const files = storeFiles(s.root);
  const r = s.run(args, input);
  if (typeof message === 'string') assert.equal(r.stderr, `Error: ${message}\n`);
  else assert.match(r.stderr, message);
  assert.equal(r.status, 1);
  assert.deepEqual(storeFiles(s.root), files, 'the store files are as before (no layer, no blob)');
  assert.equal(s.ok(['images', '-a', '-q', '--no-trunc']), images);
}

for (const driver of DRIVERS) {
  describe(`images at Docker's edges on ${driver}`, () => {
    let s: TestStore;
    beforeEach(() => { s = testStore(driver); });
    afterEach(() => s.cleanup());

    test('a config without the optional created loads: CREATED is N/A in the table and empty in a template, as Docker 20.10 shows it', () => {
      const archive = dockerArchive([{ config: noCreated, layers: oneFileLayers(1), repoTags: ['nocreated:1'] }]);
      assert.equal(s.ok(['load'], archive), 'Loaded image: nocreated:1\n');
      assert.equal(s.ok(['images', '--format', '{{.Repository}}:{{.Tag}} [{{.CreatedSince}}]']), 'nocreated:1 []\n');
      assert.match(s.ok(['images', 'nocreated']).split('\n')[1]!, /^nocreated\s+1\s+[a-f0-9]{12}\s+N\/A\s+2B$/);
      assert.equal(s.ok(['inspect', '-f', '[{{.Created}}]', 'nocreated:1']), '[]\n');
      const id = s.ok(['create', 'nocreated:1', 'sh']).trim();
      assert.equal(readFileSync(join(s.ok(['mount', id]).trim(), 'l0'), 'utf8'), '0\n');
      assert.equal(s.ok(['system', 'check']).trim(), 'No problems found');
    });

    test('a config whose created is not a time is refused and leaves nothing behind', () => {
      const archive = dockerArchive([{ config: { ...baseConfig, created: { year: 2024 } }, layers: oneFileLayers(1), repoTags: ['badcreated:1'] }]);
      failsCleanly(s, ['load'], /^Error: invalid archive: [a-f0-9]{64}\.json: invalid image config: created is not a time: \{"year":2024\}\n$/, archive);
    });

    test('a name given as 64 hex digits is refused, as Docker 20.10 refuses it; with a tag or a domain it is a name', () => {
      s.ok(['import', '-', 'img:1'], buildTar([{ name: 'f', body: 'x' }]));
      const refusal = `invalid repository name (${HEX64}), cannot specify 64-byte hexadecimal strings`;
      // docker tag says which name it could not read (checked side by side).
      failsCleanly(s, ['tag', 'img:1', HEX64], `Error parsing reference: "${HEX64}" is not a valid repository/tag: ${refusal}`);
      failsCleanly(s, ['import', '-', HEX64], refusal, buildTar([{ name: 'g', body: 'y' }]));
      // Docker accepts these spellings (checked side by side): the string as given is no image ID.
      const id = s.ok(['inspect', '-f', '{{.Id}}', 'img:1']);
      for (const name of [`${HEX64}:v1`, `docker.io/library/${HEX64}`, `acme/${HEX64}:v1`]) {
        s.ok(['tag', 'img:1', name]);
        assert.equal(s.ok(['inspect', '-f', '{{.Id}}', name]), id, name);
      }
    });

    test('rmi and image prune -a delete a config blob with the last image that uses it', () => {
      const blob = (id: string): string => join(s.root, 'blobs', 'sha256', id.trim().slice(7));
      const secret = s.ok(['import', '-c', 'ENV DB_PASSWORD=hunter2', '-', 'secret:1'], buildTar([{ name: 'f', body: 'x' }])).trim();
      assert.match(readFileSync(blob(secret), 'utf8'), /DB_PASSWORD=hunter2/);
      s.ok(['tag', 'secret:1', 'secret:2']);
      assert.equal(s.ok(['rmi', 'secret:1']), 'Untagged: secret:1\n');
      assert.ok(existsSync(blob(secret)), 'the image still has a name: its config stays');
      s.ok(['rmi', 'secret:2']);
      assert.ok(!existsSync(blob(secret)), 'rmi deletes the config blob');

      const pruned = s.ok(['import', '-c', 'ENV DB_PASSWORD=hunter3', '-', 'pruned:1'], buildTar([{ name: 'g', body: 'y' }])).trim();
      assert.ok(existsSync(blob(pruned)));
      assert.match(s.ok(['image', 'prune', '-a', '-f']), new RegExp(`deleted: ${pruned}`));
      assert.ok(!existsSync(blob(pruned)), 'prune deletes the config blob');
      assert.deepEqual(readdirSync(join(s.root, 'blobs', 'sha256')), []);
    });
  });
}

// The limit is the same on every driver; overlay2 is the one whose mount options it keeps within a page.
describe('the layer depth limit on overlay2', () => {
  let s: TestStore;
  beforeEach(() => { s = testStore('overlay2'); });
  afterEach(() => s.cleanup());

  test('an image at the limit (125 layers) creates, mounts and exports; a 126th layer is refused and leaves nothing behind', async () => {
    const layers = oneFileLayers(126);
    s.ok(['load'], dockerArchive([{ config: baseConfig, layers: layers.slice(0, 125), repoTags: ['deep:125'] }]));
    const id = s.ok(['create', 'deep:125', 'sh']).trim();
    const merged = s.ok(['mount', id]).trim();
    assert.equal(readdirSync(merged).length, 125 + INIT_TOP.length, 'a file per layer, and the init layer\'s entries');
    assert.equal(readFileSync(join(merged, 'l0'), 'utf8'), '0\n');
    assert.equal(readFileSync(join(merged, 'l124'), 'utf8'), '124\n');
    s.ok(['unmount', id]);
    const tar = `${s.root}.tar`;
    s.ok(['export', '-o', tar, id]);
    const exported = await entryNames(readFileSync(tar));
    rmSync(tar);
    for (let i = 0; i < 125; i++) assert.ok(exported.includes(`l${i}`), `export holds l${i}`);

    const refusal = 'max depth exceeded: an image can have at most 125 layers, this one would have 126';
    failsCleanly(s, ['load'], refusal, dockerArchive([{ config: baseConfig, layers, repoTags: ['deep:126'] }]));
    writeFileSync(join(s.ok(['mount', id]).trim(), 'more'), 'x');
    failsCleanly(s, ['commit', id, 'deep:commit'], refusal);
    assert.equal(s.ok(['system', 'check']).trim(), 'No problems found');
  });
});
