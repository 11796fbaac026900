/**
 * Containers run by real runc from the spec strata writes, checked from inside (what the process sees)
 * and, where Docker 20.10 runs on this machine, side by side with `docker run` on the same rootfs.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OciRuntime, RuntimeError } from '../src/runtime/runc.js';
import { hostFacts } from '../src/runtime/host.js';
import type { OciSpec } from '../src/runtime/oci.js';
import { execProcess, parseUlimit, type ContainerRunOptions } from '../src/runtime/spec.js';
import { resolveUser } from '../src/runtime/user.js';
import { busyboxUserland, makeBundle } from './lib/bundle.js';

interface Outcome { code: number; stdout: string; stderr: string }
type Probe = Partial<ContainerRunOptions> & { userSpec?: string };

let rootfs: string;
let work: string;
let runc: OciRuntime;
let dockerImage: string | null = null;

/** Run `opts.cmd` to completion under runc with stdout and stderr captured apart; a start failure gives Docker's code. */
async function run(opts: Probe): Promise<Outcome> {
  const b = makeBundle(work, rootfs, opts);
  const outPath = join(b.dir, 'out');
  const errPath = join(b.dir, 'err');
  const out = openSync(outPath, 'w');
  const err = openSync(errPath, 'w');
  try {
    const code = await runc.run(b.id, b.dir, { stdio: ['ignore', out, err] });
    return { code, stdout: readFileSync(outPath, 'utf8'), stderr: readFileSync(errPath, 'utf8') };
  } catch (e) {
    if (!(e instanceof RuntimeError)) throw e;
    return { code: e.exitCode, stdout: '', stderr: e.message };
  } finally {
    closeSync(out);
    closeSync(err);
  }
}

/** The Docker flags that mean the same as `opts`. */
function dockerFlags(opts: Probe): string[] {
  const f = ['--network', opts.network ?? 'none'];
  if (opts.userSpec !== undefined) f.push('-u', opts.userSpec);
  if (opts.memory) f.push('-m', String(opts.memory));
  if (opts.pidsLimit) f.push('--pids-limit', String(opts.pidsLimit));
  if (opts.nanoCpus) f.push('--cpus', String(opts.nanoCpus / 1e9));
  if (opts.readOnly) f.push('--read-only');
  if (opts.initPath) f.push('--init');
  for (const u of opts.ulimits ?? []) f.push('--ulimit', `${u.name}=${u.soft}:${u.hard}`);
  for (const c of opts.capAdd ?? []) f.push('--cap-add', c);
  for (const c of opts.capDrop ?? []) f.push('--cap-drop', c);
  return f;
}

function docker(opts: Probe): Outcome {
  const r = spawnSync('docker', ['run', '--rm', ...dockerFlags(opts), dockerImage!, ...(opts.cmd ?? [])], { encoding: 'utf8' });
  return { code: r.status!, stdout: r.stdout, stderr: r.stderr };
}

/** Run the probe under both; assert the same exit code and stdout (after `normalize`), and return strata's. */
async function sideBySide(opts: Probe, normalize: (s: string) => string = (s) => s): Promise<Outcome> {
  const mine = await run(opts);
  if (dockerImage) {
    const theirs = docker(opts);
    assert.equal(mine.code, theirs.code, `exit code of ${JSON.stringify(opts.cmd)} (docker: ${theirs.stderr})`);
    assert.equal(normalize(mine.stdout), normalize(theirs.stdout), `stdout of ${JSON.stringify(opts.cmd)}`);
  }
  return mine;
}

const sh = (script: string, extra: Probe = {}): Probe => ({ cmd: ['sh', '-c', script], ...extra });

before(() => {
  rootfs = busyboxUserland();
  work = mkdtempSync(join(tmpdir(), 'strata-runc-'));
  runc = new OciRuntime('runc', join(work, 'state'));
  if (spawnSync('docker', ['version'], { stdio: 'ignore' }).status === 0) {
    dockerImage = `runtime-test:${process.pid}`;
    execFileSync('sh', ['-c', `tar -C '${rootfs}' -c . | docker import - ${dockerImage}`], { stdio: 'ignore' });
  }
});

