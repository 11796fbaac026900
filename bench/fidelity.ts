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
    // The engine's name as a word: a file such as .dockerenv keeps its name.
    .replace(engine === 'docker' ? /\bdocker\b/g : /\bstrata\b/g, 'ENGINE')
    .replace(/(sha256:)?[0-9a-f]{64}/g, '<id>')
    .replace(/\b[0-9a-f]{12}\b/g, '<id12>')
    .replace(/\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?( ?[+-]\d\d:?\d\d| ?Z| \+0000 UTC)?/g, '<time>')
    .replace(/(Less than a second|About a minute|About an hour|\d+ (seconds?|minutes?|hours?|days?|weeks?|months?|years?)) ago/g, '<ago>')
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

/** Images Docker made here: a load of strata's archive takes their names, so they go by ID. */
const dockerImages: string[] = [];

function cleanup(): void {
  docker(['rm', '-f', `${P}-c`, `${P}-r`]);
  docker(['rmi', '-f', `${P}/busybox:1`, `${P}/busybox:2`, `${P}/loaded:1`, ...dockerImages.filter(Boolean)]);
  spawnSync('sh', ['-c', `grep -o " ${root}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`]);
  rmSync(work, { recursive: true, force: true });
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
