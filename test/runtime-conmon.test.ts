/**
 * Containers supervised by real conmon over real runc: detached runs that return at once and never hold
 * the caller's pipes, the k8s-file log, exit files, the exit command, attach with streams apart or a pty,
 * stdin kept open for `run -dit`, and a conmon killed with SIGKILL settled by the next command.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { cgroupStats } from '../src/runtime/cgroups.js';
import { readLog } from '../src/runtime/logs.js';
import { OciRuntime, RuntimeError } from '../src/runtime/runc.js';
import { Supervisor, type SupervisorOptions } from '../src/runtime/supervisor.js';
import { busyboxUserland, makeBundle } from './lib/bundle.js';

const BUN = process.execPath;
let rootfs: string;
let work: string;
let runc: OciRuntime;

function supervisor(cmd: string[], extra: Partial<SupervisorOptions> & { tty?: boolean } = {}): Supervisor {
  const b = makeBundle(work, rootfs, { cmd, tty: extra.tty });
  return new Supervisor({
    id: b.id, bundle: b.dir, runtime: runc, logPath: join(b.dir, 'ctr.log'), exitDir: join(work, 'exits'), socketDir: join(work, 'sockets'), ...extra,
  });
}

/** Collects a stream's bytes. */
function sink(): PassThrough & { text(): string } {
  const chunks: Buffer[] = [];
  const s = new PassThrough() as PassThrough & { text(): string };
  s.on('data', (c: Buffer) => chunks.push(c));
  s.text = () => Buffer.concat(chunks).toString();
  return s;
}

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(() => {
  rootfs = busyboxUserland();
  work = mkdtempSync(join(tmpdir(), 'strata-conmon-'));
  runc = new OciRuntime('runc', join(work, 'state'));
});

after(async () => {
  for (const s of await runc.list()) await runc.delete(s.id, true).catch(() => {});
  rmSync(work, { recursive: true, force: true });
  rmSync(rootfs, { recursive: true, force: true });
});

