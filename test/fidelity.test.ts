/**
 * Copy-on-write fidelity on both drivers: every kind of entry survives import → mount/export and
 * commit → save → load, whiteouts and opaque directories commit and re-apply, and saved layers are the
 * imported bytes exactly.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { tarOf } from './lib/rootfs.js';
import { DRIVERS, testStore, type TestStore } from './lib/strata.js';
import { INIT_PATHS, withoutInit } from './lib/initlayer.js';
import { describeTree, richTree, treeDiff } from './lib/tree.js';

const tarList = (file: string): string[] => execFileSync('tar', ['-tf', file]).toString().trim().split('\n');

for (const driver of DRIVERS) {
  describe(`fidelity on ${driver}`, () => {
    let s: TestStore;
    let other: TestStore;
    let rich: string;
    let tar: Buffer;
    let work: string;
    before(() => {
      rich = richTree();
      tar = tarOf(rich);
    });
    after(() => rmSync(rich, { recursive: true, force: true }));
    // Each test starts from new stores holding rich:1 and a container `rc` on it, so each runs alone.
    beforeEach(() => {
      s = testStore(driver);
      other = testStore(driver);
      work = mkdtempSync(join(tmpdir(), 'strata-fidelity-'));
      s.ok(['import', '-', 'rich:1'], tar);
      s.ok(['create', '--name', 'rc', 'rich:1', 'sh']);
    });
    afterEach(() => {
      s.cleanup();
      other.cleanup();
      rmSync(work, { recursive: true, force: true });
    });

    /** Through rc's mount: delete a directory, and replace one by a new directory (overlay2 makes it opaque). */
    const changeRc = (): string => {
      const merged = s.ok(['mount', 'rc']).trim();
      rmSync(join(merged, 'srv/old'), { recursive: true });
      rmSync(join(merged, 'etc/deep'), { recursive: true });
      mkdirSync(join(merged, 'etc/deep'));
      writeFileSync(join(merged, 'etc/deep/new'), 'new');
      return merged;
    };

    /** rc committed as rich:2 and saved as a docker-archive; returns the archive's path. */
    const commitAndSave = (): string => {
      s.ok(['commit', 'rc', 'rich:2']);
      const file = join(work, 'rich2.tar');
      s.ok(['save', '-o', file, 'rich:2']);
      return file;
    };

    test('import keeps every entry: the container sees the tree as it was', () => {
      const merged = s.ok(['mount', 'rc']).trim();
      // What a container adds on its own is its init layer, as in Docker.
      assert.deepEqual(treeDiff(withoutInit(describeTree(rich)), withoutInit(describeTree(merged))), []);
      assert.deepEqual([...describeTree(merged).keys()].filter((p) => !describeTree(rich).has(p)).sort(),
        INIT_PATHS.filter((p) => !describeTree(rich).has(p)).sort());
    });

    test('export gives the same tree back', () => {
      const file = join(work, 'export.tar');
      s.ok(['export', '-o', file, 'rc']);
      const out = join(work, 'exported');
      mkdirSync(out);
      execFileSync('tar', ['-C', out, '--numeric-owner', '--xattrs', '--xattrs-include=*', '-xpf', file]);
      assert.deepEqual(treeDiff(withoutInit(describeTree(rich)), withoutInit(describeTree(out))), []);
      assert.deepEqual(treeDiff(describeTree(s.ok(['mount', 'rc']).trim()), describeTree(out)), [], 'the init layer\'s entries too');
    });

    test('save gives back the imported layer tar byte for byte', () => {
      const file = join(work, 'save.tar');
      s.ok(['save', '-o', file, 'rich:1']);
      // Docker names a layer's directory by its v1 ID: manifest.json says where each layer is.
      const [path] = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json']).toString())[0].Layers as string[];
      const layer = execFileSync('tar', ['-xOf', file, path!], { maxBuffer: 1 << 28 });
      assert.equal(layer.length, tar.length);
      assert.ok(layer.equals(tar), 'identical bytes');
    });

    test('whiteouts and opaque directories commit and re-apply', () => {
      const merged = changeRc();
      assert.equal(s.ok(['diff', 'rc']), ['C /etc', 'C /etc/deep', 'D /etc/deep/er', 'A /etc/deep/new', 'C /srv', 'D /srv/old', ''].join('\n'));
      const expected = describeTree(merged);
      const file = commitAndSave();
      const top = (JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json']).toString())[0].Layers as string[]).at(-1)!;
      const layerFile = join(work, 'top-layer.tar');
      writeFileSync(layerFile, execFileSync('tar', ['-xOf', file, top], { maxBuffer: 1 << 28 }));
      const entries = tarList(layerFile);
      assert.ok(entries.includes('srv/.wh.old'), entries.join(' '));
      assert.ok(entries.includes(driver === 'overlay2' ? 'etc/deep/.wh..wh..opq' : 'etc/deep/.wh.er'), entries.join(' '));
      s.ok(['create', '--name', 'rc2', 'rich:2', 'sh']);
      assert.deepEqual(treeDiff(withoutInit(expected), withoutInit(describeTree(s.ok(['mount', 'rc2']).trim()))), []);

      other.ok(['load', '-i', file]);
      other.ok(['create', '--name', 'loaded', 'rich:2', 'sh']);
      assert.deepEqual(treeDiff(withoutInit(expected), withoutInit(describeTree(other.ok(['mount', 'loaded']).trim()))), []);
      assert.equal(other.ok(['inspect', '-f', '{{.Id}}', 'rich:2']), s.ok(['inspect', '-f', '{{.Id}}', 'rich:2']), 'the same image ID');
    });

    test('the OCI layout round-trips and real tools read both formats', () => {
      changeRc();
      const dockerArchive = commitAndSave();
      const oci = join(work, 'rich-oci.tar');
      s.ok(['save', '--format', 'oci', '-o', oci, 'rich:2']);
      const entries = tarList(oci);
      assert.ok(entries.includes('oci-layout') && entries.includes('index.json'));
      const fresh = testStore(driver);
      try {
        assert.equal(fresh.ok(['load', '-i', oci]), 'Loaded image: rich:2\n');
        fresh.ok(['create', '--name', 'cc', 'rich:2', 'sh']);
        const merged = fresh.ok(['mount', 'cc']).trim();
        s.ok(['create', '--name', 'ref', 'rich:2', 'sh']);
        assert.deepEqual(treeDiff(withoutInit(describeTree(s.ok(['mount', 'ref']).trim())), withoutInit(describeTree(merged))), []);
      } finally {
        fresh.cleanup();
      }
      const skopeo = (ref: string): { Layers: string[] } => JSON.parse(execFileSync('skopeo', ['inspect', ref]).toString());
      const layers = JSON.parse(s.ok(['inspect', '-f', '{{json .RootFS.Layers}}', 'rich:2'])) as string[];
      assert.deepEqual(skopeo(`oci-archive:${oci}`).Layers, layers);
      assert.equal(skopeo(`docker-archive:${dockerArchive}`).Layers.length, layers.length);
    });
  });
}
