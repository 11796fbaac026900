/**
 * What the run flags do, seen where a user would look (real runc and conmon): --init makes Docker's init
 * (tini) PID 1, --cap-add/--cap-drop change the capabilities the process has (/proc/self/status CapEff),
 * -m/--pids-limit/--cpus land in the container's cgroup files, the image's STOPSIGNAL is what stop sends;
 * and under load and faults: several `run`s at once from separate processes all succeed with distinct
 * names and IDs, and a foreground `run` killed with SIGKILL leaves its container running under conmon, in a
 * state `ps -a` shows and `rm -f` removes without leaving anything behind.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { busyboxUserland } from './lib/bundle.js';
import { tarOf } from './lib/rootfs.js';
import { DRIVERS, exited, testStore, type TestStore } from './lib/strata.js';

async function until(what: string, cond: () => boolean, ms = 15000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('run flags and faults', () => {
  let s: TestStore;
  let rootfs: string;
  before(() => {
    rootfs = busyboxUserland();
    s = testStore(DRIVERS[0]!);
    const tar = tarOf(rootfs);
    s.ok(['import', '-c', 'CMD ["sh"]', '-', 'bb:1'], tar);
    s.ok(['import', '-c', 'STOPSIGNAL SIGUSR1', '-c', 'CMD ["sh"]', '-', 'bb:usr1'], tar);
  });
  after(() => {
    for (const id of s.run(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean)) s.run(['rm', '-f', id]);
    s.cleanup();
    rmSync(rootfs, { recursive: true, force: true });
  });

  test('--init: Docker\'s init (tini, at /sbin/docker-init) is PID 1 and runs the command as its child', () => {
    const [cmdline, ids] = s.ok(['run', '--rm', '--init', 'bb:1', 'sh', '-c', 'tr "\\0" " " </proc/1/cmdline; echo; echo $$ $PPID']).split('\n');
    assert.equal(cmdline, '/sbin/docker-init -- sh -c tr "\\0" " " </proc/1/cmdline; echo; echo $$ $PPID ');
    assert.match(ids!, /^([2-9]|\d\d+) 1$/, 'the command is a child of PID 1, not PID 1');
    assert.equal(s.ok(['run', '--rm', 'bb:1', 'sh', '-c', 'echo $$']), '1\n', 'without --init the command is PID 1');
  });

  test('--cap-add/--cap-drop: the capabilities the process has, from inside', () => {
    const capEff = (...flags: string[]) => s.ok(['run', '--rm', ...flags, 'bb:1', 'grep', '^CapEff:', '/proc/self/status']).split(/\s+/)[1];
    assert.equal(capEff(), '00000000a80425fb', "Docker's default set");
    assert.equal(capEff('--cap-drop', 'CHOWN'), '00000000a80425fa');
    assert.equal(capEff('--cap-add', 'NET_ADMIN'), '00000000a80435fb');
    assert.equal(capEff('--cap-drop', 'ALL', '--cap-add', 'KILL'), '0000000000000020');
    // A capability dropped is gone for real: chown fails as root.
    const chown = s.run(['run', '--rm', '--cap-drop', 'CHOWN', 'bb:1', 'chown', '1:1', '/tmp']);
    assert.equal(chown.status, 1);
    assert.match(chown.stderr, /Operation not permitted/);
  });

  test('-m, --pids-limit, --cpus: in the container\'s cgroup files, and enforced', () => {
    const id = s.ok(['run', '-d', '-m', '64m', '--pids-limit', '20', '--cpus', '1.5', 'bb:1', 'sleep', '100']).trim();
    const cgroupsPath = (JSON.parse(readFileSync(join(s.root, 'containers', id, 'config.json'), 'utf8')) as { linux: { cgroupsPath: string } }).linux.cgroupsPath;
    const cg = (controller: string, file: string) => readFileSync(join('/sys/fs/cgroup', controller, cgroupsPath, file), 'utf8').trim();
    assert.equal(cg('memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
    assert.equal(cg('pids', 'pids.max'), '20');
    assert.deepEqual([cg('cpu', 'cpu.cfs_quota_us'), cg('cpu', 'cpu.cfs_period_us')], ['150000', '100000']);
    assert.ok(cg('pids', 'cgroup.procs').split('\n').length >= 1);
    // The pids limit holds: 30 sleeps cannot all start.
    const forks = s.run(['exec', id, 'sh', '-c', 'for i in $(seq 30); do sleep 5 & done 2>&1; wait']);
    assert.match(forks.stdout + forks.stderr, /can't fork|Resource temporarily unavailable/);
    s.ok(['rm', '-f', id]);
  });

  test("stop sends the image's STOPSIGNAL (SIGUSR1 here), --stop-signal overrides it", async () => {
    const trap = ['sh', '-c', 'trap "exit 7" USR1; trap "exit 8" TERM; while :; do sleep 0.1; done'];
    s.ok(['run', '-d', '--name', 'usr1', 'bb:usr1', ...trap]);
    s.ok(['run', '-d', '--name', 'term', '--stop-signal', 'TERM', 'bb:usr1', ...trap]);
    await new Promise((r) => setTimeout(r, 500)); // the traps set
    assert.equal(s.ok(['inspect', '-f', '{{.Config.StopSignal}}', 'usr1']), 'SIGUSR1\n');
    s.ok(['stop', 'usr1', 'term']);
    assert.equal(s.ok(['wait', 'usr1', 'term']), '7\n8\n');
    s.ok(['rm', 'usr1', 'term']);
  });

  test('several runs at once from separate processes all succeed: distinct IDs and names, no row lost', async () => {
    const runs = Array.from({ length: 8 }, (_, i) => s.spawn(['run', ...(i % 2 ? ['--name', `par${i}`] : []), 'bb:1', 'sh', '-c', `echo run${i}`]));
    const outs = runs.map((p) => { let o = ''; p.stdout!.on('data', (d: Buffer) => (o += d.toString())); return () => o; });
    const results = await Promise.all(runs.map(exited));
    results.forEach((r, i) => assert.deepEqual([r.code, outs[i]!(), r.stderr], [0, `run${i}\n`, ''], `run ${i}`));
    const rows = s.ok(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.Status}}']).trim().split('\n');
    assert.equal(rows.length, 8);
    assert.equal(new Set(rows.map((r) => r.split(' ')[0])).size, 8);
    assert.equal(new Set(rows.map((r) => r.split(' ')[1])).size, 8);
    for (const i of [1, 3, 5, 7]) assert.ok(rows.some((r) => r.split(' ')[1] === `par${i}`), `par${i}`);
    for (const r of rows) assert.match(r, / Exited \(0\) /);
    s.ok(['rm', ...rows.map((r) => r.split(' ')[0]!)]);
  });

  test('a foreground run killed with SIGKILL: the container runs on under conmon; ps -a sane; rm -f leaves nothing', async () => {
    const cli = s.spawn(['run', '--name', 'orphan', 'bb:1', 'sleep', '100']);
    await until('the container to run', () => s.ok(['ps', '--filter', 'name=orphan', '--format', '{{.State}}']) === 'running\n');
    cli.kill('SIGKILL');
    await exited(cli);
    await new Promise((r) => setTimeout(r, 300));
    assert.match(s.ok(['ps', '-a', '--filter', 'name=orphan', '--format', '{{.Status}}']), /^Up /);
    const id = s.ok(['inspect', '-f', '{{.Id}}', 'orphan']).trim();
    s.ok(['rm', '-f', 'orphan']);
    assert.equal(s.ok(['ps', '-aq']), '');
    assert.doesNotMatch(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(` ${s.root}/`));
    const state = spawnSync('runc', ['--root', join(s.root, 'runtime'), 'list', '-q'], { encoding: 'utf8' });
    assert.equal(state.stdout, '');
    assert.equal(spawnSync('pgrep', ['-f', `conmon.*${id}`]).status, 1, 'no conmon left');
  });

  test('system check sees what containers and volumes left without a record; --repair removes it, and only it', () => {
    const runtimeRoot = join(s.root, 'runtime');
    s.ok(['run', '-d', '--name', 'kept', '-v', 'keptvol:/k', 'bb:1', 'sleep', '100']);
    // Runtime state of a container strata has no record of (a database restored from before it was made).
    const bundle = mkdtempSync(join(tmpdir(), 'strata-orphan-bundle-'));
    execFileSync('runc', ['spec'], { cwd: bundle });
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
    Object.assign(spec, { root: { path: rootfs, readonly: true } });
    Object.assign(spec.process, { terminal: false, args: ['sleep', '100'] });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    const ghost = 'f'.repeat(64);
    execFileSync('runc', ['--root', runtimeRoot, 'run', '-d', '--bundle', bundle, ghost], { stdio: 'ignore' });
    // What an rm killed after the record went leaves, and a volume directory made by a create that died.
    const lostDir = join(s.root, 'containers', 'e'.repeat(64));
    mkdirSync(lostDir);
    writeFileSync(join(lostDir, 'container.log'), 'x\n');
    mkdirSync(join(s.root, 'volumes', 'lostvol', '_data'), { recursive: true });
    try {
      const check = s.run(['system', 'check']);
      assert.equal(check.status, 1);
      assert.equal(check.stdout.split('\n').filter((l) => l.startsWith('problem: ')).sort().join('\n'), [
        `problem: container directory ${'e'.repeat(64)} is not referenced by any container`,
        `problem: runtime state of container ${ghost}, which does not exist`,
        'problem: volume directory lostvol is not referenced by any volume',
      ].join('\n'));
      const repair = s.ok(['system', 'check', '--repair']);
      assert.match(repair, new RegExp(`repaired: removed the runtime state of container ${ghost}`));
      assert.equal(s.ok(['system', 'check']), 'No problems found\n');
      assert.equal(execFileSync('runc', ['--root', runtimeRoot, 'list', '-q'], { encoding: 'utf8' }).trim(),
        s.ok(['inspect', '-f', '{{.Id}}', 'kept']).trim(), 'only the live container is left to the runtime');
      assert.deepEqual([existsSync(lostDir), existsSync(join(s.root, 'volumes', 'lostvol'))], [false, false]);
      assert.equal(s.ok(['ps', '--format', '{{.Names}} {{.State}}']), 'kept running\n');
      assert.equal(s.ok(['volume', 'ls', '-q']), 'keptvol\n');
    } finally {
      spawnSync('runc', ['--root', runtimeRoot, 'delete', '--force', ghost]);
      rmSync(bundle, { recursive: true, force: true });
      s.ok(['rm', '-f', '-v', 'kept']);
      s.ok(['volume', 'rm', 'keptvol']);
    }
  });
});
