/** Verbs that run containers: run, start, stop, kill, wait, restart, pause, unpause, rename, logs, exec. */
import type { Command } from 'commander';
import { dirname } from 'node:path';
import type { Engine } from '../../engine/index.js';
import { cpuPercent, DEFAULT_DETACH_KEYS, dockerLogTime, FlagValueError, InvalidArgumentError, NotFoundError, parseDetachKeys, StrataError, type ExecOptions, type StatsSample } from '../../engine/index.js';
import type { WithEngine } from '../context.js';
import { forEachName } from '../each.js';
import { collect } from '../output.js';
import { stderr, stdout } from '../stdio.js';
import { addCreateFlags, createOptions, type CreateFlags } from './containers.js';
import { envFileEntries, envFlag } from '../envfile.js';
import { pullIfMissing } from '../pullmissing.js';
import { runFailure, UsageError } from '../usage.js';

/** The signals a foreground `run` (and `start -a`) passes on to the container, as Docker's --sig-proxy. */
const PROXIED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
/** One row of `stats`: the fields its --format templates use, as Docker's CLI names them. */
interface StatsRow { Container: string; Name: string; ID: string; CPUPerc: string; MemUsage: string; MemPerc: string; NetIO: string; BlockIO: string; PIDs: string }
/** The headers of `stats`' table columns, as Docker's; the default table is every one but CONTAINER, from ID on. */
const STATS_HEADERS = {
  Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %',
  NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
} as const;
/** How often `stats` draws a frame: Docker's daemon sends a reading a second. */
const STATS_INTERVAL_MS = 1000;

