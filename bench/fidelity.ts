/**
 * Side by side with Docker: the same verbs on the same input through `docker` and `strata`, and every
 * difference in output shape, exit status and inspect keys reported. IDs, times, random names and column
 * padding are normalised away; sizes, texts and statuses are not.
 *
 *   node_modules/bun/bin/bun.exe bench/fidelity.ts        (as root, with Docker's engine answering)
 *
 * It exits 0 when every difference is one of ALLOWED below (each is a line of the README's "Where it
 * differs from Docker"), 1 when any other is found, and 0 with a notice when Docker's engine does not answer.
 * It uses its own store under a temporary directory and names prefixed `fidelity-`, and removes both.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, copyFileSync, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dir, '..');
const STRATA = join(REPO, 'bin', 'strata');
const P = 'fidelity';

/** Differences kept on purpose, by step, with the README line that says why. */
const ALLOWED: Record<string, string> = {
  'inspect image keys': 'image inspect has the shape of today\'s Engine API: no VirtualSize, Container, ContainerConfig',
  'inspect image keys (committed)': 'image inspect has the shape of today\'s Engine API: no VirtualSize, Container, ContainerConfig',
  'tag to an upper-case name': 'strata names the repository in its lowercase error, as newer Docker does: repository name (library/UPPER) must be lowercase',
  'import to an upper-case name': 'strata names the repository in its lowercase error, as newer Docker does: repository name (library/UPPER) must be lowercase',
  'ps --format {{json .}} keys': 'ps has newer Docker\'s .Platform field, so {{json .}} has its key',
  'save entry order': 'strata writes manifest.json first so that a load streams (README: save)',
  'run of an upper-case image name': 'strata names the repository in its lowercase error, as newer Docker does: repository name (library/BAD) must be lowercase',
  'exec of a missing command': 'an exec that cannot start: runc\'s line, then strata\'s, on stderr (Docker 20.10 writes its one line to the exec\'s stdout)',
  'exec -w of a missing directory': 'an exec that cannot start: runc\'s line, then strata\'s, on stderr (Docker 20.10 writes its one line to the exec\'s stdout)',
  'exec -u of a missing user': 'an exec that cannot start: strata\'s line on stderr (Docker 20.10 writes it to the exec\'s stdout)',
  'run --network bridge': 'strata has no bridge network: --network bridge is refused saying so (README: --network)',
  'run -p': 'strata has no bridge network: -p is refused saying so unless with --network host (README: --network)',
};

/**
 * Steps whose lines come in no promised order: Docker's diff walks a Go map (strata sorts by path), and
 * tar listings are compared entry by entry (the order of save's entries is a step of its own).
 */
const UNORDERED = new Set(['diff (changed container)', 'export (listing)', 'save (listing)']);

interface Out { status: number | null; stdout: string; stderr: string }

function run(cmd: string[], input?: string | Buffer): Out {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { input, maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout?.toString('latin1') ?? '', stderr: r.stderr?.toString('latin1') ?? '' };
}

const work = mkdtempSync(join(tmpdir(), 'strata-fidelity-'));
const root = join(work, 'store');
/**
 * Docker 20.10's own client (Debian's docker.io installs it as /usr/bin/docker) is the reference; a newer
 * client found first on PATH words its usage errors differently. DOCKER_CLI names another.
 */
