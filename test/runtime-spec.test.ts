/**
 * The container spec as Docker 20.10 writes it, checked without running anything: argv and env merging,
 * users and groups resolved inside the rootfs, capabilities, the seccomp policy, limits this host
 * refuses, mounts; and the k8s-file log reader. The expected values are Docker's, read on the benchmark
 * host (docker run … and the config.json dockerd handed to runc).
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { capabilityMask, containerCapabilities, DEFAULT_CAPABILITIES, CAPABILITIES } from '../src/runtime/capabilities.js';
import type { HostFacts } from '../src/runtime/host.js';
import { readLog, readLogFrom } from '../src/runtime/logs.js';
import { containerResolvConf, networkFiles } from '../src/runtime/netfiles.js';
import { startFailureCode } from '../src/runtime/runc.js';
import { defaultSeccomp } from '../src/runtime/seccomp.js';
import { containerSpec, execProcess, mergeEnv, parseUlimit, processArgs, type ContainerRunOptions } from '../src/runtime/spec.js';
import { readFileInRoot, resolveUser } from '../src/runtime/user.js';
import { GROUP, PASSWD } from './lib/bundle.js';

/** The benchmark host: CAP_SYS_RESOURCE missing from the bounding set, nofile hard limit 20000. */
const HOST: HostFacts = {
  arch: 'x64', hostname: 'benchhost',
  bounding: CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE'),
  hardLimits: { RLIMIT_NOFILE: 20000, RLIMIT_NPROC: 96364, RLIMIT_CORE: Infinity },
  oomScoreAdj: 0,
};
const ID = 'f4b4ff4598fa6d6e7bf62fb0c53fda15de5c0bd653b5f937b4cc303dbefb9daf';
const ROOT_USER = { uid: 0, gid: 0, additionalGids: [0, 10], home: '/root' };
const base = (o: Partial<ContainerRunOptions> = {}): ContainerRunOptions => ({
  id: ID, rootfs: '/r', containerDir: '/c', image: { Cmd: ['sh'] }, user: ROOT_USER, network: 'none', ...o,
});