/** What `--detach-keys` asks for, checked before anything is made (Docker's default when not given). */
const detachKeys = (spec: string | undefined): Buffer => {
  try {
    return parseDetachKeys(spec || DEFAULT_DETACH_KEYS);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

/** Docker's CLI refuses to attach a terminal to a stdin that is none, before anything is made (status 1, its words bare). */
function checkTty(interactive: boolean | undefined, tty: boolean | undefined): void {
  if (interactive && tty && !process.stdin.isTTY) throw new UsageError('the input device is not a TTY', 1);
}

/** A relay that ended because the detach keys were typed: the container runs on. */
const DETACHED = null;

/**
 * Stream a container's output (starting it first with `start`) until its process exits (stdin too with -i, the terminal raw
 * with -t); signals are passed on and the terminal's size follows. Resolves with the exit code, or DETACHED when the
 * detach keys were typed (read from stdin with -i -t only, as Docker's client reads them).
 */
async function relay(e: Engine, id: string, o: { interactive?: boolean; tty?: boolean; detachKeys?: Buffer }, start: boolean): Promise<number | typeof DETACHED> {
  const { processes } = e.containers;
  const stdin = o.interactive ? process.stdin : undefined;
  const raw = !!(o.tty && stdin?.isTTY);
  if (raw) process.stdin.setRawMode(true);
  // A terminal that does not know its size (0×0) leaves the pty's default.
  const consoleSize = o.tty && process.stdout.isTTY && process.stdout.rows > 0 ? { height: process.stdout.rows, width: process.stdout.columns } : undefined;
  const forward = (signal: NodeJS.Signals) => { void processes.kill(id, signal).catch(() => {}); };
  const resize = () => { try { processes.resize(id, process.stdout.rows, process.stdout.columns); } catch { /* exited */ } };
  // With a pty, ^C is the terminal's to send (raw mode); without one, a signal to strata is the container's.
  if (!o.tty) for (const s of PROXIED_SIGNALS) process.on(s, forward);
  if (consoleSize) process.on('SIGWINCH', resize);
  try {
    const keys = stdin && o.tty ? { detachKeys: o.detachKeys } : {};
    const attach = { stdout: process.stdout, stderr: process.stderr, ...(stdin ? { stdin } : {}), ...keys };
    let attachment;
    if (start) {
      const started = await processes.start(id, { attach, consoleSize });
      for (const w of started.warnings) stderr(`WARNING: ${w}\n`);
      attachment = started.attachment;
    } else {
      attachment = await processes.attach(id, attach);
    }
    await attachment?.done;
    if (attachment?.escaped) return DETACHED;
    return await processes.wait(id);
  } finally {
    for (const s of PROXIED_SIGNALS) process.off(s, forward);
    process.off('SIGWINCH', resize);
    if (raw) process.stdin.setRawMode(false);
    // Stop reading the terminal or pipe, so this process can end.
    stdin?.pause();
    stdin?.unref?.();
  }
}

/**
 * A foreground `run --rm` without a pty: the container runs as this process's child, without conmon (it is removed
 * when it ends, so nobody attaches to it or reads its log later), its output on this process's own stdout and stderr.
 * Signals are passed on, as Docker's --sig-proxy; the container is removed here once it has exited.
 */
async function runRemoved(e: Engine, id: string, interactive: boolean): Promise<number> {
  let runtimePid = 0;
  const forward = (signal: NodeJS.Signals) => { if (runtimePid) { try { process.kill(runtimePid, signal); } catch { /* exited */ } } };
  for (const s of PROXIED_SIGNALS) process.on(s, forward);
  let exited = false;
  try {
    const code = await e.containers.processes.runAttached(id, {
      stdin: interactive, stderr: process.stderr,
      onStart: (warnings, pid) => {
        for (const w of warnings) stderr(`WARNING: ${w}\n`);
        runtimePid = pid;
      },
    });
    exited = true;
    return code;
  } finally {
    for (const s of PROXIED_SIGNALS) process.off(s, forward);
    // Nothing is written after this: the store's closing syncs then happen while the container's files go.
    await e.containers.remove(id, { force: true, exited, last: true });
  }
}

/** `exec -it` on a terminal: raw, sized from the start and on SIGWINCH, until the process exits or the detach keys are typed. */
async function execAttached(e: Engine, ref: string, opts: ExecOptions, keys: Buffer): Promise<number | typeof DETACHED> {
  process.stdin.setRawMode(true);
  let resize = () => {};
  try {
    const session = await e.containers.processes.execAttached(ref, opts, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, detachKeys: keys });
    resize = () => { try { session.resize(process.stdout.rows, process.stdout.columns); } catch { /* exited */ } };
    if (opts.consoleSize) process.on('SIGWINCH', resize);
    return await session.done;
  } finally {
    process.off('SIGWINCH', resize);
    process.stdin.setRawMode(false);
    process.stdin.pause();
    process.stdin.unref?.();
  }
}

export interface RunFlags extends CreateFlags { detach?: boolean; detachKeys?: string }

/** `run` once its container is made: started in the background (-d), or in the foreground until it exits. */
async function runMade(e: Engine, id: string, f: RunFlags, keys: Buffer): Promise<void> {
  const autoRemove = !!f.rm;
  const c = e.containers.resolve(id);
  if (f.detach) {
    // Docker's CLI prints the ID as soon as the container is made, so it is said even when the start fails.
    stdout(`${id}\n`);
    try {
      const started = await e.containers.processes.start(id);
      for (const w of started.warnings) stderr(`WARNING: ${w}\n`);
    } catch (err) {
      if (autoRemove) await e.containers.remove(id, { force: true });
      throw err;
    }
    return;
  }
  if (autoRemove && !f.tty) {
    process.exitCode = await runRemoved(e, id, !!f.interactive);
    return;
  }
  // This process removes an --rm container itself once it has the exit code (conmon's exit command would race it).
  e.containers.processes.markAttached(c, true);
  let code: number | typeof DETACHED = 1;
  try {
    code = await relay(e, id, { ...f, detachKeys: keys }, true);
    // Detached (Docker prints nothing and exits 0): the container runs on, and conmon's exit command does --rm.
    process.exitCode = code ?? 0;
  } finally {
    e.containers.processes.markAttached(c, false);
    if (autoRemove && code !== DETACHED) await e.containers.remove(id, { force: true });
  }
}

export function registerRunCommands(program: Command, container: Command, withEngine: WithEngine): void {
  const both = (name: string): Command[] => [program.command(name), container.command(name)];

  for (const cmd of both('run')) {
    addCreateFlags(cmd)
      .description('Run a command in a new container')
      .option('-d, --detach', 'Run container in background and print container ID')
      .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
      .argument('<image>')
      .argument('[command...]')
      .passThroughOptions()
      .action(async (image: string, command: string[], f: RunFlags) => withEngine(async (e) => {
        const keys = detachKeys(f.detachKeys);
        if (!f.detach) checkTty(f.interactive, f.tty);
        // Whatever stops strata itself from making the container is the CLI's failure (125), said as docker run
        // says it, with its help line; its flags are read before anything is pulled, as Docker's CLI parses them first.
        const id = await createOptions(image, command, f).then(async (options) => {
          await pullIfMissing(e, image, f.pull);
          return e.containers.create(options);
        }).catch((err: unknown) => {
          throw err instanceof StrataError && !(err instanceof FlagValueError || err instanceof UsageError) ? runFailure(cmd, err.message, 125, true) : err;
        });
        try {
          await runMade(e, id, f, keys);
        } catch (err) {
          // A process that could not start (126, 127): said as docker run says it, without the help line.
          throw err instanceof StrataError && !(err instanceof UsageError) ? runFailure(cmd, err.message, err.status, false) : err;
        }
      }));
  }

  for (const cmd of both('start')) {
    cmd.description('Start one or more stopped containers')
      .argument('<containers...>')
      .option('-a, --attach', "Attach STDOUT/STDERR and forward signals")
      .option('-i, --interactive', "Attach container's STDIN")
      .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
      .action(async (refs: string[], o: { attach?: boolean; interactive?: boolean; detachKeys?: string }) => withEngine(async (e) => {
        if ((o.attach || o.interactive) && refs.length > 1) throw new StrataError('you cannot start and attach multiple containers at once', 1);
        if (o.attach || o.interactive) {
          const keys = detachKeys(o.detachKeys);
          const config = e.containers.config(e.containers.resolve(refs[0]!));
          // Detached: Docker's start -a prints nothing and exits 0, as run does. A start that fails is its status 1 (not run's 126/127).
          const code = await relay(e, refs[0]!, { interactive: o.interactive && config.OpenStdin, tty: config.Tty, detachKeys: keys }, true).catch((err: unknown) => {
            throw err instanceof StrataError ? new StrataError(err.message, 1) : err;
          });
          process.exitCode = code ?? 0;
          return;
        }
        // As Docker's CLI: each failure said as it comes, then one line naming the containers that did not start.
        const failed: string[] = [];
        for (const r of refs) {
          try {
            const started = await e.containers.processes.start(r);
            for (const w of started.warnings) stderr(`WARNING: ${w}\n`);
            stdout(`${r}\n`);
          } catch (err) {
            if (!(err instanceof StrataError)) throw err;
            stderr(`Error: ${err.message}\n`);
            failed.push(r);
          }
        }
        if (failed.length) throw new StrataError(`failed to start containers: ${failed.join(', ')}`);
      }));
  }

  for (const cmd of both('stop')) {
    cmd.description('Stop one or more running containers')
      .argument('<containers...>')
      .option('-t, --time <int>', 'Seconds to wait for stop before killing it')
      .action(async (refs: string[], o: { time?: string }) => {
        // A bad flag is the CLI's failure before any container is tried, as Docker's flag parsing is.
        const time = seconds(o.time, '-t, --time');
        await withEngine((e) => forEachName(refs, false, async (r) => {
          await e.containers.processes.stop(r, time);
          stdout(`${r}\n`);
        }));
      });
  }

  for (const cmd of both('restart')) {
    cmd.description('Restart one or more containers')
      .argument('<containers...>')
      .option('-t, --time <int>', 'Seconds to wait for stop before killing the container')
      .action(async (refs: string[], o: { time?: string }) => {
        const time = seconds(o.time, '-t, --time');
        await withEngine((e) => forEachName(refs, false, async (r) => {
          e.containers.resolve(r);
          try {
            await e.containers.processes.stop(r, time);
            await e.containers.processes.start(r);
          } catch (err) {
            // Docker's daemon says which container it could not restart, once it has found it.
            throw err instanceof StrataError ? new StrataError(`Cannot restart container ${r}: ${err.message}`) : err;
          }
          stdout(`${r}\n`);
        }));
      });
  }

  for (const cmd of both('kill')) {
    cmd.description('Kill one or more running containers')
      .argument('<containers...>')
      .option('-s, --signal <string>', 'Signal to send to the container', 'KILL')
      .action(async (refs: string[], o: { signal: string }) => withEngine((e) => forEachName(refs, false, async (r) => {
        await e.containers.processes.kill(r, o.signal);
        stdout(`${r}\n`);
      })));
  }

  for (const cmd of both('wait')) {
    cmd.description('Block until one or more containers stop, then print their exit codes')
      .argument('<containers...>')
      .action(async (refs: string[]) => withEngine((e) => forEachName(refs, false, async (r) => {
        stdout(`${await e.containers.processes.wait(r)}\n`);
      })));
  }

  for (const [verb, description] of [['pause', 'Pause all processes within one or more containers'], ['unpause', 'Unpause all processes within one or more containers']] as const) {
    for (const cmd of both(verb)) {
      cmd.description(description)
        .argument('<containers...>')
        .action(async (refs: string[]) => withEngine((e) => forEachName(refs, false, async (r) => {
          await e.containers.processes[verb](r);
          stdout(`${r}\n`);
        })));
    }
  }

  for (const cmd of both('rename')) {
    cmd.description('Rename a container')
      .argument('<container>')
      .argument('<new-name>')
      .action(async (ref: string, name: string) => withEngine((e) => {
        try {
          e.containers.rename(ref, name);
        } catch (err) {
          // Docker's CLI says the daemon's error, then that the rename failed.
          throw err instanceof StrataError ? new StrataError(`${err.message}\nError: failed to rename container named ${ref}`) : err;
        }
      }));
  }

  for (const cmd of both('logs')) {
    cmd.description('Fetch the logs of a container')
      .argument('<container>')
      .option('-f, --follow', 'Follow log output')
      .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
      .option('-t, --timestamps', 'Show timestamps')
      .option('--details', 'Show extra details provided to logs')
      .option('--since <string>', 'Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)')
      .option('--until <string>', 'Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)')
      .action(async (ref: string, o: { follow?: boolean; tail: string; timestamps?: boolean; details?: boolean; since?: string; until?: string }) => withEngine(async (e) => {
        // As Docker's daemon reads it (strconv.Atoi): anything but a whole number, or a negative one, is all.
        const tail = /^[+-]?\d+$/.test(o.tail) && Number(o.tail) >= 0 ? Number(o.tail) : undefined;
        const query = { tail, since: o.since || undefined, until: o.until || undefined };
        const print = (lines: { time: string; stream: 'stdout' | 'stderr'; data: Buffer }[]) => {
          for (const l of lines) {
            // --details: the log's attributes (none here: no --log-opt labels or env) and a space, as Docker's.
            const prefix = `${o.timestamps ? `${dockerLogTime(l.time)} ` : ''}${o.details ? ' ' : ''}`;
            const data = prefix ? Buffer.concat([Buffer.from(prefix), l.data]) : l.data;
            if (l.stream === 'stderr') stderr(data); else stdout(data);
          }
        };
        if (o.follow) await e.containers.processes.follow(ref, query, print);
        else print(e.containers.processes.logs(ref, query));
      }));
  }

  for (const cmd of both('exec')) {
    cmd.description('Run a command in a running container')
      .argument('<container>')
      .argument('<command...>')
      .option('-d, --detach', 'Detached mode: run command in the background')
      .option('-e, --env <list>', 'Set environment variables', collect, [])
      .option('--env-file <list>', 'Read in a file of environment variables', collect, [])
      .option('-i, --interactive', 'Keep STDIN open even if not attached')
      .option('--privileged', 'Give extended privileges to the command')
      .option('-t, --tty', 'Allocate a pseudo-TTY')
      .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
      .option('-w, --workdir <string>', 'Working directory inside the container')
      .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
      .passThroughOptions()
      .action(async (ref: string, command: string[], o: { detach?: boolean; detachKeys?: string; env: string[]; envFile: string[]; interactive?: boolean; privileged?: boolean; tty?: boolean; user?: string; workdir?: string }) => withEngine(async (e) => {
        const keys = detachKeys(o.detachKeys);
        if (!o.detach) checkTty(o.interactive, o.tty);
        const env = [...envFileEntries(o.envFile), ...o.env.map(envFlag)];
        // A terminal that does not know its size (0×0) leaves the pty's default.
        const consoleSize = o.tty && process.stdout.isTTY && process.stdout.rows > 0 ? { height: process.stdout.rows, width: process.stdout.columns } : undefined;
        const opts = { cmd: command, detach: o.detach, tty: o.tty, interactive: o.interactive, env, workdir: o.workdir, user: o.user, privileged: o.privileged, consoleSize };
        // -it on a terminal: relayed through conmon, which can keep the process when the detach keys are typed.
        if (o.interactive && o.tty && !o.detach && process.stdin.isTTY) {
          const code = await execAttached(e, ref, opts, keys);
          if (code === DETACHED) {
            // Docker's exec says why it ended, bare, and fails; the process runs on.
            stderr('read escape sequence\n');
            process.exitCode = 1;
          } else {
            process.exitCode = code;
          }
          return;
        }
        process.exitCode = await e.containers.processes.exec(ref, opts);
      }));
  }

  for (const cmd of both('attach')) {
    cmd.description('Attach local standard input, output, and error streams to a running container')
      .argument('<container>')
      .option('--no-stdin', 'Do not attach STDIN')
      .option('--sig-proxy [bool]', 'Proxy all received signals to the process', 'true')
      .option('--detach-keys <string>', 'Override the key sequence for detaching a container')
      .action(async (ref: string, o: { stdin: boolean; detachKeys?: string }) => withEngine(async (e) => {
        const keys = detachKeys(o.detachKeys);
        const config = e.containers.config(e.containers.resolve(ref));
        const code = await relay(e, ref, { interactive: o.stdin && config.OpenStdin, tty: config.Tty, detachKeys: keys }, false);
        if (code === DETACHED) {
          // Docker's attach says why it ended, bare, and fails.
          stderr('read escape sequence\n');
          process.exitCode = 1;
        } else {
          process.exitCode = code;
        }
      }));
  }

  for (const cmd of both('top')) {
    cmd.description('Display the running processes of a container')
      .argument('<container>')
      .argument('[ps-options...]')
      .passThroughOptions()
      .allowUnknownOption()
      .action(async (ref: string, psArgs: string[]) => withEngine(async (e) => {
        const top = await e.containers.processes.top(ref, psArgs.length ? psArgs : undefined);
        // docker top's own tabwriter: cells at least 20 wide, 3 spaces apart.
        const widths = top.Titles.map((t, i) => Math.max(20, ...[t, ...top.Processes.map((p) => p[i] ?? '')].map((x) => x.length + 3)));
        const line = (cells: string[]) => cells.map((x, i) => (i < cells.length - 1 ? x.padEnd(widths[i]!) : x)).join('') + '\n';
        stdout(line(top.Titles) + top.Processes.map(line).join(''));
      }));
  }

  for (const cmd of both('stats')) {
    cmd.description('Display a live stream of container(s) resource usage statistics')
      .argument('[containers...]')
      .option('-a, --all', 'Show all containers (default shows just running)')
      .option('--format <string>', 'Pretty-print images using a Go template')
      .option('--no-stream', 'Disable streaming stats and only pull the first result')
      .option('--no-trunc', 'Do not truncate output')
      .action(async (refs: string[], o: { all?: boolean; format?: string; stream: boolean; trunc: boolean }) => withEngine(async (e) => {
        const { bytesSize } = await import('../format/units.js');
        const { renderTable } = await import('../format/tabwriter.js');
        const formatTable = o.format === undefined ? undefined : (await import('../format/table.js')).formatTable;
        // The containers named (each must exist, as Docker checks before the first frame), else those running (all with -a), anew each frame.
        const named = refs.map((r) => e.containers.resolve(r).id);
        const targets = async () => (refs.length ? named : (await e.containers.list({ all: o.all })).map((c) => c.Id));
        const row = (id: string, sample: StatsSample | null, cpu: number): StatsRow => {
          const c = e.containers.resolve(id);
          const shown = o.trunc ? c.id.slice(0, 12) : c.id;
          // {{.Container}} is the container as the user named it (its ID when none was named), as Docker's.
          // Keys in the order Go marshals a map, so `{{json .}}` prints them as Docker's does.
          const container = refs[named.indexOf(c.id)] ?? shown;
          if (!sample) {
            return { BlockIO: '0B / 0B', CPUPerc: '0.00%', Container: container, ID: shown, MemPerc: '0.00%', MemUsage: '0B / 0B', Name: c.name, NetIO: '0B / 0B', PIDs: '0' };
          }
          const now = sample.counters;
          return { BlockIO: '--', CPUPerc: `${cpu.toFixed(2)}%`, Container: container, ID: shown,
            MemPerc: `${((now.memoryBytes / now.memoryLimitBytes) * 100).toFixed(2)}%`, MemUsage: `${bytesSize(now.memoryBytes)} / ${bytesSize(now.memoryLimitBytes)}`,
            Name: c.name, NetIO: '0B / 0B', PIDs: String(now.pids) };
        };
        const render = (rows: StatsRow[]): string => (formatTable ? formatTable(o.format!, rows, STATS_HEADERS)
          : renderTable(Object.values(STATS_HEADERS).slice(1), rows.map((r) => [r.ID, r.Name, r.CPUPerc, r.MemUsage, r.MemPerc, r.NetIO, r.BlockIO, r.PIDs])));
        if (!o.stream) {
          const rows = await Promise.all((await targets()).map(async (id) => {
            const st = await e.containers.processes.stats(id);
            return row(id, st ? { counters: st.now, takenAt: 0n } : null, st?.cpuPercent ?? 0);
          }));
          stdout(render(rows));
          return;
        }
        // Docker 20.10's stream: a frame a second, the screen cleared before each (on a terminal or not), until
        // interrupted; a container that stops stays with zeros. CPU % is over the second between two frames.
        const last = new Map<string, StatsSample>();
        for (;;) {
          const rows: StatsRow[] = [];
          for (const id of await targets()) {
            const sample = await e.containers.processes.statsSample(id).catch(() => null);
            const before = last.get(id);
            rows.push(row(id, sample, sample && before ? cpuPercent(before, sample) : 0));
            if (sample) last.set(id, sample); else last.delete(id);
          }
          stdout(`\x1b[2J\x1b[H${render(rows)}`);
          await new Promise((r) => setTimeout(r, STATS_INTERVAL_MS));
        }
      }));
  }

  for (const cmd of both('cp')) {
    cmd.description('Copy files/folders between a container and the local filesystem')
      .argument('<src>', 'CONTAINER:SRC_PATH or SRC_PATH')
      .argument('<dest>', 'DEST_PATH or CONTAINER:DEST_PATH')
      .option('-a, --archive', 'Archive mode (copy all uid/gid information)')
      .option('-L, --follow-link', 'Always follow symbol link in SRC_PATH')
      .action(async (src: string, dst: string, o: { archive?: boolean; followLink?: boolean }) => withEngine(async (e) => {
        const from = copySide(src);
        const to = copySide(dst);
        if ((from.container === undefined) === (to.container === undefined)) {
          throw new StrataError(from.container === undefined ? 'must specify at least one container source' : 'copying between containers is not supported', 1);
        }
        const opts = { archive: o.archive, followLink: o.followLink };
        // The docker CLI says any path its daemon could not find, a missing container's included, as `container:path`
        // (the source, or the directory it copies into); a stream's destination it first finds to be no directory.
        try {
          e.containers.resolve((from.container ?? to.container)!);
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
          if (src === '-') throw new InvalidArgumentError(`destination "${dst}" must be a directory`);
          throw new NotFoundError(`No such container:path: ${from.container ?? to.container}:${from.container ? from.path : dirname(to.path)}`);
        }
        if (dst === '-') {
          // The daemon's `Could not find the file …` (which the API answers with) is, in the docker CLI's words, the path it asked for.
          await e.containers.processes.copyOut(from.container!, from.path, process.stdout, opts).catch((err: unknown) => {
            throw err instanceof NotFoundError ? new NotFoundError(`No such container:path: ${from.container}:${from.path}`) : err;
          });
        }
        else if (src === '-') await e.containers.processes.copyIn(to.container!, to.path, process.stdin);
        else await e.containers.processes.copy(from, to, opts);
      }));
  }

  // conmon's exit command: settles the container when its process exits (and removes it with --rm).
  container.command('cleanup', { hidden: true })
    .argument('<container>')
    .option('--rm', 'Remove the container')
    .action(async (ref: string, o: { rm?: boolean }) => withEngine((e) => e.containers.processes.cleanup(ref, !!o.rm)));
}

/** `CONTAINER:PATH` or a host path, as Docker's CLI splits them (a path with a `/` before any `:` is the host's). */
function copySide(arg: string): { container?: string; path: string } {
  const colon = arg.indexOf(':');
  if (colon <= 0 || arg.slice(0, colon).includes('/')) return { path: arg };
  const path = arg.slice(colon + 1);
  return { container: arg.slice(0, colon), path: path.startsWith('/') ? path : `/${path}` };
}

/** A stop timeout flag's seconds (undefined when not given). */
function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new FlagValueError(`invalid argument "${value}" for "${flag}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`);
  return n;
}