after(() => {
  if (dockerImage) spawnSync('docker', ['rmi', dockerImage], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
  rmSync(rootfs, { recursive: true, force: true });
});

describe('exit codes and output', () => {
  test('0, 1 and 42 are the process\'s own; stdout and stderr stay apart', async () => {
    for (const code of [0, 1, 42]) assert.equal((await sideBySide(sh(`exit ${code}`))).code, code);
    const r = await sideBySide(sh('echo to-out; echo to-err >&2'));
    assert.equal(r.stdout, 'to-out\n');
    assert.equal(r.stderr, 'to-err\n');
  });

  test('127 for a command not found, 126 for one that cannot be executed, as docker run', async () => {
    for (const [cmd, code] of [[['nonexist'], 127], [['/nonexist'], 127], [['/etc/passwd'], 126], [['/tmp'], 126]] as const) {
      const r = await sideBySide({ cmd: [...cmd] });
      assert.equal(r.code, code, String(cmd));
      assert.match(r.stderr, code === 127 ? /not found|no such file/ : /permission denied/);
    }
  });

  test('PID 1 is shielded from its own kill -9, as under Docker; a child killed by it shows 128+9', async () => {
    assert.equal((await sideBySide(sh('kill -9 $$'))).code, 0);
    assert.equal((await sideBySide(sh('sh -c "kill -9 \\$\\$"; exit $?'))).code, 137);
  });
});

describe('what the process sees is what Docker\'s sees', () => {
  test('capabilities: CapEff/CapBnd 00000000a80425fb', async () => {
    const r = await sideBySide({ cmd: ['grep', 'Cap', '/proc/self/status'] });
    assert.match(r.stdout, /^CapEff:\t00000000a80425fb$/m);
    assert.match(r.stdout, /^CapBnd:\t00000000a80425fb$/m);
    const dropped = await sideBySide({ cmd: ['grep', 'CapEff', '/proc/self/status'], capDrop: ['CHOWN'], capAdd: ['NET_ADMIN'] });
    assert.equal(dropped.stdout, 'CapEff:\t00000000a80435fa\n');
  });

  test('seccomp filters (mode 2) and refuses what Docker refuses', async () => {
    assert.equal((await sideBySide({ cmd: ['grep', 'Seccomp:', '/proc/self/status'] })).stdout, 'Seccomp:\t2\n');
    const r = await sideBySide(sh('unshare -n true 2>&1; echo rc=$?'));
    assert.match(r.stdout, /Operation not permitted/);
  });

  test('users: -u by name, uid, name:group; an unknown user refused before running', async () => {
    for (const u of ['', 'app', '1000', 'app:staff', '4242', '0:wheel']) {
      const r = await sideBySide(sh('id; echo HOME=$HOME', { userSpec: u }));
      if (u === 'app') assert.equal(r.stdout, 'uid=1000(app) gid=1000(app) groups=10(wheel),50(staff),1000(app)\nHOME=/home/app\n');
    }
    assert.throws(() => makeBundle(work, rootfs, { cmd: ['true'], userSpec: 'nobody2' }), /unable to find user nobody2: no matching entries in passwd file/);
  });

  test('env, hostname, cwd (created when missing)', async () => {
    const r = await sideBySide(sh('env | grep -v ^HOSTNAME= | sort; hostname | wc -c; pwd'));
    assert.match(r.stdout, /^PATH=\/usr\/local\/sbin:\/usr\/local\/bin:\/usr\/sbin:\/usr\/bin:\/sbin:\/bin$/m);
    assert.match(r.stdout, /^13$/m);
    const b = await run(sh('pwd; hostname', { workdir: '/not/there', hostname: 'myhost' }));
    assert.equal(b.stdout, '/not/there\nmyhost\n');
  });

  test('mounts: /proc, /sys read-only, /dev, /dev/pts, /dev/shm 64m, /dev/mqueue, cgroups, masked and read-only /proc paths', async () => {
    // (/proc/kcore, the path Docker's docs cite, does not exist on this host's kernel: /proc/keys and /proc/timer_list do.)
    // The root line differs (an overlay mount under Docker, a plain directory here) and so do the bind sources' devices.
    const r = await sideBySide({ cmd: ['cat', '/proc/mounts'] }, (s) => s.split('\n').slice(1).filter((l) => !l.includes(' /etc/')).join('\n'));
    assert.match(r.stdout, /^shm \/dev\/shm tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k 0 0$/m);
    assert.match(r.stdout, /^sysfs \/sys sysfs ro,/m);
    for (const f of ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf']) assert.match(r.stdout, new RegExp(` ${f} `));
    const masked = await sideBySide(sh('cat /proc/keys /proc/timer_list | wc -c; ls /sys/firmware | wc -l; echo x > /proc/sys/kernel/domainname; echo rc=$?; touch /sys/x; echo rc=$?'));
    assert.equal(masked.stdout, '0\n0\nrc=1\nrc=1\n');
  });

  test('/etc/hosts, /etc/resolv.conf and /etc/hostname are the container\'s own, with Docker\'s contents', async () => {
    const shortId = (s: string) => s.replace(/\b[0-9a-f]{12}\b/g, '<id>');
    for (const network of ['none', 'host'] as const) {
      const r = await sideBySide(sh('cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; cat /etc/hostname', { network }), shortId);
      assert.match(r.stdout, /^127\.0\.0\.1\s+localhost$/m);
    }
  });

  test('/dev holds the standard nodes with Docker\'s modes', async () => {
    await sideBySide({ cmd: ['ls', '-ln', '/dev'] }, (s) => s.split('\n').map((l) => l.split(/\s+/).filter((_, i) => i < 5 || i > 7).join(' ')).join('\n'));
  });

  test('--network none: only loopback, up; --network host: the host\'s interfaces', async () => {
    const none = await sideBySide(sh('ls /sys/class/net; cat /sys/class/net/lo/flags'));
    assert.equal(none.stdout, 'lo\n0x9\n');
    const host = await sideBySide(sh('ls /sys/class/net | sort', { network: 'host' }));
    assert.equal(host.stdout, execFileSync('sh', ['-c', 'ls /sys/class/net | sort'], { encoding: 'utf8' }));
  });

  test('--read-only: the rootfs refuses writes, /tmp of the image included; /dev/shm stays writable', async () => {
    const r = await sideBySide(sh('touch /x 2>&1; touch /tmp/y 2>&1; touch /dev/shm/z && echo shm-ok', { readOnly: true }));
    assert.match(r.stdout, /Read-only file system/);
    assert.match(r.stdout, /shm-ok/);
  });

  test('--ulimit within the caller\'s hard limit; above it refused with a clear error', async () => {
    await sideBySide(sh('ulimit -n; ulimit -Hn; ulimit -u', { ulimits: [parseUlimit('nofile=1000:2000'), parseUlimit('nproc=500')] }));
    const hard = Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }));
    assert.throws(() => makeBundle(work, rootfs, { cmd: ['true'], ulimits: [{ name: 'nofile', soft: hard + 1, hard: hard + 1 }] }), /the hard limit cannot exceed/);
  });

  test('--init: tini is PID 1 and the command its child', async () => {
    const r = await sideBySide(sh('tr "\\0" " " < /proc/1/cmdline', { initPath: '/usr/bin/tini-static' }));
    assert.match(r.stdout, /^\/sbin\/docker-init -- sh -c /);
  });
});