const DOCKER_CLI = process.env.DOCKER_CLI ?? (existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker');
const docker = (args: string[], input?: string | Buffer): Out => run([DOCKER_CLI, ...args], input);
const strata = (args: string[], input?: string | Buffer): Out => run([STRATA, '--root', root, ...args], input);

/**
 * IDs, times, random names and padding out; what is left is the output's shape. An error line starts
 * `Error: ` in strata where Docker's CLI prints `Error response from daemon: ` or nothing (README).
 */
function normalise(text: string, engine: 'docker' | 'strata'): string {
  return text
    .replace(/^(Error response from daemon: |Error: )/gm, '')
    // docker run's failures: `docker: Error response from daemon: …` where strata's say `strata: …` (no daemon).
    .replace(/^docker: Error response from daemon: /gm, 'docker: ')
    // Docker's CLI logs its own wait's end after a failed foreground run: noise of its client, not an answer.
    .replace(/^time="[^"]*" level=error msg="error waiting for container: context canceled"\n/gm, '')
    // The engine's name as a word: a file such as .dockerenv keeps its name.
    .replace(engine === 'docker' ? /\bdocker\b/g : /\bstrata\b/g, 'ENGINE')
    .replace(/(sha256:)?[0-9a-f]{64}/g, '<id>')
    .replace(/\b[0-9a-f]{12}\b/g, '<id12>')
    .replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?( ?[+-]\d\d:?\d\d| ?Z| \+0000 UTC)?/g, '<time>')
    .replace(/(Less than a second|About a minute|About an hour|\d+ (seconds?|minutes?|hours?|days?|weeks?|months?|years?)) ago/g, '<ago>')
    .replace(/\bUp (Less than a second|About a minute|About an hour|\d+ (seconds?|minutes?|hours?|days?|weeks?|months?|years?))/g, 'Up <for>')
      .replace(/ {2,}/g, '\t')
    // No container process runs in strata yet (README): Docker's ran and exited, strata's was created.
    .replace(/\t(Exited \(\d+\) <ago>|Created)\t/g, '\t<status>\t')
    .replace(/[ \t]+$/gm, '');
}

interface Step { name: string; docker: Out; strata: Out }
const steps: Step[] = [];

/** Run the same arguments through both CLIs and record the outputs. */
function both(name: string, args: string[], input?: string | Buffer): Step {
  const step = { name, docker: docker(args, input), strata: strata(args, input) };
  steps.push(step);
  return step;
}

/** Record two outputs made differently (a change through docker run vs strata mount). */
function record(name: string, d: Out, s: Out): void {
  steps.push({ name, docker: d, strata: s });
}

/** Every key path of a JSON document ("Config.Env", "GraphDriver.Data.MergedDir"), maps' own keys out. */
function keyPaths(doc: unknown, prefix = '', out: string[] = []): string[] {
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    for (const [k, v] of Object.entries(doc)) {
      const path = prefix ? `${prefix}.${k}` : k;
      out.push(path);
      // Labels, ExposedPorts, Volumes, GraphDriver.Data and the like are maps: their keys are data.
      if (!/^(Labels|ExposedPorts|Volumes|Data|Networks|PortBindings|Ports)$/.test(k)) keyPaths(v, path, out);
    }
  }
  return out;
}

/** The keys of each `{{json .}}` line (images, ps): the fields a template can use. */
function jsonLineKeys(name: string, args: string[]): void {
  const step = both(name, args);
  for (const o of [step.docker, step.strata]) {
    o.stdout = o.stdout.split('\n').filter(Boolean).map((l) => {
      try { return Object.keys(JSON.parse(l)).join(' '); } catch { return `not JSON: ${l}`; }
    }).join('\n') + '\n';
  }
}

function inspectKeys(name: string, args: string[]): void {
  const keys = (o: Out): Out => {
    let doc: unknown;
    try { doc = JSON.parse(o.stdout)[0]; } catch { doc = undefined; }
    return { ...o, stdout: keyPaths(doc).sort().join('\n') + '\n' };
  };
  const step = both(name, args);
  step.docker = keys(step.docker);
  step.strata = keys(step.strata);
}

/** A busybox tree as a user would make one: the binary, a link per applet, a few files. */
function busyboxTar(): Buffer {
  const dir = join(work, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'root', 'var/log']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  for (const applet of run(['/bin/busybox', '--list']).stdout.trim().split('\n')) {
    if (applet !== 'busybox') symlinkSync('busybox', join(dir, 'bin', applet));
  }
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'var/log/app.log'), 'old log line\n');
  linkSync(join(dir, 'etc/passwd'), join(dir, 'etc/passwd.hard'));
  return Buffer.from(run(['tar', '-C', dir, '--numeric-owner', '-cf', '-', '.']).stdout, 'latin1');
}

