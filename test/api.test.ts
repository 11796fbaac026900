/**
 * The Engine API service with real clients: Debian's docker CLI (20.10) pointed at it runs the seed
 * scenarios (build, pull and push too) and answers as strata's own CLI does on the same store; dockerode drives
 * create/start/attach/exec/logs/wait/remove; testcontainers starts a container and waits for its log line;
 * and the service answers bad input with Docker's errors, never a crash, and stops as asked.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { busyboxUserland } from './lib/bundle.js';
import { onTerminal } from './lib/terminal.js';
import { startRegistry, type LocalRegistry } from './lib/registry.js';
import { tarOf } from './lib/rootfs.js';
import { DRIVERS, STRATA_BIN, testStore, type TestStore } from './lib/strata.js';
import { DOCKER, startService, until, type Service } from './lib/apiservice.js';
import { Events } from '../src/engine/events.js';

/** One raw HTTP exchange on the socket: what the service wrote back before closing. */
function raw(socket: string, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(socket);
    let got = '';
    c.on('data', (d) => { got += d; });
    c.on('close', () => resolve(got));
    c.on('error', reject);
    c.end(request);
  });
}

const ok = (r: { status: number | null; stdout: string; stderr: string }, what: string): string => {
  assert.equal(r.status, 0, `${what}: ${r.stderr}`);
  return r.stdout;
};

let tarFile: string;
before(() => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-api-img-'));
  tarFile = join(dir, 'rootfs.tar');
  writeFileSync(tarFile, tarOf(busyboxUserland()));
});