describe('--privileged (Docker itself fails here: runc cannot apply CAP_SYS_RESOURCE on this host)', () => {
  test('every capability the host allows, no seccomp, no masked paths, the host\'s devices, a writable /sys', async () => {
    const b = makeBundle(work, rootfs, { cmd: ['true'], privileged: true });
    assert.deepEqual(b.warnings, ["CAP_SYS_RESOURCE is not in this host's bounding set: the container runs without it"]);
    const bounding = /^CapBnd:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1];
    const r = await run(sh('grep -E "CapEff|Seccomp:" /proc/self/status; grep -c /proc/keys /proc/mounts; ls /dev | wc -l; grep " /sys sysfs" /proc/mounts', { privileged: true }));
    assert.equal(r.code, 0, r.stderr);
    const [capEff, seccomp, keysMasks, devCount, sys] = r.stdout.trim().split('\n');
    assert.equal(capEff, `CapEff:\t${bounding}`);
    assert.equal(seccomp, 'Seccomp:\t0');
    assert.equal(keysMasks, '0', '/proc/keys is not masked');
    assert.ok(Number(devCount) > 20, `${devCount} entries in /dev`);
    assert.match(sys!, /^sysfs \/sys sysfs rw,/);
  });
});

describe('cgroup limits, visible in the container\'s cgroup', () => {
  test('-m, --pids-limit, --cpus', async () => {
    const r = await sideBySide(sh('cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us',
      { memory: 64 * 1024 * 1024, pidsLimit: 50, nanoCpus: 1.5e9 }));
    assert.equal(r.stdout, '67108864\n50\n150000\n');
  });

  test('the pids limit holds: forking past it fails', async () => {
    const r = await run(sh('read max < /sys/fs/cgroup/pids/pids.max; echo max=$max; for i in 1 2 3 4 5 6 7 8; do sleep 2 & done', { pidsLimit: 5 }));
    assert.equal(r.stdout, 'max=5\n');
    assert.match(r.stderr, /can't fork|Resource temporarily unavailable/);
  });
});

describe('the runtime wrapper', () => {
  test('create/start/state/ps/pause/resume/exec/kill/delete on a container under a root of its own', async () => {
    const b = makeBundle(work, rootfs, { cmd: ['sleep', '1000'] });
    const other = new OciRuntime('runc', join(work, 'other-state'));
    await runc.create(b.id, b.dir, { pidFile: join(b.dir, 'pid') });
    assert.equal((await runc.state(b.id))!.status, 'created');
    await runc.start(b.id);
    const state = (await runc.state(b.id))!;
    assert.equal(state.status, 'running');
    assert.equal(Number(readFileSync(join(b.dir, 'pid'), 'utf8')), state.pid);
    assert.deepEqual((await runc.list()).map((s) => s.id), [b.id]);
    assert.deepEqual(await other.list(), []);
    assert.equal(await other.state(b.id), null);
    assert.deepEqual(await runc.ps(b.id), [state.pid]);

    await runc.pause(b.id);
    assert.equal((await runc.state(b.id))!.status, 'paused');
    assert.equal(readFileSync(`/sys/fs/cgroup/freezer/strata/${b.id}/freezer.state`, 'utf8').trim(), 'FROZEN');
    await runc.resume(b.id);
    assert.equal((await runc.state(b.id))!.status, 'running');

    const proc = join(b.dir, 'exec.json');
    const spec = JSON.parse(readFileSync(join(b.dir, 'config.json'), 'utf8')) as { process: { args: string[] } };
    const outPath = join(b.dir, 'exec.out');
    const out = openSync(outPath, 'w');
    writeFileSync(proc, JSON.stringify({ ...spec.process, args: ['sh', '-c', 'echo in $(hostname); exit 3'] }));
    assert.equal(await runc.execProcess(b.id, { processFile: proc, stdio: ['ignore', out, out], log: join(b.dir, 'exec.log') }), 3);
    closeSync(out);
    assert.equal(readFileSync(outPath, 'utf8'), `in ${b.id.slice(0, 12)}\n`);
    // docker exec answers 126 for a command it cannot start, a missing one included (run tells 127 apart).
    writeFileSync(proc, JSON.stringify({ ...spec.process, args: ['nonexist'] }));
    await assert.rejects(runc.execProcess(b.id, { processFile: proc, stdio: 'ignore', log: join(b.dir, 'exec.log') }), (e: RuntimeError) => e.exitCode === 126);

    // exec -e -u -w: Docker's environment (HOME from the exec user), user and directory.
    const container = JSON.parse(readFileSync(join(b.dir, 'config.json'), 'utf8')) as OciSpec;
    const exec = execProcess({
      cmd: ['sh', '-c', 'env; id; pwd'], hostname: container.hostname, containerEnv: ['A=1'], container: container.process,
      env: ['A=2', 'B=3'], user: resolveUser(rootfs, 'app'), workdir: '/',
    }, hostFacts());
    writeFileSync(proc, JSON.stringify(exec.process));
    const out2 = openSync(outPath, 'w');
    assert.equal(await runc.execProcess(b.id, { processFile: proc, stdio: ['ignore', out2, out2], log: join(b.dir, 'exec.log') }), 0);
    closeSync(out2);
    // What `docker exec -e A=2 -e B=3 -u app -w / C sh -c 'env; id; pwd'` printed for a container run with -e A=1.
    assert.equal(readFileSync(outPath, 'utf8'), [
      `HOSTNAME=${b.id.slice(0, 12)}`, 'SHLVL=1', 'HOME=/home/app', 'A=2', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'B=3', 'PWD=/', 'uid=1000(app) gid=1000(app) groups=10(wheel),50(staff),1000(app)', '/', ''].join('\n'));

    // exec -d returns at once; the process runs on.
    writeFileSync(proc, JSON.stringify({ ...spec.process, args: ['sleep', '30'] }));
    assert.equal(await runc.execProcess(b.id, { processFile: proc, detach: true, stdio: 'ignore', log: join(b.dir, 'exec.log') }), 0);
    assert.equal((await runc.ps(b.id)).length, 2);

    await runc.kill(b.id, 'KILL');
    for (let i = 0; i < 50 && (await runc.state(b.id))!.status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await runc.state(b.id))!.status, 'stopped');
    await runc.delete(b.id);
    assert.equal(await runc.state(b.id), null);
    assert.ok(!existsSync(`/sys/fs/cgroup/memory/strata/${b.id}`));
  });

  test('crun on this host\'s hybrid cgroups fails with a clear error, never silently', async (t) => {
    if (!existsSync('/usr/bin/crun')) return t.skip('crun is not installed');
    const crun = new OciRuntime('crun', join(work, 'crun-state'));
    const b = makeBundle(work, rootfs, { cmd: ['true'] });
    const hybrid = existsSync('/sys/fs/cgroup/unified') && existsSync('/sys/fs/cgroup/memory');
    if (!hybrid) return t.skip('this host\'s cgroups are not hybrid');
    await assert.rejects(crun.run(b.id, b.dir, { stdio: 'ignore' }), (e: RuntimeError) =>
      e.exitCode === 125 && /^crun cannot run containers on this host: its cgroups are in hybrid mode .*use --runtime runc$/.test(e.message));
  });
});