describe('process: argv, env, cwd as Docker merges them', () => {
  const image = { Entrypoint: ['echo', 'ep'], Cmd: ['c1'] };
  test('Entrypoint + Cmd; the command line replaces Cmd; --entrypoint replaces Entrypoint and drops Cmd', () => {
    assert.deepEqual(processArgs(image), ['echo', 'ep', 'c1']);
    assert.deepEqual(processArgs(image, ['x', 'y']), ['echo', 'ep', 'x', 'y']);
    assert.deepEqual(processArgs(image, [], 'echo'), ['echo']);
    assert.deepEqual(processArgs(image, ['echo', 'hi'], ''), ['echo', 'hi']);
    assert.throws(() => processArgs(image, [], ''), /^Error: No command specified$/);
    assert.throws(() => processArgs({}), /No command specified/);
  });

  test('env: default PATH, HOSTNAME, TERM with -t, the image then -e replacing by name, HOME from passwd last', () => {
    const { spec } = containerSpec(base({ tty: true, image: { Cmd: ['sh'], Env: ['PATH=/bin:/custom', 'FOO=img'] }, env: ['FOO=cli', 'BAR=1', 'PATH=/x:/bin'] }), HOST);
    assert.deepEqual(spec.process.env, ['PATH=/x:/bin', `HOSTNAME=${ID.slice(0, 12)}`, 'TERM=xterm', 'FOO=cli', 'BAR=1', 'HOME=/root']);
    assert.equal(spec.process.terminal, true);
    assert.deepEqual(containerSpec(base({ tty: true, consoleSize: { height: 30, width: 100 } }), HOST).spec.process.consoleSize, { height: 30, width: 100 });
    assert.equal(containerSpec(base({ consoleSize: { height: 30, width: 100 } }), HOST).spec.process.consoleSize, undefined);
    const plain = containerSpec(base(), HOST).spec;
    assert.deepEqual(plain.process.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${ID.slice(0, 12)}`, 'HOME=/root']);
    assert.equal(plain.process.terminal, undefined);
    assert.deepEqual(mergeEnv(['A=1'], ['A=2', 'B=3']), ['A=2', 'B=3']);
    // A bare name unsets the variable (Docker's ReplaceOrAppendEnvValues): the runtime never sees `X` alone.
    assert.deepEqual(mergeEnv(['A=1', 'B=2'], ['A', 'X']), ['B=2']);
  });

  test('cwd: -w over the image WorkingDir over /; a relative one is refused with Docker\'s words', () => {
    assert.equal(containerSpec(base(), HOST).spec.process.cwd, '/');
    assert.equal(containerSpec(base({ image: { Cmd: ['sh'], WorkingDir: '/wd' } }), HOST).spec.process.cwd, '/wd');
    assert.equal(containerSpec(base({ image: { Cmd: ['sh'], WorkingDir: '/wd' }, workdir: '/w' }), HOST).spec.process.cwd, '/w');
    assert.throws(() => containerSpec(base({ workdir: 'rel' }), HOST), /the working directory 'rel' is invalid, it needs to be an absolute path/);
  });

  test('hostname: the short ID, --hostname, the host\'s with --network host', () => {
    assert.equal(containerSpec(base(), HOST).spec.hostname, ID.slice(0, 12));
    assert.equal(containerSpec(base({ hostname: 'myhost' }), HOST).spec.hostname, 'myhost');
    assert.equal(containerSpec(base({ network: 'host' }), HOST).spec.hostname, 'benchhost');
  });

  test('--init runs tini as PID 1 from /sbin/docker-init, bind-mounted read-only', () => {
    const { spec } = containerSpec(base({ initPath: '/usr/bin/tini-static', cmd: ['sleep', '1'] }), HOST);
    assert.deepEqual(spec.process.args, ['/sbin/docker-init', '--', 'sleep', '1']);
    assert.deepEqual(spec.mounts.find((m) => m.destination === '/sbin/docker-init'), { destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/tini-static', options: ['bind', 'ro'] });
  });
});

describe('exec: Docker\'s process for docker exec', () => {
  const container = containerSpec(base({ env: ['A=1'] }), HOST).spec;
  test('env starts again from PATH, HOSTNAME, TERM with -t and the container\'s variables; user, cwd and caps are the container\'s', () => {
    const { process: p } = execProcess({ cmd: ['env'], hostname: container.hostname, containerEnv: ['A=1'], container: container.process, tty: true }, HOST);
    // What `docker exec -t C env` printed for a container run with -e A=1.
    assert.deepEqual(p.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${ID.slice(0, 12)}`, 'TERM=xterm', 'A=1', 'HOME=/root']);
    assert.equal(p.terminal, true);
    assert.deepEqual(p.user, container.process.user);
    assert.equal(p.cwd, '/');
    assert.deepEqual(p.capabilities, container.process.capabilities);
    const plain = execProcess({ cmd: ['env'], hostname: 'h', containerEnv: [], container: container.process }, HOST).process;
    assert.equal(plain.terminal, undefined);
    assert.throws(() => execProcess({ cmd: [], hostname: 'h', containerEnv: [], container: container.process }, HOST), /No command specified/);
  });

  test('exec --privileged: every capability the host allows, with a warning for the rest', () => {
    const built = execProcess({ cmd: ['true'], hostname: 'h', containerEnv: [], container: container.process, privileged: true }, HOST);
    assert.equal(capabilityMask(built.process.capabilities!.effective as never), '000001fffeffffff');
    assert.equal(built.warnings.length, 1);
  });
});