const sorted = (t: string): string => t.split('\n').sort().join('\n');

/** A tar's listing as `tar tv` gives it, sorted, with the names' IDs and times normalised by the caller. */
function listing(tar: Buffer): string {
  const file = join(work, `list-${steps.length}.tar`);
  writeFileSync(file, tar);
  return run(['tar', '-tvf', file]).stdout;
}

/** A tar of small files, as `cp -` reads one. */
function tarOf(files: Record<string, string>): Buffer {
  const dir = mkdtempSync(join(work, 'cp-'));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return Buffer.from(run(['tar', '-C', dir, '--numeric-owner', '--owner=0', '--group=0', '-cf', '-', ...Object.keys(files)]).stdout, 'latin1');
}

/** Images Docker made here: a load of strata's archive takes their names, so they go by ID. */
const dockerImages: string[] = [];

/** The containers and volumes the container verbs' steps make, by name. */
const RUN_NAMES = [1, 2, 3, 4, 5].map((n) => `${P}-c${n}`).concat([`${P}-l`, `${P}-box`, `${P}-x`]);

function cleanup(): void {
  docker(['rm', '-f', '-v', `${P}-c`, `${P}-r`, ...RUN_NAMES]);
  docker(['volume', 'rm', '-f', `${P}-vol`]);
  docker(['rmi', '-f', `${P}/busybox:1`, `${P}/busybox:2`, `${P}/loaded:1`, ...dockerImages.filter(Boolean)]);
  spawnSync('sh', ['-c', `grep -o " ${root}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`]);
  rmSync(work, { recursive: true, force: true });
}

/**
 * The container verbs as a new user tries them first (the seed scenarios and common mistakes): containers
 * run, listed, exec'd into, paused, stopped, killed, renamed, copied from and to, their logs, volumes shared.
 * Outputs that vary (PIDs, memory, random names) are left out by the templates asked for.
 */