describe('docker CLI through the service', () => {
  let s: TestStore;
  let svc: Service;
  before(async () => {
    s = testStore(DRIVERS[0]!);
    svc = await startService(s, ['--time', '0']);
  });
  after(() => {
    svc.proc.kill('SIGTERM');
    s.run(['rm', '-f', ...s.ok(['ps', '-aq']).split('\n').filter(Boolean)]);
    s.cleanup();
  });

  test('the seed scenarios answer as strata\'s CLI on the same store', () => {
    const d = svc.docker;
    const id = ok(d(['import', tarFile, 'seed:1']), 'import').trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(ok(d(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}']), 'images'), s.ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}']));
    for (const n of [1, 2, 3, 4, 5]) ok(d(['run', '-dit', '--name', `c${n}`, 'seed:1', 'sh']), `run -dit c${n}`);
    assert.equal(s.ok(['ps', '-q']).split('\n').filter(Boolean).length, 5);
    // exec: output on its own stream, the process's exit code.
    const ex = d(['exec', 'c1', 'sh', '-c', 'echo out; echo err >&2; mkdir /coins; echo 1 > /coins/a; exit 3']);
    assert.deepEqual([ex.status, ex.stdout, ex.stderr], [3, 'out\n', 'err\n']);
    assert.equal(ok(d(['exec', '-i', 'c2', 'cat'], 'through stdin\n'), 'exec -i'), 'through stdin\n');
    assert.equal(ok(d(['diff', 'c1']), 'diff'), s.ok(['diff', 'c1']));
    assert.match(ok(d(['diff', 'c1']), 'diff'), /^A \/coins\nA \/coins\/a\n$/);
    const ps = '{{.Names}} {{.Image}} {{.Command}} {{.Size}} {{.State}}';
    assert.equal(ok(d(['ps', '-a', '-s', '--format', ps]), 'ps -s'), s.ok(['ps', '-a', '-s', '--format', ps]));
    ok(d(['commit', '-m', 'coins', 'c1', 'seed:2']), 'commit');
    const hist = '{{.CreatedBy}}|{{.Size}}|{{.Comment}}';
    assert.equal(ok(d(['history', '--format', hist, 'seed:2']), 'history'), s.ok(['history', '--format', hist, 'seed:2']));
    // Volumes, --volumes-from, cp both ways.
    ok(d(['volume', 'create', 'chest']), 'volume create');
    ok(d(['run', '-d', '--name', 'box', '-v', 'chest:/chest', '-v', '/share', 'seed:1', 'sh', '-c', 'echo gold > /chest/g; echo shared > /share/s; sleep 300']), 'run -v');
    assert.equal(ok(d(['run', '--rm', '--volumes-from', 'box', 'seed:1', 'cat', '/share/s']), 'run --volumes-from'), 'shared\n');
    assert.equal(ok(d(['volume', 'ls', '-q']), 'volume ls'), s.ok(['volume', 'ls', '-q']));
    const host = mkdtempSync(join(tmpdir(), 'strata-api-cp-'));
    writeFileSync(join(host, 'in.txt'), 'into the box\n');
    ok(d(['cp', join(host, 'in.txt'), 'box:/root/']), 'cp in');
    assert.equal(s.ok(['exec', 'box', 'cat', '/root/in.txt']), 'into the box\n');
    ok(d(['cp', 'box:/root/in.txt', join(host, 'out.txt')]), 'cp out');
    assert.equal(readFileSync(join(host, 'out.txt'), 'utf8'), 'into the box\n');
    // logs: stdout and stderr apart, as strata's logs gives them.
    ok(d(['run', '--name', 'talker', 'seed:1', 'sh', '-c', 'echo one; echo two >&2']), 'run talker');
    const logs = d(['logs', 'talker']);
    assert.deepEqual([logs.stdout, logs.stderr], ['one\n', 'two\n']);
    assert.equal(ok(d(['logs', '--tail', '1', 'talker']), 'logs --tail'), s.ok(['logs', '--tail', '1', 'talker']));
    // An exit code through run (wait next-exit) and through run --rm (wait removed).
    assert.equal(d(['run', 'seed:1', 'sh', '-c', 'exit 7']).status, 7);
    assert.equal(d(['run', '--rm', 'seed:1', 'sh', '-c', 'exit 4']).status, 4);
    // save/load round trip.
    ok(d(['save', '-o', join(host, 'seed.tar'), 'seed:2']), 'save');
    ok(d(['rmi', 'seed:2']), 'rmi');
    assert.match(ok(d(['load', '-i', join(host, 'seed.tar')]), 'load'), /Loaded image: seed:2/);
    assert.equal(ok(d(['inspect', '-f', '{{.Comment}}', 'seed:2']), 'inspect'), 'coins\n');
    // Errors as Docker's daemon gives them.
    const missing = d(['inspect', 'nosuch']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /No such object: nosuch|No such container/);
    assert.match(d(['rm', 'box']).stderr, /Error response from daemon: You cannot remove a running container/);
    assert.match(d(['network', 'create', 'x']).stderr, /not supported/);
    rmSync(host, { recursive: true, force: true });
  });

  test('exec -t and -it on a real terminal: the process has a terminal of the client\'s size from its start, keys reach it, its exit code returns, the detach keys leave it running', async () => {
    s.ok(['import', tarFile, 'term:1']);
    ok(svc.docker(['run', '-d', '--name', 'termhost', 'term:1', 'sleep', '300']), 'run -d');
    const env = `DOCKER_HOST=unix://${svc.socket}`;
    // The docker CLI (API 1.41) sends its size only after the start: the process still has it at its first instruction.
    const sized = onTerminal(['env', env, DOCKER, 'exec', '-t', 'termhost', 'sh', '-c', 'stty size; tty; exit 3'], { rows: 33, columns: 101 });
    assert.equal(await sized.exited(30000), 3);
    assert.match(sized.screen, /^33 101\r*\n\/dev\/pts\/\d+\r*\n/);
    const shell = onTerminal(['env', env, DOCKER, 'exec', '-it', 'termhost', 'sh'], { rows: 24, columns: 80 });
    try {
      await shell.shows(/\/ # /, 30000);
      shell.type('stty size; echo typed-$((6*7))\r');
      await shell.shows(/24 80\r*\ntyped-42/);
      shell.type('exit 9\r');
      assert.equal(await shell.exited(30000), 9);
    } finally {
      shell.kill();
    }
    // ctrl-p ctrl-q (or --detach-keys): the client says why it ended and fails, the shell runs on, as with dockerd.
    for (const [keys, typed] of [[[], '\x10\x11'], [['--detach-keys', 'ctrl-a,x'], '\x01x']] as const) {
      const left = onTerminal(['env', env, DOCKER, 'exec', '-it', ...keys, 'termhost', 'sh'], { rows: 24, columns: 80 });
      try {
        await left.shows(/\/ # /, 30000);
        left.type('echo $$ > /tmp/left; echo noted\r');
        await left.shows(/noted/);
        left.type(typed);
        assert.equal(await left.exited(30000), 1);
        assert.match(left.screen, /read escape sequence\r*\n$/);
      } finally {
        left.kill();
      }
      assert.equal(ok(svc.docker(['exec', 'termhost', 'sh', '-c', 'kill -0 $(cat /tmp/left) && echo running']), 'exec'), 'running\n');
    }
    ok(svc.docker(['rm', '-f', 'termhost']), 'rm -f');
  });

  test('attach before start: docker start -ai relays from the first byte; docker attach of a created container is refused, as with dockerd', () => {
    s.ok(['import', tarFile, 'early:1']);
    const id = ok(svc.docker(['create', '-i', 'early:1', 'sh', '-c', 'echo started; read x; echo got $x; echo err >&2; exit 4']), 'create -i').trim();
    const refused = svc.docker(['attach', id]);
    assert.deepEqual([refused.status, refused.stderr], [1, 'You cannot attach to a stopped container, start it first\n']);
    const started = svc.docker(['start', '-ai', id], 'hello\n');
    assert.deepEqual([started.status, started.stdout, started.stderr], [4, 'started\ngot hello\n', 'err\n']);
    ok(svc.docker(['rm', id]), 'rm');
  });

  test('events made by the CLI and by the service both reach a client', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    ok(svc.docker(['create', '--name', 'ev1', 'seed:1', 'true']), 'create');
    s.ok(['rename', 'ev1', 'ev2']);
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const ev = ok(svc.docker(['events', '--since', since, '--until', until, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']), 'events');
    assert.match(ev, /container create ev1\ncontainer rename ev2\n/);
  });
});

describe('dockerode and testcontainers', () => {
  let s: TestStore;
  let svc: Service;
  before(async () => {
    s = testStore(DRIVERS[0]!);
    svc = await startService(s, ['--time', '0']);
    s.ok(['import', tarFile, 'node-seed:1']);
  });
  after(() => {
    svc.proc.kill('SIGTERM');
    s.run(['rm', '-f', ...s.ok(['ps', '-aq']).split('\n').filter(Boolean)]);
    s.cleanup();
  });

  test('dockerode: create, attach, start, exec, logs, wait, remove', async () => {
    const { default: Docker } = await import('dockerode');
    const docker = new Docker({ socketPath: svc.socket });
    const c = await docker.createContainer({ Image: 'node-seed:1', Cmd: ['sh', '-c', 'read line; echo "got $line"; echo warn >&2; exit 5'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const { PassThrough } = await import('node:stream');
    const so = new PassThrough().on('data', (d: Buffer) => out.push(d));
    const se = new PassThrough().on('data', (d: Buffer) => err.push(d));
    docker.modem.demuxStream(stream, so, se);
    await c.start();
    stream.write('hello\n');
    const { StatusCode } = await c.wait();
    assert.equal(StatusCode, 5);
    await until('the attach to end', () => Buffer.concat(out).toString() === 'got hello\n' && Buffer.concat(err).toString() === 'warn\n');
    const logs = await c.logs({ stdout: true, stderr: true });
    assert.equal(logs.subarray(8).toString().split('\u0002')[0]!.startsWith('got hello'), true);
    await c.remove();
    await assert.rejects(c.inspect(), /no such container/i);
    // exec in a running one, its exit code from exec inspect.
    const r = await docker.createContainer({ Image: 'node-seed:1', Cmd: ['sleep', '300'] });
    await r.start();
    const exec = await r.exec({ Cmd: ['sh', '-c', 'echo in-exec; exit 2'], AttachStdout: true, AttachStderr: true });
    const es = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    es.on('data', (d: Buffer) => chunks.push(d));
    await new Promise((resolve) => es.on('end', resolve));
    assert.equal(Buffer.concat(chunks).subarray(8).toString(), 'in-exec\n');
    assert.equal((await exec.inspect()).ExitCode, 2);
    // exec with a TTY: one raw stream (no frames), resized through POST /exec/{id}/resize.
    const t = await r.exec({ Cmd: ['sh'], Tty: true, AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const ts = await t.start({ hijack: true, stdin: true, Tty: true });
    let screen = '';
    ts.on('data', (d: Buffer) => { screen += d.toString('latin1'); });
    await until('the shell to start', () => (screen.includes('# ')), 15000);
    await t.resize({ h: 40, w: 120 });
    // runc passes the new size on when its SIGWINCH is handled, a moment after the resize answers.
    await until('the shell to see the new size', () => { ts.write('stty size\n'); return /\r\n40 120\r\n/.test(screen); }, 10000);
    const ended = new Promise((resolve) => ts.on('end', resolve));
    ts.write('exit 6\n');
    await ended;
    assert.doesNotMatch(screen, /^\u0001\0\0\0/);
    assert.equal((await t.inspect()).ExitCode, 6);
    await r.remove({ force: true });
  });

  test('testcontainers starts a container and waits for its log line', async () => {
    process.env.DOCKER_HOST = `unix://${svc.socket}`;
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    // testcontainers finds the host's address from the `bridge` network's gateway, which strata has not (README).
    process.env.TESTCONTAINERS_HOST_OVERRIDE = 'localhost';
    const { GenericContainer, Wait } = await import('testcontainers');
    const started = await new GenericContainer('node-seed:1')
      .withNetworkMode('host')
      .withCommand(['sh', '-c', 'echo warming; sleep 1; echo ready to serve; sleep 300'])
      .withWaitStrategy(Wait.forLogMessage('ready to serve'))
      .withStartupTimeout(30000)
      .start();
    assert.match(s.ok(['ps', '--format', '{{.State}}', '--filter', `id=${started.getId()}`]), /running/);
    await started.stop();
  });
});

describe('docker-compose through the service', () => {
  let s: TestStore;
  let svc: Service;
  let project: string;
  before(async () => {
    s = testStore(DRIVERS[0]!);
    svc = await startService(s, ['--time', '0']);
    s.ok(['import', '--change', 'ENV PATH=/bin', tarFile, 'compose-bb:1']);
    project = mkdtempSync(join(tmpdir(), 'strata-api-compose-'));
  });
  after(() => {
    svc.proc.kill('SIGTERM');
    s.run(['rm', '-f', ...s.ok(['ps', '-aq']).split('\n').filter(Boolean)]);
    s.cleanup();
    rmSync(project, { recursive: true, force: true });
  });

  /** Debian's docker-compose (1.29, python) in the project's directory, DOCKER_HOST at the service. */
  const compose = (args: string[]) => {
    const r = spawnSync('docker-compose', ['-p', 'duo', ...args], {
      cwd: project, encoding: 'utf8', timeout: 120000, env: { ...process.env, DOCKER_HOST: `unix://${svc.socket}`, COMPOSE_INTERACTIVE_NO_CLI: '1' },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test('two services sharing a named volume: up -d, ps, logs, down -v; a default network is refused with what to write instead', () => {
    // Each process ends on SIGTERM, so `down` does not wait out the stop timeout.
    const serve = (script: string) => JSON.stringify(['sh', '-c', `trap 'exit 0' TERM; ${script}; sleep 300 & wait`]);
    writeFileSync(join(project, 'docker-compose.yml'), [
      'version: "3.8"',
      'services:',
      '  writer:',
      '    image: compose-bb:1',
      '    network_mode: none',
      `    command: ${serve('echo written-by-writer > /data/note; echo writer up')}`,
      '    volumes: ["shared:/data"]',
      '  reader:',
      '    image: compose-bb:1',
      '    network_mode: none',
      '    depends_on: [writer]',
      `    command: ${serve('until [ -f /data/note ]; do sleep 0.1; done; cat /data/note')}`,
      '    volumes: ["shared:/data"]',
      'volumes:',
      '  shared: {}',
      '',
    ].join('\n'));
    const up = compose(['up', '-d']);
    assert.equal(up.status, 0, up.stderr);
    assert.match(up.stderr, /Creating volume "duo_shared" with default driver/);
    assert.match(up.stderr, /Creating duo_writer_1 \.\.\. done/);
    assert.equal(s.ok(['volume', 'ls', '-q']), 'duo_shared\n');
    assert.equal(s.ok(['ps', '--format', '{{.Names}} {{.State}}']).split('\n').filter(Boolean).sort().join('\n'), 'duo_reader_1 running\nduo_writer_1 running');
    const ps = compose(['ps']);
    assert.equal(ps.status, 0, ps.stderr);
    assert.match(ps.stdout, /^duo_reader_1 .* Up/m);
    assert.match(ps.stdout, /^duo_writer_1 .* Up/m);
    let logs = '';
    for (const end = Date.now() + 15000; Date.now() < end && !/reader_1 +\| written-by-writer/.test(logs);) logs = ok(compose(['logs', '--no-color']), 'logs');
    assert.match(logs, /writer_1 +\| writer up/);
    assert.match(logs, /reader_1 +\| written-by-writer/);
    const down = compose(['down', '-v']);
    assert.equal(down.status, 0, down.stderr);
    assert.match(down.stderr, /Removing volume duo_shared/);
    assert.equal(s.ok(['ps', '-aq']), '');
    assert.equal(s.ok(['volume', 'ls', '-q']), '');
    // Without network_mode, compose first creates the project's network, which strata has not.
    writeFileSync(join(project, 'docker-compose.yml'), 'version: "3.8"\nservices:\n  one:\n    image: compose-bb:1\n    command: ["true"]\n');
    const net = compose(['up', '-d']);
    assert.equal(net.status, 1);
    assert.match(net.stderr, /creating networks is not supported[^\n]*network_mode: none or network_mode: host/);
  });
});

describe('service robustness', () => {
  let s: TestStore;
  let svc: Service;
  before(async () => {
    s = testStore(DRIVERS[0]!);
    svc = await startService(s, ['--time', '0']);
    s.ok(['import', tarFile, 'rb:1']);
  });
  after(() => {
    svc.proc.kill('SIGKILL');
    s.cleanup();
  });

  test('the socket is 0660; bad requests get Docker\'s errors and the service stays up', async () => {
    assert.equal(statSync(svc.socket).mode & 0o777, 0o660);
    assert.match(await raw(svc.socket, 'GET /nope HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n'), /^HTTP\/1.1 404[^]*\{"message":"page not found"\}/);
    assert.match(await raw(svc.socket, 'GET /v1.12/info HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n'), /^HTTP\/1.1 400[^]*client version 1.12 is too old/);
    assert.match(await raw(svc.socket, 'GARBAGE\r\n\r\n'), /^HTTP\/1.1 400/);
    assert.match(await raw(svc.socket, `GET /info HTTP/1.1\r\nHost: d\r\nX-Big: ${'a'.repeat(2 * 1024 * 1024)}\r\n\r\n`), /^HTTP\/1.1 431/);
    const body = '{"Image": ';
    assert.match(await raw(svc.socket, `POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`), /^HTTP\/1.1 400[^]*invalid JSON/);
    assert.match(await raw(svc.socket, 'GET /containers/nosuch/json HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n'), /^HTTP\/1.1 404[^]*No such container: nosuch/);
    // Docker 20.10's build prune wraps its filter error; 400 as dockerd answers it.
    const nope = encodeURIComponent('{"nope":{"1":true}}');
    assert.match(await raw(svc.socket, `POST /build/prune?filters=${nope} HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n`), /^HTTP\/1.1 400[^]*\{"message":"failed to prune build cache: Invalid filter 'nope'"\}/);
    assert.match(await raw(svc.socket, 'HEAD /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n'), /^HTTP\/1.1 200[^]*Api-Version: 1.50/i);
    assert.equal(svc.docker(['version', '--format', '{{.Server.APIVersion}}']).stdout, '1.50\n');
  });

  test('many clients at once; an export never stalls the others; a client gone mid-export leaves nothing mounted', async () => {
    const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => new Promise<string>((resolve) => {
      const p = spawn(DOCKER, ['create', '--name', `many${i}`, 'rb:1', 'true'], { env: { ...process.env, DOCKER_HOST: `unix://${svc.socket}` } });
      let out = '';
      p.stdout.on('data', (d) => { out += d; });
      p.on('close', () => resolve(out.trim()));
    })));
    assert.equal(new Set(ids.filter((id) => /^[0-9a-f]{64}$/.test(id))).size, 10);
    // Start an export, and go away after its first bytes: the service stops it and unmounts what it mounted.
    await new Promise<void>((resolve) => {
      const c = connect(svc.socket);
      c.once('data', () => { assert.match(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(s.root)); c.destroy(); resolve(); });
      c.write('GET /containers/many0/export HTTP/1.1\r\nHost: d\r\n\r\n');
    });
    await until('the export to be unmounted', () => !readFileSync('/proc/self/mountinfo', 'utf8').includes(`${s.root}/`));
    assert.equal(svc.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean).length, 10);
  });

  test('a non-loopback TCP address is refused with the reason; --time exits when idle; SIGTERM stops it', async () => {
    const refused = s.run(['system', 'service', 'tcp://0.0.0.0:23750']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /refusing to serve the API without authentication on 0\.0\.0\.0/);
    const idle = await startService(s, ['--time', '1']);
    await until('the idle service to exit', () => idle.proc.exitCode !== null, 8000);
    assert.equal(idle.proc.exitCode, 0);
    const term = await startService(s, ['--time', '0']);
    term.proc.kill('SIGTERM');
    await until('SIGTERM to stop the service', () => term.proc.exitCode !== null, 8000);
    assert.equal(term.proc.exitCode, 0);
  });

  test('socket activation: the socket systemd passes at fd 3 (LISTEN_FDS, LISTEN_PID) is served, a connection made before the start included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-api-sd-'));
    const passed = join(dir, 'passed.sock');
    const named = join(dir, 'named.sock');
    // What systemd does: bind and listen, then in the service's process put the socket at fd 3, set
    // LISTEN_FDS=1 and LISTEN_PID to that process, and exec the service (bin/strata execs, keeping the PID).
    const systemd = `
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(16)
time.sleep(1)
if s.fileno() != 3: os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ.update(LISTEN_FDS='1', LISTEN_PID=str(os.getpid()), LISTEN_FDNAMES='strata.socket')
os.execv(sys.argv[2], sys.argv[2:])`;
    const proc = spawn('python3', ['-c', systemd, passed, STRATA_BIN, '--root', s.root, '--storage-driver', s.driver, 'system', 'service', '--time', '0', `unix://${named}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      await until('the socket to listen', () => existsSync(passed));
      // Sent while only the listening socket exists (the service is not running yet): answered once it is.
      const early = raw(passed, 'GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n');
      const late = new Promise<string>((resolve) => setTimeout(() => resolve('no answer in 15 s'), 15000).unref());
      assert.match(await Promise.race([early, late]), /^HTTP\/1.1 200[^]*OK$/);
      const env = { ...process.env, DOCKER_HOST: `unix://${passed}` };
      const made = spawnSync(DOCKER, ['create', '--name', 'activated', 'rb:1', 'true'], { env, encoding: 'utf8', timeout: 60000 });
      assert.equal(made.status, 0, made.stderr);
      assert.equal(s.ok(['inspect', '--format', '{{.Name}}', 'activated']), '/activated\n');
      // The URI's path was never made: the passed socket took its place, as Podman's service does.
      assert.equal(existsSync(named), false);
      proc.kill('SIGTERM');
      await until('SIGTERM to stop the activated service', () => proc.exitCode !== null, 8000);
      assert.equal(proc.exitCode, 0);
    } finally {
      proc.kill('SIGKILL');
      s.run(['rm', '-f', 'activated']);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('GET /events?since= answers from what a rotated events.log keeps, oldest first, both files', async () => {
    // Another process of the store's, with a small bound, rotates events.log while writing.
    const other = new Events(s.root, 1500);
    for (let i = 0; i < 12; i++) other.record('volume', 'create', `rot${i}`, { driver: 'local' });
    assert.ok(existsSync(other.previous), 'a rotation happened');
    const until = Math.ceil(Date.now() / 1000) + 1;
    const answer = await raw(svc.socket, `GET /events?since=0&until=${until}&filters=${encodeURIComponent('{"type":["volume"]}')} HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n`);
    const ids = [...answer.matchAll(/"ID":"(rot\d+)"/g)].map((m) => Number(m[1]!.slice(3)));
    assert.ok(ids.length > 2 && ids.length <= 12, `kept ${ids.length}: ${ids}`);
    assert.deepEqual(ids, Array.from({ length: ids.length }, (_, i) => 12 - ids.length + i));
  });

  test('SIGKILL of the service leaves a store the next command repairs', async () => {
    const killed = await startService(s, ['--time', '0']);
    // An import whose body is only half sent: the service is certainly mid-import when it is killed.
    const tar = readFileSync(tarFile);
    const client = connect(killed.socket);
    const closed = new Promise((r) => client.on('close', r));
    client.on('error', () => {});
    client.write(`POST /images/create?fromSrc=-&repo=half&tag=1 HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-tar\r\nContent-Length: ${tar.length}\r\n\r\n`);
    client.write(tar.subarray(0, tar.length >> 1));
    await new Promise((r) => setTimeout(r, 300));
    killed.proc.kill('SIGKILL');
    await closed;
    await until('the service to die', () => killed.proc.exitCode !== null || killed.proc.signalCode !== null);
    assert.doesNotMatch(s.ok(['images']), /^half /m);
    assert.match(s.ok(['system', 'check']), /No problems found/);
  });
});

describe('docker build, push and pull through the service', () => {
  let s: TestStore;
  let svc: Service;
  let reg: LocalRegistry;
  before(async () => {
    s = testStore(DRIVERS[0]!);
    svc = await startService(s, ['--time', '0']);
    reg = await startRegistry();
  });
  after(async () => {
    svc.proc.kill('SIGTERM');
    await reg.stop();
    s.cleanup();
  });

  test('the seed cow-test built with the classic builder, pushed, removed, pulled back and run; a missing name is a 404', () => {
    ok(svc.docker(['import', tarFile, 'api-base:1']), 'import');
    const ctx = mkdtempSync(join(tmpdir(), 'strata-api-ctx-'));
    writeFileSync(join(ctx, 'hello.sh'), '#!/bin/sh\necho Hello world\n', { mode: 0o755 });
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM api-base:1\nCOPY . /app\nRUN chmod +x /app/hello.sh\nCMD ["/bin/sh", "-c", "/app/hello.sh"]\n');
    const built = ok(svc.docker(['build', '-t', 'api-cow', ctx]), 'build');
    assert.match(built, /^Sending build context to Docker daemon {2}\S+\r*\nStep 1\/4 : FROM api-base:1\n ---> [0-9a-f]{12}\nStep 2\/4 : COPY \. \/app\n/);
    assert.match(built, /Successfully built [0-9a-f]{12}\nSuccessfully tagged api-cow:latest\n$/);
    // The same context again: every step from the cache.
    assert.equal((ok(svc.docker(['build', '-t', 'api-cow', ctx]), 'rebuild').match(/ ---> Using cache/g) ?? []).length, 3);
    rmSync(ctx, { recursive: true, force: true });
    const id = ok(svc.docker(['inspect', '-f', '{{.Id}}', 'api-cow']), 'inspect').trim();

    const name = `${reg.host}/api-cow:v1`;
    ok(svc.docker(['tag', 'api-cow', name]), 'tag');
    const pushed = ok(svc.docker(['push', name]), 'push');
    assert.match(pushed, new RegExp(`^The push refers to repository \\[${reg.host}/api-cow\\]\\n`));
    assert.match(pushed, /\nv1: digest: sha256:[0-9a-f]{64} size: \d+\n$/);
    ok(svc.docker(['rmi', name, 'api-cow']), 'rmi');
    const pulled = ok(svc.docker(['pull', name]), 'pull');
    assert.match(pulled, new RegExp(`^v1: Pulling from api-cow\\n[\\s\\S]*Status: Downloaded newer image for ${name}\\n${name}\\n$`));
    assert.equal(ok(svc.docker(['inspect', '-f', '{{.Id}}', name]), 'inspect pulled').trim(), id, 'the same image ID after the round trip');
    assert.equal(ok(svc.docker(['run', '--rm', name]), 'run'), 'Hello world\n');
    // run --rm's wait (condition=removed) raced the removal and could read 255 for a code conmon had recorded.
    const codes = Array.from({ length: 20 }, () => svc.docker(['run', '--rm', name, 'sh', '-c', 'exit 4']).status);
    assert.deepEqual(codes, Array(20).fill(4));

    const missing = svc.docker(['pull', `${reg.host}/nosuch`]);
    assert.deepEqual([missing.status, missing.stdout, missing.stderr],
      [1, 'Using default tag: latest\n', `Error response from daemon: manifest for ${reg.host}/nosuch:latest not found: manifest unknown: manifest unknown\n`]);
  });
});