describe('users and groups, read inside the rootfs', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'strata-users-'));
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/passwd'), PASSWD);
    writeFileSync(join(root, 'etc/group'), GROUP);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  // Each row is what `id` printed under Docker 20.10 for the same /etc/passwd and /etc/group.
  const cases: [string, number, number, number[], string][] = [
    ['', 0, 0, [0, 10], '/root'],
    ['root', 0, 0, [0, 10], '/root'],
    // The supplementary groups in the group file's order (the kernel sorts them: `id` shows 10,50,1000).
    ['app', 1000, 1000, [1000, 50, 10], '/home/app'],
    ['1000', 1000, 1000, [1000, 50, 10], '/home/app'],
    ['1000:50', 1000, 50, [50], '/home/app'],
    ['app:staff', 1000, 50, [50], '/home/app'],
    ['app:app', 1000, 1000, [1000], '/home/app'],
    ['app:', 1000, 1000, [1000, 50, 10], '/home/app'],
    ['0:wheel', 0, 10, [10], '/root'],
    [':50', 0, 50, [50], '/root'],
    ['4242', 4242, 0, [0], '/'],
    ['4242:4242', 4242, 4242, [4242], '/'],
    ['app:4343', 1000, 4343, [4343], '/home/app'],
  ];
  for (const [spec, uid, gid, additionalGids, home] of cases) {
    test(`-u '${spec}'`, () => assert.deepEqual(resolveUser(root, spec), { uid, gid, additionalGids, home }));
  }

  test('an unknown user or group gets Docker\'s message', () => {
    assert.throws(() => resolveUser(root, 'nobody2'), /^Error: unable to find user nobody2: no matching entries in passwd file$/);
    assert.throws(() => resolveUser(root, 'app:nogroup2'), /^Error: unable to find group nogroup2: no matching entries in group file$/);
  });

  test('no /etc/passwd: numbers work, names do not', () => {
    const bare = mkdtempSync(join(tmpdir(), 'strata-users-'));
    try {
      assert.deepEqual(resolveUser(bare, ''), { uid: 0, gid: 0, additionalGids: [0], home: '/' });
      assert.deepEqual(resolveUser(bare, '7:8'), { uid: 7, gid: 8, additionalGids: [8], home: '/' });
      assert.throws(() => resolveUser(bare, 'app'), /unable to find user app: no matching entries in passwd file/);
    } finally {
      rmSync(bare, { recursive: true });
    }
  });

  test('symlinks resolve inside the rootfs: an absolute link to /etc/shadow-like host files reads the rootfs\'s own', () => {
    const evil = mkdtempSync(join(tmpdir(), 'strata-users-'));
    const hostSecret = mkdtempSync(join(tmpdir(), 'strata-host-'));
    try {
      writeFileSync(join(hostSecret, 'passwd'), 'evil:x:0:0:evil:/evil:/bin/sh\n');
      mkdirSync(join(evil, 'etc'));
      // /etc/passwd -> <host dir>/passwd (absolute) and /etc/group -> ../../../../<host dir>/group (climbing).
      symlinkSync(join(hostSecret, 'passwd'), join(evil, 'etc/passwd'));
      symlinkSync(`../../../../../..${hostSecret}/passwd`, join(evil, 'etc/group'));
      assert.throws(() => resolveUser(evil, 'evil'), /unable to find user evil/);
      assert.equal(readFileInRoot(evil, '/etc/group'), null);
      // The same link target created inside the rootfs is what gets read.
      mkdirSync(join(evil, hostSecret), { recursive: true });
      writeFileSync(join(evil, hostSecret, 'passwd'), 'inside:x:5:5:inside:/in:/bin/sh\n');
      assert.deepEqual(resolveUser(evil, 'inside'), { uid: 5, gid: 5, additionalGids: [5], home: '/in' });
      // A directory link inside the rootfs is followed too (/etc -> /real/etc).
      const linked = mkdtempSync(join(tmpdir(), 'strata-users-'));
      mkdirSync(join(linked, 'real/etc'), { recursive: true });
      writeFileSync(join(linked, 'real/etc/passwd'), PASSWD);
      symlinkSync('/real/etc', join(linked, 'etc'));
      assert.equal(resolveUser(linked, 'app').uid, 1000);
      rmSync(linked, { recursive: true });
    } finally {
      rmSync(evil, { recursive: true });
      rmSync(hostSecret, { recursive: true });
    }
  });
});

