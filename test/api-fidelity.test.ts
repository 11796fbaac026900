/**
 * The docker CLI (Debian's 20.10) through `strata system service` answers as it does through Docker 20.10's
 * daemon: each expectation here is what the same command printed against dockerd, side by side, on the same
 * input (IDs and times aside).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startService, type Service } from './lib/apiservice.js';
import { busyboxUserland } from './lib/bundle.js';
import { tarOf } from './lib/rootfs.js';
import { DRIVERS, testStore, type Result, type TestStore } from './lib/strata.js';

const ok = (r: Result, what: string): string => {
  assert.equal(r.status, 0, `${what}: ${r.stderr}`);
  return r.stdout;
};

/** One request to the service: its status and body, for what the docker CLI does not show. */
function api(svc: Service, method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: svc.socket, method, path, headers: body ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the docker CLI through the service, as through dockerd', () => {
  let s: TestStore;
  let svc: Service;
  let dir: string;
  before(async () => {
    s = testStore(DRIVERS[0]!);
    svc = await startService(s, ['--time', '0']);
    dir = mkdtempSync(join(tmpdir(), 'strata-apifid-'));
    writeFileSync(join(dir, 'rootfs.tar'), tarOf(busyboxUserland()));
    ok(svc.docker(['import', join(dir, 'rootfs.tar'), 'seed:1']), 'import');
  });
  after(() => {
    svc.proc.kill('SIGTERM');
    s.run(['rm', '-f', ...s.ok(['ps', '-aq']).split('\n').filter(Boolean)]);
    s.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('save: a bare repository saves every tag; an unknown name or tag is told in Docker\'s words', () => {
    ok(svc.docker(['tag', 'seed:1', 'seed:2']), 'tag');
    const out = join(dir, 'all.tar');
    ok(svc.docker(['save', '-o', out, 'seed']), 'save seed');
    const manifest = JSON.parse(s.ok(['run', '--rm', '-v', `${dir}:/d`, 'seed:1', 'tar', '-xOf', '/d/all.tar', 'manifest.json'])) as { RepoTags: string[] }[];
    assert.deepEqual(manifest.flatMap((m) => m.RepoTags).sort(), ['seed:1', 'seed:2']);
    const missing = svc.docker(['save', 'nosuch']);
    assert.deepEqual([missing.status, missing.stderr], [1, 'Error response from daemon: No such image: nosuch\n']);
    const tag = svc.docker(['save', 'nosuch:1']);
    assert.deepEqual([tag.status, tag.stderr], [1, 'Error response from daemon: reference does not exist\n']);
  });

  test('logs --tail that is not a number gives every line, as Docker\'s daemon reads it', () => {
    ok(svc.docker(['run', '--name', 'talker', 'seed:1', 'sh', '-c', 'echo one; echo two >&2']), 'run');
    const r = svc.docker(['logs', '--tail', 'x', 'talker']);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, 'one\n', 'two\n']);
  });

  test('start of a paused container is refused as Docker refuses it', () => {
    ok(svc.docker(['run', '-d', '--name', 'napper', 'seed:1', 'sleep', '300']), 'run -d');
    ok(svc.docker(['pause', 'napper']), 'pause');
    const r = svc.docker(['start', 'napper']);
    assert.deepEqual([r.status, r.stdout, r.stderr], [1, '', 'Error response from daemon: cannot start a paused container, try unpause instead\nError: failed to start containers: napper\n']);
    ok(svc.docker(['unpause', 'napper']), 'unpause');
    assert.equal(ok(svc.docker(['start', 'napper']), 'start of a running container'), 'napper\n');
  });

  test('networks: none and host made at the service\'s start, filtered as Docker filters; removing, pruning, connecting answered as Docker or refused saying why', () => {
    const created = Date.parse(ok(svc.docker(['network', 'inspect', '-f', '{{.Created}}', 'none']), 'inspect').trim().replace(/ \+0000 UTC$/, 'Z').replace(' ', 'T'));
    assert.ok(Math.abs(Date.now() - created) < 10 * 60 * 1000, `none's creation time is the service's start, not year 1: ${created}`);
    assert.equal(ok(svc.docker(['network', 'ls', '--filter', 'driver=null', '--format', '{{.Name}}']), 'ls driver'), 'none\n');
    assert.equal(ok(svc.docker(['network', 'ls', '--filter', 'type=custom', '--format', '{{.Name}}']), 'ls custom'), '');
    const bad = svc.docker(['network', 'ls', '--filter', 'bogus=1']);
    assert.deepEqual([bad.status, bad.stderr], [1, 'Error response from daemon: Invalid filter \'bogus\'\n']);
    const rm = svc.docker(['network', 'rm', 'none']);
    assert.deepEqual([rm.status, rm.stderr], [1, 'Error response from daemon: none is a pre-defined network and cannot be removed\n']);
    assert.deepEqual(svc.docker(['network', 'prune', '-f']), { status: 0, stdout: '', stderr: '' });
    const connect = svc.docker(['network', 'connect', 'host', 'talker']);
    assert.equal(connect.status, 1);
    assert.match(connect.stderr, /^Error response from daemon: connecting a container to a network is not supported: .*--network/);
  });

  test('events filters as Docker\'s: names matched by prefix whatever the type, image= without its tag, a key it does not know matches everything', () => {
    const since = (Date.now() / 1000).toFixed(3);
    ok(svc.docker(['create', '--name', 'web', 'seed:1', 'true']), 'create web');
    ok(svc.docker(['volume', 'create', 'web-data']), 'volume create');
    const until = Math.ceil(Date.now() / 1000) + 1;
    const events = (...filters: string[]) => ok(svc.docker(['events', '--since', since, '--until', String(until),
      ...filters.flatMap((f) => ['--filter', f]), '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']), `events ${filters.join(' ')}`);
    assert.equal(events('container=web'), 'container create web\nvolume create <no value>\n');
    assert.equal(events('image=seed', 'type=container'), 'container create web\n');
    assert.equal(events('bogus=1'), events());
    assert.equal(events('container=nothing'), '');
  });

  test('archive: GET of a missing path is Docker\'s 404 message (HEAD a bare 404, which the CLI words)', async () => {
    const id = ok(svc.docker(['create', 'seed:1', 'true']), 'create').trim();
    assert.deepEqual(await api(svc, 'GET', `/v1.41/containers/${id}/archive?path=/nope`),
      { status: 404, body: `{"message":"Could not find the file /nope in container ${id}"}\n` });
    assert.deepEqual((await api(svc, 'HEAD', `/v1.41/containers/${id}/archive?path=/nope`)).status, 404);
    const cp = svc.docker(['cp', `${id}:/nope`, dir]);
    assert.deepEqual([cp.status, cp.stderr], [1, `Error: No such container:path: ${id}:/nope\n`]);
  });

  test('wait answers Docker\'s body, byte for byte', async () => {
    const id = ok(svc.docker(['run', '-d', 'seed:1', 'sh', '-c', 'exit 3']), 'run -d').trim();
    assert.deepEqual(await api(svc, 'POST', `/v1.41/containers/${id}/wait`), { status: 200, body: '{"Error":null,"StatusCode":3}\n' });
  });

  test('rename to an empty or invalid name is refused in Docker\'s words', async () => {
    ok(svc.docker(['create', '--name', 'named', 'seed:1', 'true']), 'create');
    assert.deepEqual(await api(svc, 'POST', '/v1.41/containers/named/rename?name='), { status: 400, body: '{"message":"Neither old nor new names may be empty"}\n' });
    const bad = svc.docker(['rename', 'named', 'a']);
    assert.deepEqual([bad.status, bad.stderr], [1, 'Error response from daemon: Error when allocating new name: Invalid container name (/a), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\nError: failed to rename container named named\n']);
  });

  test('paused and stopped containers: top lists a paused one\'s processes, rm and unpause refuse in Docker\'s words', () => {
    const id = ok(svc.docker(['run', '-d', '--name', 'frozen', 'seed:1', 'sleep', '300']), 'run -d').trim();
    ok(svc.docker(['pause', 'frozen']), 'pause');
    assert.match(ok(svc.docker(['top', 'frozen']), 'top of a paused container'), /^UID +PID +PPID +C +STIME +TTY +TIME +CMD\nroot .* sleep 300\n$/);
    const rm = svc.docker(['rm', 'frozen']);
    assert.deepEqual([rm.status, rm.stderr], [1, `Error response from daemon: You cannot remove a paused container ${id}. Unpause and then stop the container before attempting removal or force remove\n`]);
    const created = ok(svc.docker(['create', 'seed:1', 'true']), 'create').trim();
    const unpause = svc.docker(['unpause', created]);
    assert.deepEqual([unpause.status, unpause.stderr], [1, `Error response from daemon: Container ${created} is not paused\n`]);
  });

  test('create keeps the streams the client attaches as it sent them (run -d attaches none)', () => {
    const f = '{{.Config.AttachStdin}} {{.Config.AttachStdout}} {{.Config.AttachStderr}} {{.Config.OpenStdin}} {{.Config.StdinOnce}} {{.Config.Tty}}';
    const detached = ok(svc.docker(['run', '-dit', 'seed:1', 'sh']), 'run -dit').trim();
    assert.equal(ok(svc.docker(['inspect', '-f', f, detached]), 'inspect'), 'false false false true false true\n');
    const some = ok(svc.docker(['create', '-i', '-a', 'stdout', 'seed:1', 'true']), 'create -i -a stdout').trim();
    assert.equal(ok(svc.docker(['inspect', '-f', f, some]), 'inspect'), 'true true false true true false\n');
  });

  test('image and run events name what Docker\'s name: tag by the familiar name, untag/import/save/load by the image\'s ID; a foreground run attaches before it starts', () => {
    const since = (Date.now() / 1000).toFixed(3);
    const id = ok(svc.docker(['import', join(dir, 'rootfs.tar'), 'ev:1']), 'import').trim();
    ok(svc.docker(['tag', 'ev:1', 'ev:2']), 'tag');
    ok(svc.docker(['rmi', 'ev:2']), 'rmi');
    ok(svc.docker(['save', '-o', join(dir, 'ev.tar'), 'ev:1']), 'save');
    ok(svc.docker(['load', '-i', join(dir, 'ev.tar')]), 'load');
    ok(svc.docker(['run', '--name', 'evrun', 'ev:1', 'true']), 'run');
    const until = Math.ceil(Date.now() / 1000) + 1;
    const events = ok(svc.docker(['events', '--since', since, '--until', String(until), '--filter', 'type=image', '--filter', 'type=container',
      '--format', '{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}']), 'events');
    const c = ok(svc.docker(['inspect', '-f', '{{.Id}}', 'evrun']), 'inspect').trim();
    assert.equal(events, [
      `image tag ${id} ev:1`, `image import ${id} ${id}`, `image tag ${id} ev:2`, `image untag ${id} ${id}`,
      `image save ${id} ${id}`, `image load ${id} ${id}`,
      `container create ${c} evrun`, `container attach ${c} evrun`, `container start ${c} evrun`, `container die ${c} evrun`, '',
    ].join('\n'));
  });

  test('info and version print the host\'s facts where dockerd prints them, not blanks; the CLI\'s warnings are the host\'s', () => {
    const os = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))![1]!;
    const runcCommit = /^commit: (\S+)$/m.exec(spawnSync('runc', ['--version'], { encoding: 'utf8' }).stdout)![1]!;
    const info = ok(svc.docker(['info', '--format', '{{.OperatingSystem}}|{{.CgroupVersion}}|{{index .DriverStatus 0 0}}|{{.RuncCommit.ID}}|{{len .ID}}']), 'info --format');
    assert.equal(info, `${os}|${readFileSync('/proc/self/cgroup', 'utf8').startsWith('0::') ? 2 : 1}|Backing Filesystem|${runcCommit}|36\n`);
    const flag = (path: string) => { try { return readFileSync(path, 'utf8').trim() === '1'; } catch { return false; } };
    const warnings = svc.docker(['info']).stderr;
    assert.equal(warnings.includes('WARNING: IPv4 forwarding is disabled'), !flag('/proc/sys/net/ipv4/ip_forward'), warnings);
    assert.equal(warnings.includes('bridge-nf-call-iptables is disabled'), !flag('/proc/sys/net/bridge/bridge-nf-call-iptables'), warnings);
    const version = ok(svc.docker(['version']), 'version');
    assert.match(version, /\n  Built: +\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n/);
    assert.match(version, /\n runc:\n  Version: +\S+\n  GitCommit: +\S+\n/);
  });

  test('stats: a container that is not running answers dockerd\'s body byte for byte; a running one has Docker\'s sections and no networks', async () => {
    const id = ok(svc.docker(['create', '--name', 'still', 'seed:1', 'true']), 'create').trim();
    const zero = '{"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}}';
    const blkio = ['io_service_bytes_recursive', 'io_serviced_recursive', 'io_queue_recursive', 'io_service_time_recursive', 'io_wait_time_recursive',
      'io_merged_recursive', 'io_time_recursive', 'sectors_recursive'];
    assert.deepEqual(await api(svc, 'GET', '/v1.41/containers/still/stats?stream=false'), {
      status: 200,
      body: `{"read":"0001-01-01T00:00:00Z","preread":"0001-01-01T00:00:00Z","pids_stats":{},"blkio_stats":{${blkio.map((k) => `"${k}":null`).join(',')}},` +
        `"num_procs":0,"storage_stats":{},"cpu_stats":${zero},"precpu_stats":${zero},"memory_stats":{},"name":"/still","id":"${id}"}\n`,
    });
    ok(svc.docker(['run', '-d', '--name', 'busy', 'seed:1', 'sleep', '300']), 'run -d');
    const live = JSON.parse((await api(svc, 'GET', '/v1.41/containers/busy/stats?stream=false')).body) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(live).sort(), ['blkio_stats', 'cpu_stats', 'id', 'memory_stats', 'name', 'num_procs', 'pids_stats', 'precpu_stats', 'preread', 'read', 'storage_stats']);
    assert.deepEqual(Object.keys(live.blkio_stats!), blkio);
  });

  test('volume create keeps labels and options as the client sent them: {} from the docker CLI, null when none were sent', async () => {
    ok(svc.docker(['volume', 'create', 'given']), 'volume create');
    assert.equal(ok(svc.docker(['volume', 'inspect', '-f', '{{json .Labels}} {{json .Options}}', 'given']), 'inspect'), '{} {}\n');
    assert.equal((await api(svc, 'POST', '/v1.41/volumes/create', '{"Name":"bare"}')).status, 201);
    assert.equal(ok(svc.docker(['volume', 'inspect', '-f', '{{json .Labels}} {{json .Options}}', 'bare']), 'inspect'), 'null null\n');
  });

  test('docker-compose run -T relays the one-off container\'s output and exit code, and its attaches ending leaves the service up', () => {
    const project = mkdtempSync(join(tmpdir(), 'strata-apifid-compose-'));
    writeFileSync(join(project, 'docker-compose.yml'), 'version: "3.8"\nservices:\n  one:\n    image: seed:1\n    network_mode: none\n');
    const run = spawnSync('docker-compose', ['-p', 'oneoff', 'run', '--rm', '-T', 'one', 'sh', '-c', 'sleep 1; echo out; exit 3'], {
      cwd: project, encoding: 'utf8', timeout: 60000, env: { ...process.env, DOCKER_HOST: `unix://${svc.socket}`, COMPOSE_INTERACTIVE_NO_CLI: '1' },
    });
    rmSync(project, { recursive: true, force: true });
    assert.deepEqual([run.status, run.stdout], [3, 'out\n'], run.stderr);
    assert.equal(svc.proc.exitCode, null, 'the service is still running');
    ok(svc.docker(['version']), 'version after the run');
  });

  test('image inspect has the fields of the API version asked for, in Docker\'s order (1.41: Container, ContainerConfig, VirtualSize)', async () => {
    const old = JSON.parse(ok(svc.docker(['image', 'inspect', 'seed:1']), 'image inspect')) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(old[0]!), ['Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'Container', 'ContainerConfig', 'DockerVersion',
      'Author', 'Config', 'Architecture', 'Os', 'Size', 'VirtualSize', 'GraphDriver', 'RootFS', 'Metadata']);
    assert.equal(old[0]!.VirtualSize, old[0]!.Size);
    const now = JSON.parse((await api(svc, 'GET', '/v1.45/images/seed:1/json')).body) as Record<string, unknown>;
    assert.deepEqual(['Container', 'ContainerConfig', 'VirtualSize'].filter((k) => k in now), []);
  });

  test('lists as dockerd answers them: an image\'s containers uncounted (N/A), a volume\'s labels in Go\'s key order', async () => {
    assert.equal(ok(svc.docker(['images', '--format', '{{.Containers}}', 'seed:1']), 'images'), 'N/A\n');
    ok(svc.docker(['volume', 'create', '--label', 'b=1', '--label', 'a=2', 'labelled']), 'volume create');
    assert.equal((await api(svc, 'GET', '/v1.41/volumes/labelled')).body.match(/"Labels":\{[^}]*\}/)![0], '"Labels":{"a":"2","b":"1"}');
  });

  test('kill with a signal Docker does not know is refused as Docker refuses it; a known name in any form is sent', () => {
    ok(svc.docker(['run', '-d', '--name', 'target', 'seed:1', 'sleep', '300']), 'run -d');
    const bad = svc.docker(['kill', '-s', 'BOGUS', 'target']);
    assert.deepEqual([bad.status, bad.stderr], [1, 'Error response from daemon: Invalid signal: BOGUS\n']);
    assert.equal(ok(svc.docker(['kill', '-s', 'sigcont', 'target']), 'kill -s sigcont'), 'target\n');
    assert.equal(ok(svc.docker(['inspect', '-f', '{{.State.Status}}', 'target']), 'inspect'), 'running\n');
  });

  test('exec of a process that cannot start says why on stdout, in Docker\'s words, and exits 126', () => {
    ok(svc.docker(['run', '-d', '--name', 'host', 'seed:1', 'sleep', '300']), 'run -d');
    const user = svc.docker(['exec', '-u', 'nosuch', 'host', 'id']);
    assert.deepEqual([user.status, user.stdout, user.stderr], [126, 'unable to find user nosuch: no matching entries in passwd file\r\n', '']);
    const missing = svc.docker(['exec', 'host', '/nonexistent']);
    assert.deepEqual([missing.status, missing.stdout], [126,
      'OCI runtime exec failed: exec failed: unable to start container process: exec: "/nonexistent": stat /nonexistent: no such file or directory: unknown\r\n']);
  });

  test('logs --details puts each line after its (empty) details and a space, as dockerd does', () => {
    ok(svc.docker(['run', '--name', 'detailed', 'seed:1', 'sh', '-c', 'echo one; echo two >&2']), 'run');
    const r = svc.docker(['logs', '--details', 'detailed']);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, ' one\n', ' two\n']);
  });

  test('swarm, plugins and update answer as dockerd does outside a swarm with no plugin, or are refused saying why, never page not found', () => {
    const notManager = 'Error response from daemon: This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.\n';
    for (const args of [['node', 'ls'], ['service', 'ls'], ['secret', 'ls'], ['config', 'ls'], ['stack', 'ls']]) {
      const r = svc.docker(args);
      assert.deepEqual([r.status, r.stderr], [1, notManager], args.join(' '));
    }
    const leave = svc.docker(['swarm', 'leave']);
    assert.deepEqual([leave.status, leave.stderr], [1, 'Error response from daemon: This node is not part of a swarm\n']);
    assert.deepEqual(svc.docker(['plugin', 'ls']), { status: 0, stdout: 'ID        NAME      DESCRIPTION   ENABLED\n', stderr: '' });
    const inspect = svc.docker(['plugin', 'inspect', 'x']);
    assert.deepEqual([inspect.status, inspect.stderr], [1, 'Error: No such plugin: x\n']);
    ok(svc.docker(['create', '--name', 'fixed', 'seed:1', 'true']), 'create');
    const update = svc.docker(['update', '--cpus', '1', 'fixed']);
    assert.equal(update.status, 1);
    assert.match(update.stderr, /^Error response from daemon: updating a running container's resources is not supported by strata: /);
  });

  test('start -a of a container that has exited relays its next run and returns its exit code, however short the run', () => {
    ok(svc.docker(['create', '--name', 'again', 'seed:1', 'sh', '-c', 'echo o; echo e >&2; exit 5']), 'create');
    for (const round of [1, 2, 3]) {
      const r = svc.docker(['start', '-a', 'again']);
      assert.deepEqual([r.status, r.stdout, r.stderr], [5, 'o\n', 'e\n'], `round ${round}`);
    }
  });

  test('inspect\'s Mounts: a named volume given without a mode has Docker\'s mode z; with one, that mode; an anonymous one none', () => {
    const modes = (...flags: string[]) => {
      const id = ok(svc.docker(['create', ...flags, 'seed:1', 'true']), 'create').trim();
      return ok(svc.docker(['inspect', '-f', '{{range .Mounts}}{{.Mode}}|{{.RW}} {{end}}', id]), 'inspect');
    };
    assert.equal(modes('-v', 'modes:/p'), 'z|true \n');
    assert.equal(modes('-v', 'modes:/p:ro'), 'ro|false \n');
    assert.equal(modes('-v', '/p'), '|true \n');
  });

  test('run with a network or --volumes-from container that is not there says so, never pulls the image as if it were missing', () => {
    for (const [flag, value, message] of [['--network', 'nosuch', 'network nosuch not found'], ['--volumes-from', 'nosuch', 'No such container: nosuch']] as const) {
      const r = svc.docker(['run', '--rm', flag, value, 'seed:1', 'true']);
      assert.equal(r.status, 125, r.stderr);
      assert.ok(r.stderr.startsWith(`docker: Error response from daemon: ${message}.\n`), r.stderr);
      assert.ok(!r.stderr.includes('Unable to find image'), r.stderr);
    }
  });

  test('run --rm whose process cannot start: the container goes, as with dockerd, and the CLI returns 125 instead of waiting for a removal that never came', () => {
    const before = s.ok(['ps', '-aq']);
    const r = svc.docker(['run', '--rm', '-u', 'nosuch', 'seed:1', 'true']);
    assert.equal(r.status, 125, r.stderr);
    assert.ok(r.stderr.startsWith('docker: Error response from daemon: unable to find user nosuch: no matching entries in passwd file.\n'), r.stderr);
    assert.equal(s.ok(['ps', '-aq']), before);
  });
});
