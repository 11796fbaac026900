/**
 * What a Docker user or a script written against Docker's output notices, each stated as Docker 20.10's
 * engine (with the docker CLI installed beside it on the benchmark host) answered on the same input,
 * checked side by side by hand and by bench/fidelity.sh.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BUSYBOX, busyboxRootfs, tarOf } from './lib/rootfs.js';
import { DRIVERS, testStore, type TestStore } from './lib/strata.js';

/** A tree with an entry of every type: Docker 20.10 reports its image as 117 bytes (100 + 10 + 7). */
function everyTypeTar(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'strata-types-'));
  try {
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd/f'), 'x'.repeat(100));
    writeFileSync(join(dir, 'd/e'), '');
    linkSync(join(dir, 'd/f'), join(dir, 'd/h'));
    symlinkSync('abcdefghij', join(dir, 'd/s'));
    execFileSync('mkfifo', [join(dir, 'd/p')]);
    execFileSync('mknod', [join(dir, 'd/c'), 'c', '1', '3']);
    writeFileSync(join(dir, '.wh.gone'), '');
    mkdirSync(join(dir, 'o'));
    writeFileSync(join(dir, 'o/.wh..wh..opq'), '');
    writeFileSync(join(dir, 'o/k'), 'z'.repeat(7));
    return tarOf(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const driver of DRIVERS) {
  describe(`Docker's numbers on ${driver}`, () => {
    let s: TestStore;
    before(() => { s = testStore(driver); });
    after(() => s.cleanup());

    test("an image's size counts a symlink as its target's length, a hard link once, directories, devices and whiteouts not at all", () => {
      s.ok(['import', '-', 'docker/types:1'], everyTypeTar());
      assert.equal(s.ok(['inspect', '-f', '{{.Size}}', 'docker/types:1']).trim(), '117');
      assert.equal(s.ok(['history', '-H=false', '--format', '{{.Size}}', 'docker/types:1']).trim(), '117');

      // busybox with its applet links: Docker's size is the binary plus 7 bytes ("busybox") per link.
      const rootfs = busyboxRootfs();
      try {
        s.ok(['import', '-', 'docker/busybox:1'], tarOf(rootfs));
      } finally {
        rmSync(rootfs, { recursive: true, force: true });
      }
      const expected = statSync(BUSYBOX).size + 6 * 'busybox'.length + 'root:x:0:0:root:/root:/bin/sh\n'.length + 'strata\n'.length + 'old log line\n'.length;
      assert.equal(s.ok(['inspect', '-f', '{{.Size}}', 'docker/busybox:1']).trim(), String(expected));
    });

    test('a path a tar writes twice counts what it left (Docker refuses such a tar; its measure is the tree)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'strata-dup-'));
      try {
        writeFileSync(join(dir, 'f'), 'x'.repeat(100));
        symlinkSync('abc', join(dir, 's'));
        const first = tarOf(dir);
        // The same paths again: f shorter, s now a 30-byte file; GNU tar appends with -r.
        rmSync(join(dir, 's'));
        writeFileSync(join(dir, 'f'), 'y'.repeat(20));
        writeFileSync(join(dir, 's'), 'z'.repeat(30));
        const file = join(dir, 'both.tar');
        writeFileSync(file, first);
        execFileSync('tar', ['-C', dir, '-rf', file, './f', './s']);
        s.ok(['import', file, 'docker/dup:1']);
        assert.equal(s.ok(['inspect', '-f', '{{.Size}}', 'docker/dup:1']).trim(), '50');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('prune asks as Docker does unless -f: the warning and [y/N] on stdout, one line of stdin, only y or Y goes on', () => {
      s.ok(['import', '-', 'docker/prune:1'], everyTypeTar());
      const c = s.ok(['create', 'docker/prune:1', 'sh']).trim();
      const question = 'Are you sure you want to continue? [y/N] ';
      const containers = `WARNING! This will remove all stopped containers.\n${question}`;
      for (const answer of ['n\n', 'yes\n', '', '\ny\n']) {
        const r = s.run(['container', 'prune'], answer);
        assert.deepEqual([r.status, r.stdout, r.stderr], [0, containers, ''], `answer ${JSON.stringify(answer)}`);
      }
      assert.equal(s.ok(['ps', '-a', '-q', '--no-trunc']).trim(), c, 'declined: the container stays');
      const r = s.run(['container', 'prune'], ' Y \n');
      assert.equal(r.status, 0);
      assert.equal(r.stdout, `${containers}Deleted Containers:\n${c}\n\nTotal reclaimed space: 0B\n`);
      assert.equal(s.ok(['ps', '-a', '-q']), '');

      assert.equal(s.ok(['image', 'prune'], 'n\n'), `WARNING! This will remove all dangling images.\n${question}`);
      assert.equal(s.ok(['image', 'prune', '-a']), `WARNING! This will remove all images without at least one container associated to them.\n${question}`);
      assert.match(s.ok(['images', '-q']), /\w/, 'declined: the images stay');
      assert.match(s.ok(['image', 'prune', '-a'], 'y'), new RegExp(`^WARNING! .*\\n${question.replace(/[?[\]]/g, '\\$&')}Deleted Images:\\nuntagged: docker/prune:1\\n`));
      assert.equal(s.ok(['container', 'prune', '-f']), 'Total reclaimed space: 0B\n', '-f asks nothing');
    });
  });
}