function containerVerbs(img: string): void {
  const [c1, c2, c3, c4, c5] = [1, 2, 3, 4, 5].map((n) => `${P}-c${n}`) as [string, string, string, string, string];
  for (const c of [c1, c2, c3, c4, c5]) both(`run -dit ${c}`, ['run', '-dit', '--network', 'none', '--name', c, img, 'sh']);
  const mine = ['--filter', `name=${P}-c`];
  both('ps (five running)', ['ps', ...mine, '--format', '{{.Names}} {{.Status}} {{.Command}} {{.Ports}} {{.Networks}} {{.Mounts}}']);
  both('ps -q', ['ps', '-q', ...mine]);
  both('ps -q with a --format', ['ps', '-q', ...mine, '--format', '{{.Names}}']);
  both('ps --filter status=running', ['ps', ...mine, '--filter', 'status=running', '--format', '{{.Names}}']);
  both('ps -s', ['ps', '-s', '--filter', `name=${c1}`, '--format', '{{.Names}} {{.Size}}']);
  both('ps -n 2', ['ps', '-n', '2', ...mine, '--format', '{{.Names}}']);
  both('ps --filter bogus', ['ps', '--filter', 'bogus=1']);
  both('ps --filter status=bogus', ['ps', '--filter', 'status=bogus']);
  both('exec -w -u -e', ['exec', '-w', '/tmp', '-u', '1234:5678', '-e', 'A=1', c1, 'sh', '-c', 'pwd; id -u; id -g; echo $A']);
  both('exec -u of a missing user', ['exec', '-u', 'nobody', c1, 'true']);
  both('exec -e of an unset variable', ['exec', '-e', 'FIDELITY_UNSET', c1, 'sh', '-c', 'echo ${FIDELITY_UNSET-unset}']);
  both('exec -it without a terminal', ['exec', '-it', c1, 'true']);
  both('exec exit status', ['exec', c1, 'sh', '-c', 'exit 5']);
  both('exec of a missing command', ['exec', c1, 'nosuchcmd']);
  both('exec -w of a missing directory', ['exec', '-w', '/nosuch', c1, 'pwd']);
  both('exec into a missing container', ['exec', `${P}-nosuch`, 'true']);
  both('top', ['top', c1, '-o', 'comm']);
  both('pause', ['pause', c2]);
  both('pause again', ['pause', c2]);
  both('ps --filter status=paused', ['ps', '--filter', 'status=paused', '--format', '{{.Names}} {{.Status}}']);
  both('exec into a paused container', ['exec', c2, 'true']);
  both('top of a paused container', ['top', c2, '-o', 'comm']);
  both('unpause', ['unpause', c2]);
  both('unpause again', ['unpause', c2]);
  both('kill -s bogus', ['kill', '-s', 'bogus', c3]);
  both('kill -s 65', ['kill', '-s', '65', c3]);
  both('kill -s HUP', ['kill', '-s', 'HUP', c3]);
  both('stop', ['stop', '-t', '1', c3]);
  both('ps -a (stopped)', ['ps', '-a', '--filter', `name=${c3}`, '--format', '{{.Names}} {{.Status}}']);
  both('stop a stopped container', ['stop', c3]);
  both('kill a stopped container', ['kill', c3]);
  both('exec into a stopped container', ['exec', c3, 'true']);
  both('unpause a stopped container', ['unpause', c3]);
  both('wait a stopped container', ['wait', c3]);
  both('restart', ['restart', '-t', '1', c3]);
  both('rm a running container', ['rm', c3]);
  both('rename to a name in use', ['rename', c4, c5]);
  both('rename to a bad name', ['rename', c4, 'bad name']);
  both('rename to its own name', ['rename', c4, c4]);
  both('create with a name in use', ['create', '--name', c1, img]);
  both('run with a name in use', ['run', '--name', c1, img, 'true']);
  both('port (none published)', ['port', c1]);
  both('port 80', ['port', c1, '80']);
  both('port 53/udp', ['port', c1, '53/udp']);
  both('port abc', ['port', c1, 'abc']);
  both('stats --no-stream --format', ['stats', '--no-stream', '--format', 'table {{.Container}}\t{{.Name}}\t{{.PIDs}}\t{{.NetIO}}', c1]);
  both('stats of a missing container', ['stats', '--no-stream', `${P}-nosuch`]);

  // Logs of an exited container.
  const l = `${P}-l`;
  both('run in the foreground', ['run', '--name', l, img, 'sh', '-c', 'echo one; echo two >&2; sleep 0.2; echo three; exit 3']);
  both('logs', ['logs', l]);
  both('logs --tail 1', ['logs', '--tail', '1', l]);
  both('logs -t', ['logs', '-t', l]);
  both('logs --details', ['logs', '--details', l]);
  both('logs --since bogus', ['logs', '--since', 'bogus', l]);
  both('logs --until a past time', ['logs', '--until', '2000-01-01T00:00:00Z', l]);
  both('logs --since a past time', ['logs', '--since', '2000-01-01', l]);
  both('wait an exited container', ['wait', l]);
  both('attach to an exited container', ['attach', l]);

  // cp both ways, `-` as a tar on stdout and from stdin.
  const cpOut = both('cp C:FILE - (listing)', ['cp', `${c1}:/etc/passwd`, '-']);
  // strata's tars name owners by number only (README): root/root and 0/0 are the same owner here.
  for (const o of [cpOut.docker, cpOut.strata]) o.stdout = listing(Buffer.from(o.stdout, 'latin1')).replace(/ root\/root /g, ' 0/0 ');
  both('cp of a missing path', ['cp', `${c1}:/nosuch`, '-']);
  both('cp from a missing container', ['cp', `${P}-nosuch:/x`, '-']);
  both('cp without a container', ['cp', 'a', 'b']);
  both('cp between containers', ['cp', `${c1}:/a`, `${c2}:/b`]);
  both('cp - C:DIR', ['cp', '-', `${c1}:/tmp`], tarOf({ 'hello.txt': 'hi\n' }));
  both('cp - C:FILE', ['cp', '-', `${c1}:/tmp/hello.txt`], tarOf({ 'x.txt': 'x\n' }));
  both('exec sees what cp wrote', ['exec', c1, 'cat', '/tmp/hello.txt']);

  // Volumes, as in the seed scenarios: a named volume at /chest, an anonymous one, --volumes-from.
  const vol = `${P}-vol`;
  const box = `${P}-box`;
  both('volume create', ['volume', 'create', vol]);
  both('volume create again', ['volume', 'create', vol]);
  both('volume create with a bad name', ['volume', 'create', 'b@d']);
  both('volume inspect', ['volume', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels}} {{.Options}}', vol]);
  both('volume inspect of nothing', ['volume', 'inspect', `${P}-nosuch`]);
  both('volume ls', ['volume', 'ls', '--filter', `name=${vol}`]);
  both('run -v NAME:/chest -v /share', ['run', '-d', '--name', box, '-v', `${vol}:/chest`, '-v', '/share', img, 'sh', '-c', 'echo gold > /chest/g; echo shared > /share/s; sleep 100']);
  spawnSync('sleep', ['1']);
  both('run --volumes-from', ['run', '--rm', '--volumes-from', box, img, 'cat', '/chest/g', '/share/s']);
  both('run --volumes-from C:ro', ['run', '--rm', '--volumes-from', `${box}:ro`, img, 'sh', '-c', 'echo x > /chest/y']);
  both('run --volumes-from a missing container', ['run', '--rm', '--volumes-from', `${P}-nosuch`, img, 'true']);
  both('ps --filter volume', ['ps', '--filter', `volume=${vol}`, '--format', '{{.Names}}']);
  both('volume rm of a volume in use', ['volume', 'rm', vol]);
  both('volume rm of nothing', ['volume', 'rm', `${P}-nosuch`]);

  // run's and create's own failures.
  both('run -v a::b', ['run', '-v', 'a::b', img, 'true']);
  both('run --ulimit nofile=x', ['run', '--ulimit', 'nofile=x', img, 'true']);
  both('run --memory abc', ['run', '--memory', 'abc', img, 'true']);
  both('run --cpus x', ['run', '--cpus', 'x', img, 'true']);
  both('run of an upper-case image name', ['run', 'BAD', 'true']);
  both('run -it without a terminal', ['run', '-it', img, 'true']);
  both('run --rm of a missing command', ['run', '--rm', img, 'nosuchcmd']);
  both('run --rm of a file that is no program', ['run', '--rm', img, '/etc/passwd']);
  both('run --rm exit status and streams', ['run', '--rm', img, 'sh', '-c', 'echo out; echo err >&2; exit 4']);
  both('run --rm -e of an unset variable', ['run', '--rm', '-e', 'FIDELITY_UNSET', img, 'sh', '-c', 'echo ${FIDELITY_UNSET-unset}']);
  both('run --network bridge', ['run', '--rm', '--network', 'bridge', img, 'true']);
  both('run -p', ['run', '--rm', '-p', '8080:80', img, 'true']);
  both('run -p --network host', ['run', '--rm', '--network', 'host', '-p', '8080:80', img, 'true']);
  both('run -m under the least', ['run', '--rm', '-m', '4m', img, 'true']);
  both('create --stop-signal bogus', ['create', '--stop-signal', 'BOGUS', img]);
  both('run --label-file of nothing', ['run', '--rm', '--label-file', '/nonexistent', img, 'true']);
  both('rm -f', ['rm', '-f', c1, c2, c3, c4, c5, l, box]);
  both('volume rm', ['volume', 'rm', vol]);
}