describe('capabilities', () => {
  test('the default set is Docker\'s: CapEff/CapBnd 00000000a80425fb, in Docker\'s order', () => {
    const { spec } = containerSpec(base(), HOST);
    assert.equal(capabilityMask(spec.process.capabilities!.bounding as never), '00000000a80425fb');
    assert.deepEqual(spec.process.capabilities!.effective, [...DEFAULT_CAPABILITIES]);
    assert.deepEqual(spec.process.capabilities!.permitted, [...DEFAULT_CAPABILITIES]);
  });

  test('--cap-add/--cap-drop with or without CAP_, any case; ALL; unknown names refused as Docker', () => {
    const caps = (o: Parameters<typeof containerCapabilities>[0]) => containerCapabilities(o, HOST.bounding).capabilities;
    // Docker 20.10 with --cap-drop CHOWN --cap-add NET_ADMIN wrote exactly this list.
    assert.deepEqual(caps({ capDrop: ['CHOWN'], capAdd: ['net_admin'] }), [
      'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP',
      'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE', 'CAP_NET_ADMIN']);
    assert.deepEqual(caps({ capDrop: ['ALL'], capAdd: ['CAP_KILL'] }), ['CAP_KILL']);
    assert.throws(() => caps({ capAdd: ['FOO'] }), /^Error: invalid CapAdd: unknown capability: "CAP_FOO"$/);
    assert.throws(() => caps({ capDrop: ['bar'] }), /invalid CapDrop: unknown capability: "CAP_BAR"/);
  });

  test('--privileged: every capability but the ones this host withholds (CAP_SYS_RESOURCE), with a warning; no seccomp, no masks', () => {
    const { spec, warnings } = containerSpec(base({ privileged: true }), HOST);
    assert.equal(capabilityMask(spec.process.capabilities!.bounding as never), '000001fffeffffff');
    assert.deepEqual(warnings, ["CAP_SYS_RESOURCE is not in this host's bounding set: the container runs without it"]);
    assert.equal(spec.linux.seccomp, undefined);
    assert.equal(spec.linux.maskedPaths, undefined);
    assert.equal(spec.linux.readonlyPaths, undefined);
    assert.deepEqual(spec.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
    assert.deepEqual(spec.mounts.find((m) => m.destination === '/sys')!.options, ['nosuid', 'noexec', 'nodev']);
    const added = containerSpec(base({ capAdd: ['SYS_RESOURCE'] }), HOST);
    assert.equal(added.warnings.length, 1);
    assert.ok(!added.spec.process.capabilities!.bounding.includes('CAP_SYS_RESOURCE'));
  });
});

describe('seccomp: Docker\'s default policy', () => {
  test('deny by default with EPERM, x86 architectures, the syscalls Docker allows and the conditional rules', () => {
    const policy = defaultSeccomp(DEFAULT_CAPABILITIES, 'x64');
    assert.equal(policy.defaultAction, 'SCMP_ACT_ERRNO');
    assert.deepEqual(policy.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const allowed = policy.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names);
    // 346 + ptrace + arch_prctl + modify_ldt + chroot: the unconditional names in Docker's generated spec on this host.
    assert.equal(new Set(allowed).size, 350);
    for (const denied of ['mount', 'umount2', 'unshare', 'setns', 'reboot', 'init_module', 'kexec_load', 'bpf', 'keyctl', 'add_key', 'open_by_handle_at', 'swapon', 'acct', 'settimeofday']) {
      assert.ok(!allowed.includes(denied), `${denied} is denied`);
    }
    assert.deepEqual(policy.syscalls.filter((r) => r.names.includes('personality')).map((r) => r.args![0]!.value), [0, 8, 131072, 131080, 4294967295]);
    assert.deepEqual(policy.syscalls.find((r) => r.names[0] === 'clone' && r.args), { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }] });
    assert.deepEqual(policy.syscalls.find((r) => r.names[0] === 'clone3'), { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  });

  test('capabilities widen it as Docker\'s do; dropping CAP_SYS_CHROOT removes chroot', () => {
    const names = (caps: typeof DEFAULT_CAPABILITIES) => new Set(defaultSeccomp(caps, 'x64').syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names));
    const admin = names([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']);
    for (const n of ['mount', 'umount2', 'unshare', 'setns', 'clone', 'clone3', 'bpf', 'sethostname']) assert.ok(admin.has(n), n);
    assert.ok(!defaultSeccomp([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], 'x64').syscalls.some((r) => r.names.includes('clone3') && r.action !== 'SCMP_ACT_ALLOW'));
    assert.ok(names([...DEFAULT_CAPABILITIES, 'CAP_SYS_PTRACE']).has('process_vm_readv'));
    assert.ok(names([...DEFAULT_CAPABILITIES, 'CAP_SYS_TIME']).has('settimeofday'));
    assert.ok(!names(DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT')).has('chroot'));
  });
});

describe('limits this host refuses, and resources', () => {
  test('--ulimit as Docker parses it; never above the caller\'s hard limit', () => {
    assert.deepEqual(parseUlimit('nofile=1000:2000'), { name: 'nofile', soft: 1000, hard: 2000 });
    assert.deepEqual(parseUlimit('nproc=500'), { name: 'nproc', soft: 500, hard: 500 });
    assert.throws(() => parseUlimit('bogus=1'), /^Error: invalid ulimit type: bogus$/);
    assert.throws(() => parseUlimit('nofile'), /invalid ulimit argument: nofile/);
    assert.throws(() => parseUlimit('nofile=3:2'), /ulimit soft limit must be less than or equal to hard limit: 3 > 2/);
    // Docker's words for each bad value, as its CLI checks them (the hard limit before the soft one).
    const refused = (arg: string) => { try { parseUlimit(arg); return 'taken'; } catch (e) { return (e as Error).message; } };
    assert.equal(refused('nofile=x'), 'strconv.ParseInt: parsing "x": invalid syntax');
    assert.equal(refused('nofile=x:y'), 'strconv.ParseInt: parsing "y": invalid syntax');
    assert.equal(refused('nofile='), 'strconv.ParseInt: parsing "": invalid syntax');
    assert.equal(refused('nofile=99999999999999999999'), 'strconv.ParseInt: parsing "99999999999999999999": value out of range');
    assert.equal(refused('nofile=1:2:3'), 'too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`');
    assert.equal(refused('=1'), 'invalid ulimit type: ');
    assert.equal(refused('nofile=-1:5'), 'ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 5');
    assert.deepEqual(parseUlimit('nofile=+5'), { name: 'nofile', soft: 5, hard: 5 });
    assert.deepEqual(parseUlimit('nofile=5:-1'), { name: 'nofile', soft: 5, hard: -1 });
    const { spec } = containerSpec(base({ ulimits: [parseUlimit('nofile=1000:2000'), parseUlimit('nproc=500')] }), HOST);
    assert.deepEqual(spec.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 2000, soft: 1000 }, { type: 'RLIMIT_NPROC', hard: 500, soft: 500 }]);
    assert.throws(() => containerSpec(base({ ulimits: [parseUlimit('nofile=30000:30000')] }), HOST), /--ulimit nofile=30000:30000: the hard limit cannot exceed 20000/);
    // Docker writes no rlimits by default: the process inherits the caller's.
    assert.equal(containerSpec(base(), HOST).spec.process.rlimits, undefined);
  });

  test('oomScoreAdj is 0 as Docker, and never below the caller\'s own', () => {
    assert.equal(containerSpec(base(), HOST).spec.process.oomScoreAdj, 0);
    assert.equal(containerSpec(base(), { ...HOST, oomScoreAdj: 300 }).spec.process.oomScoreAdj, 300);
    assert.equal(containerSpec(base(), { ...HOST, oomScoreAdj: -500 }).spec.process.oomScoreAdj, 0);
  });

  test('-m, --pids-limit, --cpus as Docker writes them; the device cgroup allowlist', () => {
    const { spec } = containerSpec(base({ memory: 64 * 1024 * 1024, pidsLimit: 50, nanoCpus: 1.5e9 }), HOST);
    assert.deepEqual(spec.linux.resources.memory, { limit: 67108864, swap: 134217728 });
    assert.deepEqual(spec.linux.resources.pids, { limit: 50 });
    assert.deepEqual(spec.linux.resources.cpu, { quota: 150000, period: 100000 });
    assert.throws(() => containerSpec(base({ memory: 1024 * 1024 }), HOST), /Minimum memory limit allowed is 6MB/);
    assert.deepEqual(spec.linux.resources.devices.map((d) => `${d.allow ? 'a' : 'd'} ${d.type ?? '*'} ${d.major ?? '*'}:${d.minor ?? '*'}`),
      ['d * *:*', 'a c 1:5', 'a c 1:3', 'a c 1:9', 'a c 1:8', 'a c 5:0', 'a c 5:1', 'd c 10:229']);
    assert.equal(spec.linux.cgroupsPath, `/strata/${ID}`);
  });
});

describe('namespaces and mounts', () => {
  test('pid, mount, ipc, uts and a new net namespace; --network host keeps the host\'s', () => {
    assert.deepEqual(containerSpec(base(), HOST).spec.linux.namespaces.map((n) => n.type), ['mount', 'network', 'uts', 'pid', 'ipc']);
    const host = containerSpec(base({ network: 'host' }), HOST).spec;
    assert.deepEqual(host.linux.namespaces.map((n) => n.type), ['mount', 'uts', 'pid', 'ipc']);
    assert.equal(host.linux.sysctl, undefined);
  });

  test('Docker\'s mounts in Docker\'s order, network files from the container directory, --shm-size, --read-only', () => {
    const { spec } = containerSpec(base(), HOST);
    assert.deepEqual(spec.mounts.map((m) => `${m.destination} ${m.type} ${m.source} ${m.options!.join(',')}`), [
      '/proc proc proc nosuid,noexec,nodev',
      '/dev tmpfs tmpfs nosuid,strictatime,mode=755,size=65536k',
      '/dev/pts devpts devpts nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5',
      '/sys sysfs sysfs nosuid,noexec,nodev,ro',
      '/sys/fs/cgroup cgroup cgroup ro,nosuid,noexec,nodev',
      '/dev/mqueue mqueue mqueue nosuid,noexec,nodev',
      '/dev/shm tmpfs shm nosuid,noexec,nodev,mode=1777,size=67108864',
      '/etc/resolv.conf bind /c/resolv.conf rbind,rprivate',
      '/etc/hostname bind /c/hostname rbind,rprivate',
      '/etc/hosts bind /c/hosts rbind,rprivate',
    ]);
    assert.deepEqual(spec.linux.maskedPaths, ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
      '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware']);
    assert.deepEqual(spec.linux.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
    const ro = containerSpec(base({ readOnly: true, shmSize: 32 * 1024 * 1024 }), HOST).spec;
    assert.deepEqual(ro.root, { path: '/r', readonly: true });
    assert.ok(ro.mounts.find((m) => m.destination === '/dev/shm')!.options!.includes('size=33554432'));
    assert.deepEqual(ro.mounts.find((m) => m.destination === '/etc/hosts')!.options, ['rbind', 'ro', 'rprivate']);
  });

  test('engine mounts come after, parents before children; one at /dev/shm replaces the default', () => {
    const { spec } = containerSpec(base({ mounts: [
      { destination: '/data/sub', type: 'bind', source: '/v2', options: ['rbind'] },
      { destination: '/data', type: 'bind', source: '/v1', options: ['rbind'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
    ] }), HOST);
    const dests = spec.mounts.map((m) => m.destination);
    assert.equal(dests.filter((d) => d === '/dev/shm').length, 1);
    assert.ok(dests.indexOf('/data') < dests.indexOf('/data/sub'));
    assert.equal(spec.mounts.find((m) => m.destination === '/dev/shm')!.source, 'tmpfs');
  });
});

describe('the container\'s network files', () => {
  test('--network none: Docker\'s hosts; the host\'s resolv.conf without loopback or IPv6 servers, Docker\'s defaults if none is left', () => {
    const files = networkFiles('abc', 'none', { hosts: '127.0.0.1 localhost\n10.0.0.1 myhost\n', resolvConf: 'search example.org\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver fe80::1\n' });
    assert.equal(files.hostname, 'abc\n');
    assert.equal(files.hosts, '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n');
    assert.equal(files.resolvConf, 'search example.org\nnameserver 10.0.0.2\n');
    assert.equal(containerResolvConf('nameserver 127.0.0.1\noptions ndots:2\n'), 'options ndots:2\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    assert.equal(containerResolvConf(''), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  });

  test('--network host: the host\'s files as they are', () => {
    const host = { hosts: '127.0.0.1 localhost\n', resolvConf: 'nameserver 127.0.0.53\n' };
    assert.deepEqual(networkFiles('vm', 'host', host), { hostname: 'vm\n', ...host });
  });
});

describe('exit codes of a process that cannot start, as docker run reports them', () => {
  test('127 not found, 126 not executable, 125 otherwise', () => {
    assert.equal(startFailureCode('exec: "nonexist": executable file not found in $PATH'), 127);
    assert.equal(startFailureCode('exec: "/nonexist": stat /nonexist: no such file or directory'), 127);
    assert.equal(startFailureCode('exec: "/etc/passwd": permission denied'), 126);
    assert.equal(startFailureCode('error setting rlimits for ready process: error setting rlimit type 7: operation not permitted'), 125);
  });
});

describe('the k8s-file log reader', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'strata-logs-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const rec = (sec: number, stream: string, tag: string, text: string) => `2026-11-30T08:00:${String(sec).padStart(2, '0')}.123456789+00:00 ${stream} ${tag} ${text}\n`;

  test('lines with their streams, partial records joined, an unfinished last line kept', () => {
    const path = join(dir, 'a.log');
    writeFileSync(path, rec(1, 'stdout', 'F', 'out') + rec(2, 'stderr', 'F', 'err') + rec(3, 'stdout', 'P', 'hal') + rec(3, 'stdout', 'F', 'f') + rec(4, 'stdout', 'F', '') + rec(5, 'stdout', 'P', 'no newline'));
    assert.deepEqual(readLog(path).map((l) => [l.stream, l.data.toString()]), [
      ['stdout', 'out\n'], ['stderr', 'err\n'], ['stdout', 'half\n'], ['stdout', '\n'], ['stdout', 'no newline']]);
    assert.deepEqual(readLog(path, { since: new Date('2026-11-30T08:00:02Z'), until: new Date('2026-11-30T08:00:04Z') }).map((l) => l.data.toString()), ['err\n', 'half\n']);
    assert.deepEqual(readLog(join(dir, 'missing.log')), []);
  });

  test('--tail N reads from the end: big logs answer from the last chunk', () => {
    const path = join(dir, 'big.log');
    const lines: string[] = [];
    for (let i = 0; i < 50000; i++) lines.push(rec(i % 60, i % 2 ? 'stderr' : 'stdout', 'F', `line ${i}`));
    writeFileSync(path, lines.join(''));
    assert.deepEqual(readLog(path, { tail: 3 }).map((l) => l.data.toString()), ['line 49997\n', 'line 49998\n', 'line 49999\n']);
    assert.deepEqual(readLog(path, { tail: 0 }), []);
    assert.equal(readLog(path, { tail: 100000 }).length, 50000);
    // A line split over records at the tail's edge comes back whole.
    appendFileSync(path, rec(1, 'stdout', 'P', 'a'.repeat(70000)) + rec(1, 'stdout', 'F', 'b'));
    const [last] = readLog(path, { tail: 1 });
    assert.equal(last!.data.toString(), `${'a'.repeat(70000)}b\n`);
  });

  test('following: only whole records are consumed, the offset continues', () => {
    const path = join(dir, 'f.log');
    writeFileSync(path, rec(1, 'stdout', 'F', 'one') + rec(2, 'stdout', 'P', 'tw'));
    const first = readLogFrom(path, 0);
    assert.deepEqual(first.lines.map((l) => l.data.toString()), ['one\n']);
    appendFileSync(path, rec(2, 'stdout', 'F', 'o'));
    const second = readLogFrom(path, first.offset);
    assert.deepEqual(second.lines.map((l) => l.data.toString()), ['two\n']);
    assert.deepEqual(readLogFrom(path, second.offset).lines, []);
  });
});
