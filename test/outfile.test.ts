/**
 * `save -o F` and `export -o F` write F whole or not at all: a failure midway or a SIGKILL leaves no F
 * and no temporary file beside it, and an existing F is replaced only by a complete archive.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exited, testStore, type TestStore } from './lib/strata.js';
import { buildTar } from './lib/tarbuild.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether process `pid` has a file open under `dir` (an O_TMPFILE one shows as "dir/#N (deleted)"). */
function writesUnder(pid: number, dir: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try { return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(`${dir}/`); } catch { return false; }
    });
  } catch {
    return false;
  }
}

describe('output files of save -o and export -o', () => {
  let s: TestStore;
  let work: string;
  let small: string;
  before(() => {
    s = testStore('overlay2');
    work = mkdtempSync(join(tmpdir(), 'strata-out-'));
    // 160 MB of layer: more than the small filesystem below holds, and long enough to save to be killed midway.
    s.ok(['import', '-', 'big:1'], buildTar(['a', 'b', 'c', 'd'].map((name) => ({ name, body: name.repeat(40 << 20) }))));
    s.ok(['create', '--name', 'bigc', 'big:1', 'sh']);
    small = join(work, 'small');
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', small]);
  });
  after(() => {
    execFileSync('umount', ['-l', small]);
    s.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  for (const verb of [['export', 'bigc'], ['save', 'big:1']]) {
    test(`${verb[0]} -o failing midway (disk full) leaves neither the file nor a temporary one`, () => {
      const r = s.run([verb[0]!, '-o', join(small, 'out.tar'), verb[1]!]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^Error: .*no space left on device/m);
      assert.deepEqual(readdirSync(small), []);
      assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(s.root), 'nothing of the store is left mounted');
    });
  }

  test('save -o killed while writing leaves no file in the directory', async () => {
    for (let i = 0; i < 3; i++) {
      const dir = join(work, `kill${i}`);
      mkdirSync(dir);
      const p = s.spawn(['save', '-o', join(dir, 'out.tar'), 'big:1']);
      const done = exited(p);
      for (let tries = 0; tries < 20000 && !writesUnder(p.pid!, dir); tries++) await sleep(1);
      await sleep(Math.random() * 20);
      p.kill('SIGKILL');
      assert.equal((await done).signal, 'SIGKILL', 'killed before it finished');
      assert.deepEqual(readdirSync(dir), []);
    }
  });

  test('an existing file is replaced by the whole archive, and nothing else is left', () => {
    const dir = join(work, 'replace');
    mkdirSync(dir);
    const file = join(dir, 'out.tar');
    writeFileSync(file, 'old contents');
    s.ok(['save', '-o', file, 'big:1']);
    assert.deepEqual(readdirSync(dir), ['out.tar']);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const other = testStore('vfs');
    try {
      assert.equal(other.ok(['load', '-i', file]), 'Loaded image: big:1\n');
    } finally {
      other.cleanup();
    }
    s.ok(['export', '-o', file, 'bigc']);
    assert.deepEqual(readdirSync(dir), ['out.tar']);
    assert.ok(execFileSync('tar', ['-tf', file]).toString().split('\n').includes('a'));
    assert.notEqual(readFileSync(file).subarray(0, 12).toString(), 'old contents');
  });

  test("a directory that does not exist, a device or a directory as the file are refused in the docker CLI's words", () => {
    const refused = (args: string[], stderr: string) => {
      const r = s.run(args);
      assert.deepEqual([r.status, r.stderr], [1, stderr], args.join(' '));
    };
    // Checked before the image or container is looked up, as the docker CLI checks it.
    const nope = JSON.stringify(join(work, 'nope'));
    refused(['save', '-o', join(work, 'nope', 'out.tar'), 'nosuch'], `Error: failed to save image: invalid output path: directory ${nope} does not exist\n`);
    refused(['export', '-o', join(work, 'nope', 'out.tar'), 'nosuch'], `Error: failed to export container: invalid output path: directory ${nope} does not exist\n`);
    // A device (a null device of the test's own) is never replaced by the archive.
    const dev = join(work, 'null');
    execFileSync('mknod', ['-m', '666', dev, 'c', '1', '3']);
    refused(['save', '-o', dev, 'big:1'], `Error: failed to save image: invalid output path: ${JSON.stringify(dev)} must be a directory or a regular file: got a device\n`);
    refused(['export', '-o', dev, 'bigc'], `Error: failed to export container: invalid output path: ${JSON.stringify(dev)} must be a directory or a regular file: got a device\n`);
    assert.ok(statSync(dev).isCharacterDevice());
    // A directory: Docker's CLI writes the archive, then its rename onto the directory fails; nothing is left.
    const dir = join(work, 'isdir');
    mkdirSync(join(dir, 'out'), { recursive: true });
    const r = s.run(['save', '-o', join(dir, 'out'), 'big:1']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^Error: rename ${dir}/\\.out\\.[0-9a-f]{12}\\.tmp ${join(dir, 'out')}: file exists\n$`));
    assert.deepEqual(readdirSync(dir), ['out']);
  });
});