describe('detached containers', () => {
  test('run -d returns as soon as the process started: $(…) does not wait for the container', async () => {
    const started = Date.now();
    const r = spawnSync('sh', ['-c', `id=$("${BUN}" ${join(import.meta.dir, 'lib/detached-run.ts')} "${work}" "${rootfs}" sleep 30); echo "$id"`],
      { encoding: 'utf8', timeout: 20000 });
    const took = Date.now() - started;
    assert.equal(r.status, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.ok(took < 10000, `the command substitution returned after ${took} ms`);
    const state = (await runc.state(id))!;
    assert.equal(state.status, 'running');
    await runc.kill(id, 'KILL');
  });

  test('the log keeps stdout and stderr apart, the exit file has the code, and the runtime state is cleared', async () => {
    const sup = supervisor(['sh', '-c', 'echo out; echo err >&2; echo more; exit 3']);
    const pid = await sup.create();
    assert.ok(pid > 0);
    await sup.start();
    const status = await sup.waitExit();
    assert.equal(status.exitCode, 3);
    assert.equal(readFileSync(sup.exitFile, 'utf8'), '3');
    assert.ok(Math.abs(status.finishedAt.getTime() - Date.now()) < 10000);
    const lines = readLog(sup.opts.logPath);
    assert.deepEqual(lines.map((l) => [l.stream, l.data.toString()]).sort(), [['stderr', 'err\n'], ['stdout', 'more\n'], ['stdout', 'out\n']]);
    for (const l of lines) assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}\+00:00$/);
    assert.match(readFileSync(sup.opts.logPath, 'utf8'), /^\S+ stdout F out$/m);
    assert.deepEqual(readLog(sup.opts.logPath, { tail: 1 }).length, 1);
    assert.equal((await runc.state(sup.opts.id))!.status, 'stopped');
    assert.deepEqual(await sup.reconcile(), status);
    assert.equal(await runc.state(sup.opts.id), null);
  });

  test('a container runs again after it exited (docker start): the last run\'s exit file does not answer for the new one', async () => {
    const sup = supervisor(['sh', '-c', 'echo run; sleep 0.3; exit 4']);
    await sup.create();
    await sup.start();
    assert.equal((await sup.waitExit()).exitCode, 4);
    await sup.create();
    assert.equal(sup.exitStatus(), null);
    await sup.start();
    assert.equal((await sup.waitExit()).exitCode, 4);
    assert.deepEqual(readLog(sup.opts.logPath).map((l) => l.data.toString()), ['run\n', 'run\n']);
    await sup.release();
    assert.equal(await runc.state(sup.opts.id), null);
    assert.ok(!existsSync(sup.exitFile) && !existsSync(join(work, 'sockets', sup.opts.id)));
  });

  test('a process killed from outside records 128+9; the exit command runs after the exit file is written', async () => {
    const marker = join(work, 'exit-command-ran');
    const sup = supervisor(['sleep', '1000'], { exitCommand: ['/bin/sh', '-c', `cat "$0" > ${marker}`, join(work, 'exits', 'placeholder')] });
    // The exit command reads the exit file: point its argument at the real one.
    sup.opts.exitCommand![3] = sup.exitFile;
    await sup.create();
    await sup.start();
    await runc.kill(sup.opts.id, 'KILL');
    assert.equal((await sup.waitExit()).exitCode, 137);
    await until('the exit command', () => existsSync(marker) && readFileSync(marker, 'utf8') === '137');
  });

  test('a command that cannot start fails create with 127 and leaves no runtime state or conmon', async () => {
    const sup = supervisor(['nonexist']);
    await assert.rejects(sup.create(), (e: RuntimeError) =>
      e.exitCode === 127 && e.message === 'runc create failed: unable to start container process: exec: "nonexist": executable file not found in $PATH');
    assert.equal(await runc.state(sup.opts.id), null);
    await until('conmon to exit', () => !sup.supervisorAlive());
  });

  test('status from files alone: created, running, paused, exited', async () => {
    const sup = supervisor(['sleep', '1000']);
    const pid = await sup.create();
    assert.deepEqual(await sup.status(), { state: 'created', pid });
    await sup.start();
    assert.deepEqual(await sup.status(), { state: 'running', pid });
    await runc.pause(sup.opts.id);
    assert.deepEqual(await sup.status(), { state: 'paused', pid });
    await runc.resume(sup.opts.id);
    await sup.signal('KILL');
    await sup.waitExit();
    const status = await sup.status();
    assert.equal(status.state, 'exited');
    assert.equal(status.state === 'exited' && status.exit.exitCode, 137);
  });

  test('run -dit sh stays up with stdin held open; a later attach drives it', async () => {
    const sup = supervisor(['sh'], { stdin: true, stdinOnce: false });
    await sup.create();
    await sup.start();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await runc.state(sup.opts.id))!.status, 'running');
    const stdout = sink();
    const a = sup.attach({ stdout, stderr: sink(), stdin: Readable.from([Buffer.from('echo hello from $((6*7))\nexit 7\n')]) });
    await a.done;
    assert.equal((await sup.waitExit()).exitCode, 7);
    assert.equal(stdout.text(), 'hello from 42\n');
  });

  test('conmon killed with SIGKILL: the next command finds it gone, kills what is left, and records Exited (255)', async () => {
    const sup = supervisor(['sleep', '1000']);
    const pid = await sup.create();
    await sup.start();
    assert.equal(await sup.reconcile(), null, 'a supervised running container is left alone');
    const conmonPid = Number(readFileSync(sup.conmonPidFile, 'utf8'));
    // conmon's idle memory, what each running container costs beyond its own process.
    const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${conmonPid}/status`, 'utf8'))![1]);
    console.log(`conmon idle RSS: ${rss} kB`);
    assert.ok(rss < 8 * 1024, `conmon RSS ${rss} kB`);
    process.kill(conmonPid, 'SIGKILL');
    await until('conmon to die', () => !sup.supervisorAlive());
    assert.ok(alive(pid), 'the container outlives its supervisor');
    const settled = (await sup.reconcile())!;
    assert.equal(settled.exitCode, 255);
    assert.equal(await runc.state(sup.opts.id), null);
    await until('the orphaned process to be killed', () => !alive(pid));
    assert.ok(!existsSync(`/sys/fs/cgroup/pids/strata/${sup.opts.id}`));
    assert.deepEqual(await sup.reconcile(), settled, 'the answer is stable');
  });
});

describe('stats from the cgroup', () => {
  test('CPU time, memory and PIDs of a running container; null once it is gone', async () => {
    const b = makeBundle(work, rootfs, { cmd: ['sh', '-c', 'sleep 1000 & sleep 1000 & i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; wait'], memory: 64 * 1024 * 1024 });
    const sup = new Supervisor({ id: b.id, bundle: b.dir, runtime: runc, logPath: join(b.dir, 'ctr.log'), exitDir: join(work, 'exits'), socketDir: join(work, 'sockets') });
    await sup.create();
    await sup.start();
    const path = `/strata/${b.id}`;
    await until('three processes', () => cgroupStats(path)?.pids === 3);
    const stats = cgroupStats(path)!;
    assert.ok(stats.cpuNanos > 0);
    assert.ok(stats.memoryBytes > 0 && stats.memoryBytes < 64 * 1024 * 1024, `${stats.memoryBytes} bytes`);
    assert.equal(stats.memoryLimitBytes, 64 * 1024 * 1024);
    await sup.stop('KILL', 0);
    await sup.release();
    assert.equal(cgroupStats(path), null);
  });
});

describe('stop, kill, and a reboot', () => {
  test('stop: a PID 1 that traps SIGTERM exits on it; one that ignores it is killed after the timeout (137)', async () => {
    const trapping = supervisor(['sh', '-c', 'trap "echo got TERM; exit 0" TERM; while true; do sleep 0.1; done']);
    await trapping.create();
    await trapping.start();
    await new Promise((r) => setTimeout(r, 300));
    let t = Date.now();
    assert.equal((await trapping.stop('SIGTERM', 10)).exitCode, 0);
    assert.ok(Date.now() - t < 5000, `stopped after ${Date.now() - t} ms`);
    assert.deepEqual(readLog(trapping.opts.logPath).map((l) => l.data.toString()), ['got TERM\n']);

    const ignoring = supervisor(['sleep', '1000']);
    await ignoring.create();
    await ignoring.start();
    t = Date.now();
    assert.equal((await ignoring.stop('SIGTERM', 1)).exitCode, 137);
    const took = Date.now() - t;
    assert.ok(took >= 1000 && took < 5000, `killed after ${took} ms`);
    assert.equal((await ignoring.stop()).exitCode, 137, 'stopping a stopped container answers its status');
  });

  test('kill -s USR1 reaches a handler; stop of a paused container thaws and stops it', async () => {
    const sup = supervisor(['sh', '-c', 'trap "echo got USR1" USR1; trap "exit 5" TERM; while true; do sleep 0.1; done']);
    await sup.create();
    await sup.start();
    await new Promise((r) => setTimeout(r, 300));
    await sup.signal('USR1');
    await until('the handler to log', () => readLog(sup.opts.logPath).some((l) => l.data.toString() === 'got USR1\n'));
    await runc.pause(sup.opts.id);
    assert.equal((await sup.stop('TERM', 10)).exitCode, 5);
  });

  test('after a simulated reboot (conmon and the process gone, the runtime state dir wiped), reconcile records 255', async () => {
    const root = join(work, 'reboot-state');
    const rebooted = new OciRuntime('runc', root);
    const b = makeBundle(work, rootfs, { cmd: ['sleep', '1000'] });
    const sup = new Supervisor({ id: b.id, bundle: b.dir, runtime: rebooted, logPath: join(b.dir, 'ctr.log'), exitDir: join(work, 'exits'), socketDir: join(work, 'sockets') });
    const pid = await sup.create();
    await sup.start();
    process.kill(Number(readFileSync(sup.conmonPidFile, 'utf8')), 'SIGKILL');
    process.kill(pid, 'SIGKILL');
    await until('the process to die', () => !alive(pid));
    rmSync(root, { recursive: true, force: true });
    assert.equal((await sup.reconcile())!.exitCode, 255);
    assert.equal(await rebooted.state(b.id), null);
    assert.deepEqual(await rebooted.list(), []);
    assert.ok(!existsSync(`/sys/fs/cgroup/memory/strata/${b.id}`), 'no cgroup is left behind');
  });

  test('runtime state wiped while the process still runs: reconcile kills it through its cgroup', async () => {
    const root = join(work, 'wiped-state');
    const wiped = new OciRuntime('runc', root);
    const b = makeBundle(work, rootfs, { cmd: ['sleep', '1000'] });
    const sup = new Supervisor({ id: b.id, bundle: b.dir, runtime: wiped, logPath: join(b.dir, 'ctr.log'), exitDir: join(work, 'exits'), socketDir: join(work, 'sockets') });
    const pid = await sup.create();
    await sup.start();
    process.kill(Number(readFileSync(sup.conmonPidFile, 'utf8')), 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
    assert.equal((await sup.reconcile())!.exitCode, 255);
    await until('the process to die', () => !alive(pid));
    assert.ok(!existsSync(`/sys/fs/cgroup/pids/strata/${b.id}`));
  });
});

describe('attached containers', () => {
  test('stdout and stderr arrive apart, stdin reaches the process and its end closes it, the exit code comes back', async () => {
    const sup = supervisor(['sh', '-c', 'echo out; echo err >&2; cat; echo after-eof; exit 42'], { stdin: true, stdinOnce: true });
    await sup.create();
    const stdout = sink();
    const stderr = sink();
    const a = sup.attach({ stdout, stderr, stdin: Readable.from([Buffer.from('typed\n')]) });
    await sup.start();
    await a.done;
    assert.equal((await sup.waitExit()).exitCode, 42);
    assert.equal(stdout.text(), 'out\ntyped\nafter-eof\n');
    assert.equal(stderr.text(), 'err\n');
  });

  test('-t: one pty for all streams, sized from the start (consoleSize) and resized later through conmon', async () => {
    const b = makeBundle(work, rootfs, { cmd: ['sh', '-c', 'tty; [ -t 0 ] && [ -t 1 ] && echo isatty; stty size; echo to-err >&2; read x; stty size'], tty: true, consoleSize: { height: 30, width: 100 } });
    const sup = new Supervisor({ id: b.id, bundle: b.dir, runtime: runc, logPath: join(b.dir, 'ctr.log'), exitDir: join(work, 'exits'), socketDir: join(work, 'sockets'), tty: true, stdin: true, stdinOnce: true });
    await sup.create();
    const stdout = sink();
    const stderr = sink();
    const stdin = new PassThrough();
    const a = sup.attach({ stdout, stderr, stdin });
    await sup.start();
    await until('the first size', () => stdout.text().includes('to-err'));
    sup.resize(40, 120);
    // The resize travels conmon's control fifo; the process reads the size after the next line of input.
    await new Promise((r) => setTimeout(r, 300));
    stdin.end('go\n');
    await a.done;
    assert.equal((await sup.waitExit()).exitCode, 0);
    assert.equal(stdout.text(), '/dev/pts/0\r\nisatty\r\n30 100\r\nto-err\r\ngo\r\n40 120\r\n');
    assert.equal(stderr.text(), '');
    assert.ok(readLog(sup.opts.logPath).every((l) => l.stream === 'stdout'));
  });

  test('detach leaves the container running; a second attach sees what it prints next', async () => {
    const sup = supervisor(['sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.1; done']);
    await sup.create();
    const first = sink();
    const a = sup.attach({ stdout: first, stderr: sink() });
    await sup.start();
    await until('a tick', () => first.text().includes('tick 1\n'));
    a.detach();
    await a.done;
    assert.equal((await sup.status()).state, 'running');
    const second = sink();
    const b = sup.attach({ stdout: second, stderr: sink() });
    await until('more ticks', () => /tick \d+\n/.test(second.text()));
    b.detach();
    await b.done;
    assert.equal((await sup.stop('KILL', 0)).exitCode, 137);
  });

  test('stdin typed after the process exited is dropped, not thrown', async () => {
    const sup = supervisor(['true'], { stdin: true, stdinOnce: true });
    await sup.create();
    const stdin = new PassThrough();
    const a = sup.attach({ stdout: sink(), stderr: sink(), stdin });
    await sup.start();
    await sup.waitExit();
    for (let i = 0; i < 20; i++) stdin.write('x'.repeat(10000));
    stdin.end();
    await a.done;
    assert.equal((await sup.waitExit()).exitCode, 0);
  });

  test('large output arrives whole and in order', async () => {
    const sup = supervisor(['sh', '-c', 'seq 1 200000']);
    await sup.create();
    const stdout = sink();
    const a = sup.attach({ stdout, stderr: sink() });
    await sup.start();
    await a.done;
    await sup.waitExit();
    const expected = `${Array.from({ length: 200000 }, (_, i) => i + 1).join('\n')}\n`;
    const got = stdout.text();
    assert.equal(got.length, expected.length);
    assert.ok(got === expected, 'the bytes are seq\'s, in order');
    assert.equal(readLog(sup.opts.logPath, { tail: 2 }).map((l) => l.data.toString()).join(''), '199999\n200000\n');
  });
});