function main(): number {
  if (docker(['info', '--format', '{{.ServerVersion}}']).status !== 0) {
    console.log("fidelity: Docker's engine does not answer (start dockerd --iptables=false --bridge=none): nothing compared");
    return 0;
  }
  const tar = busyboxTar();
  const img = `${P}/busybox:1`;
  dockerImages.push(both('import', ['import', '-', img], tar).docker.stdout.trim());
  both('images', ['images', `${P}/busybox`]);
  both('history', ['history', img]);
  both('history -H=false', ['history', '-H=false', '--format', '{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}', img]);
  both('inspect image values', ['inspect', '-f', '{{.Size}} {{.Architecture}} {{.Os}} {{json .RootFS}} {{json .Config.Cmd}} {{.Comment}} {{.Author}}', img]);
  inspectKeys('inspect image keys', ['image', 'inspect', img]);
  both('create without a command', ['create', img]);
  both('create', ['create', '--name', `${P}-c`, img, 'sh']);
  inspectKeys('inspect container keys', ['container', 'inspect', `${P}-c`]);
  both('ps -a -s', ['ps', '-a', '-s', '--filter', `name=${P}-c`]);
  jsonLineKeys('images --format {{json .}} keys', ['images', '--format', '{{json .}}', `${P}/busybox`]);
  jsonLineKeys('ps --format {{json .}} keys', ['ps', '-a', '--format', '{{json .}}', '--filter', `name=${P}-c`]);

  // One change made the way each engine can: Docker's container runs it, strata's is changed through mount.
  const script = 'echo app:x:1000:1000::/home/app:/bin/sh >> /etc/passwd; echo hello > /tmp/new.txt; rm /var/log/app.log';
  const dr = docker(['run', '--network', 'none', '--name', `${P}-r`, img, 'sh', '-c', script]);
  const sr = strata(['create', '--name', `${P}-r`, img, 'sh', '-c', script]);
  if (sr.status === 0) {
    const merged = strata(['mount', `${P}-r`]).stdout.trim();
    appendFileSync(join(merged, 'etc/passwd'), 'app:x:1000:1000::/home/app:/bin/sh\n');
    writeFileSync(join(merged, 'tmp/new.txt'), 'hello\n');
    unlinkSync(join(merged, 'var/log/app.log'));
    strata(['unmount', `${P}-r`]);
  }
  record('change (docker run / strata create+mount)', { ...dr, stdout: '' }, { ...sr, stdout: '' });
  both('diff (changed container)', ['diff', `${P}-r`]);
  both('ps -a -s (changed container)', ['ps', '-a', '-s', '--filter', `name=${P}-r`]);
  const exported = both('export (listing)', ['export', `${P}-r`]);
  // strata's tars name owners by number only (README): root/root and 0/0 are the same owner here.
  for (const o of [exported.docker, exported.strata]) o.stdout = listing(Buffer.from(o.stdout, 'latin1')).replace(/ root\/root /g, ' 0/0 ');
  const img2 = `${P}/busybox:2`;
  dockerImages.push(both('commit', ['commit', '-m', 'add app', '-c', 'ENV A=<x>&y', `${P}-r`, img2]).docker.stdout.trim());
  both('images (committed)', ['images', `${P}/busybox`]);
  both('history (committed)', ['history', img2]);
  both('inspect committed values', ['inspect', '-f', '{{.Size}} {{json .Config.Env}} {{json .Config.Cmd}} {{.Comment}} {{len .RootFS.Layers}} {{.Parent}}', img2]);
  inspectKeys('inspect image keys (committed)', ['image', 'inspect', img2]);

  // save: the same archive entry by entry (order apart); each engine loads the other's.
  const saves = both('save (listing)', ['save', img2, img]);
  const dockerSave = Buffer.from(saves.docker.stdout, 'latin1');
  const strataSave = Buffer.from(saves.strata.stdout, 'latin1');
  // The configs themselves differ (strata's has no container_config, and times to the millisecond: README),
  // and so do the sizes of the configs and of the v1 json made from them.
  const configSizes = (t: string): string => t.replace(/ \d+ (\S+ \S+ (\S+\.json|\S+\/json))$/gm, ' <n> $1');
  saves.docker.stdout = configSizes(listing(dockerSave));
  saves.strata.stdout = configSizes(listing(strataSave));
  record('save entry order', { status: 0, stdout: listing(dockerSave).split('\n').map((l) => l.replace(/.* /, '')).join('\n'), stderr: '' },
    { status: 0, stdout: listing(strataSave).split('\n').map((l) => l.replace(/.* /, '')).join('\n'), stderr: '' });
  docker(['tag', img, `${P}/loaded:1`]);
  record('docker loads strata\'s save, strata loads docker\'s',
    { ...docker(['load'], strataSave), stdout: '' }, { ...strata(['load'], dockerSave), stdout: '' });

  // Docker's engine holds other images and containers: the table's shape is compared, not its figures.
  const df = both('system df', ['system', 'df']);
  for (const o of [df.docker, df.strata]) o.stdout = o.stdout.split('\n').map((l, i) => (i === 0 ? l : l.replace(/^(\S+( \S+)?) {2,}.*$/, '$1'))).join('\n');

  // Errors, statuses and prompts.
  both('rm of a missing container', ['rm', `${P}-nosuch`]);
  both('rm -f of a missing container', ['rm', '-f', `${P}-nosuch`]);
  both('rmi of a missing image', ['rmi', `${P}-nosuch`]);
  both('rmi -f of a missing image', ['rmi', '-f', `${P}-nosuch`]);
  both('rm without arguments', ['rm']);
  both('rmi without arguments', ['rmi']);
  both('tag with one argument', ['tag', img]);
  both('images too many arguments', ['images', 'a', 'b']);
  both('ps with an argument', ['ps', 'x']);
  both('tag to an upper-case name', ['tag', img, 'UPPER']);
  both('import to an upper-case name', ['import', '-', 'UPPER'], tar);
  both('import --change bogus', ['import', '-c', 'bogus x', '-', `${P}/bogus:1`], tar);
  both('inspect of nothing', ['inspect', `${P}-nosuch`]);
  both('image prune, answered no', ['image', 'prune'], 'n\n');
  both('container prune, answered no', ['container', 'prune'], 'n\n');
  both('rm', ['rm', `${P}-c`, `${P}-r`]);
  containerVerbs(img);
  both('rmi', ['rmi', img2]);

  let unexpected = 0;
  for (const s of steps) {
    const shape = (o: Out, engine: 'docker' | 'strata'): string => (UNORDERED.has(s.name) ? sorted(normalise(o.stdout, engine)) : normalise(o.stdout, engine));
    const d = { status: s.docker.status, stdout: shape(s.docker, 'docker'), stderr: normalise(s.docker.stderr, 'docker') };
    const t = { status: s.strata.status, stdout: shape(s.strata, 'strata'), stderr: normalise(s.strata.stderr, 'strata') };
    const differs = (['status', 'stdout', 'stderr'] as const).filter((k) => d[k] !== t[k]);
    if (differs.length === 0) {
      console.log(`same     ${s.name}`);
      continue;
    }
    const allowed = ALLOWED[s.name];
    if (!allowed) unexpected++;
    console.log(`${allowed ? 'allowed ' : 'DIFFERS '} ${s.name}${allowed ? ` (${allowed})` : ''}`);
    for (const k of differs) {
      const lines = lineDiff(String(d[k]), String(t[k]));
      console.log(`  ${k}:`);
      console.log(lines.slice(0, MAX_LINES).map((l) => `    ${l}`).join('\n'));
      if (lines.length > MAX_LINES) console.log(`    … ${lines.length - MAX_LINES} more`);
    }
  }
  console.log(`\n${steps.length} steps, ${unexpected} unexpected difference(s)`);
  return unexpected ? 1 : 0;
}

const MAX_LINES = 12;

/** Lines only docker printed (-) and only strata printed (+), in order. */
function lineDiff(a: string, b: string): string[] {
  const x = a.split('\n');
  const y = b.split('\n');
  const out: string[] = [];
  for (const l of x) if (!y.includes(l)) out.push(`- ${l}`);
  for (const l of y) if (!x.includes(l)) out.push(`+ ${l}`);
  return out.length ? out : ['(same lines, another order)'];
}

let status = 1;
try {
  status = main();
} finally {
  cleanup();
}
process.exit(status);
