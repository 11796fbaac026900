/**
 * The OCI runtime binary (runc, or crun) as a typed API. Each store passes its own state directory
 * (`--root`), so two stores never see each other's containers. Failures carry the runtime's own message
 * and the exit code Docker reports for them (126, 127, else 125).
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, rmSync, watch } from 'node:fs';
import { native } from '../native/index.js';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';

export type RuntimeName = 'runc' | 'crun';

/** The runtime's `state` answer (runtime-spec "State"). */
export interface OciState {
  ociVersion: string;
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
  created?: string;
}

/** Where Debian installs each runtime. */
const BINARIES: Record<RuntimeName, string[]> = { runc: ['/usr/sbin/runc', '/usr/bin/runc'], crun: ['/usr/bin/crun'] };

/** A runtime command that failed: `message` is the runtime's own words, `exitCode` what `docker run` would exit with. */
export class RuntimeError extends Error {
  constructor(message: string, readonly exitCode: 125 | 126 | 127) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/**
 * The exit code Docker gives a container that failed to start, from the runtime's message: 127 when the
 * command is not there, 126 when it cannot be executed, 125 (the engine's own failure) otherwise.
 */
export function startFailureCode(message: string): 125 | 126 | 127 {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|is a directory|exec format error/i.test(message)) return 126;
  return 125;
}

/** The human message from a runtime's stderr: runc logs `level=error msg="…"` (or JSON); crun plain lines. */
export function runtimeMessage(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const messages = lines.map((line) => {
    if (line.startsWith('{')) {
      try { return String((JSON.parse(line) as { msg?: unknown }).msg ?? line); } catch { /* not JSON after all */ }
    }
    const m = /\bmsg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (!m) return line;
    // logrus quotes as Go's %q; its usual escapes (\" \\ \n \t) read the same as JSON's.
    try { return JSON.parse(`"${m[1]}"`) as string; } catch { return m[1]!; }
  });
  return messages.join('\n');
}

/** The error entries of a runtime's JSON log file, one per line, and the file removed (it is per call). */
function readErrors(log: string): string {
  let text = '';
  try { text = readFileSync(log, 'utf8'); } catch { return ''; }
  rmSync(log, { force: true });
  return text.split('\n').filter((l) => /"level":"(error|fatal)"|^[^{]/.test(l) && l.trim()).map((l) => `${l}\n`).join('');
}

const HYBRID_CGROUPS = /cgroups in hybrid mode not supported/;

export interface ProcessIO { stdio?: StdioOptions }

export interface CreateOptions extends ProcessIO {
  pidFile?: string;
  /** Where the runtime writes its own messages (default: runtime.log in the bundle). */
  log?: string;
  /** A unix socket that receives the pty master when the process has a terminal. */
  consoleSocket?: string;
}

export interface ExecOptions extends ProcessIO {
  /** A runtime-spec process (JSON) file: args, env, cwd, user, terminal, capabilities. */
  processFile: string;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  /** Where the runtime writes its own messages (read back, then removed). */
  log: string;
}

/** A foreground `run` whose process uses the caller's stdout and stdin, its stderr relayed (`OciRuntime.runAttached`). */
export interface AttachedRunOptions {
  /** Where the runtime writes the process's host PID once it runs. */
  pidFile: string;
  /** Where the runtime writes its own messages (read back, then removed). */
  log: string;
  /** -i: the caller's stdin is the process's; otherwise it reads nothing. */
  stdin: boolean;
  /** Where the process's stderr goes. */
  stderr: NodeJS.WritableStream;
  /** Told the runtime's PID as it starts: a signal sent there is passed on to the container's PID 1. */
  onSpawn?: (pid: number) => void;
  /** Told once the process runs (the runtime wrote its PID), never when it could not be started. */
  onStarted?: () => void;
}

interface Outcome { code: number; stdout: string; stderr: string }

export class OciRuntime {
  /** The runtime's binary. */
  readonly binary: string;

  constructor(readonly name: RuntimeName, readonly root: string, binary?: string) {
    const found = binary ? [binary] : BINARIES[name].filter((p) => { try { accessSync(p, constants.X_OK); return true; } catch { return false; } });
    if (!found.length) throw new RuntimeError(`${name}: not installed (install Debian's ${name} package)`, 125);
    this.binary = found[0]!;
  }

  /**
   * Have the kernel read the runtime's binary now (posix_fadvise WILLNEED, which does not wait), so that a spawn
   * of it soon after finds it in the page cache: on a cold host, reading its ~9 MB then overlaps the caller's own
   * work instead of following it. Nothing is copied, and a cached file costs a syscall; failures are the spawn's.
   */
  prefetch(): void {
    try {
      const fd = openSync(this.binary, 'r');
      try { native.willneed(fd); } finally { closeSync(fd); }
    } catch { /* the spawn reports what is wrong with the binary */ }
  }

  /**
   * Run the runtime with `args` after its global options; stdout and stderr are captured unless `stdio`
   * says otherwise. With `log`, the runtime writes its own messages there (JSON lines) instead of to
   * stderr, so the container's stderr stays the container's alone.
   */
  private exec(args: string[], stdio: StdioOptions = ['ignore', 'pipe', 'pipe'], log?: string): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const global = ['--root', this.root, ...(log ? ['--log', log, '--log-format', 'json'] : [])];
      const child = spawn(this.binary, [...global, ...args], { stdio });
      let stdout = '';
      let stderr = '';
      child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (log) stderr += readErrors(log);
        resolve({ code: code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0), stdout, stderr });
      });
    });
  }

  /** The outcome's error as a RuntimeError naming the runtime's verb; crun's refusal of hybrid cgroups said plainly. */
  private failure(verb: string, id: string, out: Outcome): RuntimeError {
    const message = runtimeMessage(out.stderr) || `exit status ${out.code}`;
    if (this.name === 'crun' && HYBRID_CGROUPS.test(message)) {
      return new RuntimeError(
        `crun cannot run containers on this host: its cgroups are in hybrid mode (cgroup v1 controllers with a cgroup2 ` +
        `mount), which this crun refuses ("${message}"); use --runtime runc`, 125);
    }
    // docker exec answers 126 for any process it could not start (not found included); run tells 126 from 127.
    // An exec that could not start is told in Docker's words (its daemon's, with containerd's code for the runtime's failure).
    if (verb === 'exec') return new RuntimeError(`OCI runtime exec failed: ${message}: unknown`, 126);
    const code = verb === 'create' || verb === 'run' ? startFailureCode(message) : 125;
    return new RuntimeError(`${this.name} ${verb} ${id}: ${message}`, code);
  }

  private async check(verb: string, id: string, args: string[]): Promise<Outcome> {
    const out = await this.exec(args);
    if (out.code !== 0) throw this.failure(verb, id, out);
    return out;
  }

  /**
   * `create`: the container's namespaces and process exist, stopped before the user's program. The process
   * inherits the runtime's stdio, so it gets none of ours (a pipe of ours held by it would keep whoever
   * reads that pipe waiting for as long as the container lives); the runtime's messages go to `log`.
   */
  async create(id: string, bundle: string, opts: CreateOptions = {}): Promise<void> {
    const out = await this.exec(['create', '--bundle', bundle, ...(opts.pidFile ? ['--pid-file', opts.pidFile] : []),
      ...(opts.consoleSocket ? ['--console-socket', opts.consoleSocket] : []), id], opts.stdio ?? 'ignore', opts.log ?? join(bundle, 'runtime.log'));
    if (out.code !== 0 || out.stderr) throw this.failure('create', id, out);
  }

  /** `start`: the created process execs the user's program. */
  async start(id: string): Promise<void> {
    await this.check('start', id, ['start', id]);
  }

  /**
   * `run` in the foreground with the given stdio (inherited by default): resolves with the process's exit
   * code, or rejects with a RuntimeError when it could not be started (126/127 for a bad command). The
   * runtime's messages are read from `log` (default: runtime.log in the bundle); runc also prints its final
   * error on its stderr, which is the process's here: a caller wanting a clean stderr uses the Supervisor.
   */
  async run(id: string, bundle: string, io: ProcessIO & { log?: string } = {}): Promise<number> {
    const out = await this.exec(['run', '--bundle', bundle, id], io.stdio ?? 'inherit', io.log ?? join(bundle, 'runtime.log'));
    if (out.stderr) throw this.failure('run', id, out);
    return out.code;
  }

  /**
   * `run` in the foreground, as the caller's child in a session of its own (a signal for the container is the
   * caller's to pass on, through `onSpawn`'s PID: the runtime forwards what it receives to PID 1). The process
   * writes straight to the caller's stdout (and reads its stdin with -i), so it runs on, and the runtime
   * deletes it when it ends, even when the caller is killed. Resolves with the process's exit code (128+n for
   * a signal); rejects with a RuntimeError (126/127 as Docker) when it could not start.
   *
   * Its stderr passes through here because the runtime prints its own start failure there too (besides the
   * log): what arrives before the process runs (the PID file is written) is held back, and a failure's words
   * are dropped from it, so a failed start says what went wrong once, as the caller words it.
   */
  runAttached(id: string, bundle: string, o: AttachedRunOptions): Promise<number> {
    return new Promise((resolve, reject) => {
      const args = ['--root', this.root, '--log', o.log, '--log-format', 'json', 'run', '--bundle', bundle, '--pid-file', o.pidFile, id];
      // The PID file appears once the runtime has made the process (its command found and executable), watched:
      // from then on the runtime's stderr is the container's (what was held back is passed on) and `onStarted` is
      // told; at the latest when the runtime ends without a failure (the watch's event may come after).
      let started = false;
      const markStarted = () => {
        if (started) return;
        started = true;
        watcher.close();
        release();
        o.onStarted?.();
      };
      const watcher = watch(dirname(o.pidFile), () => { if (existsSync(o.pidFile)) markStarted(); });
      const child = spawn(this.binary, args, { stdio: [o.stdin ? 'inherit' : 'ignore', 'inherit', 'pipe'], detached: true });
      if (child.pid) o.onSpawn?.(child.pid);
      let held: Buffer[] | null = [];
      const pass = (chunk: Buffer) => {
        if (!o.stderr.write(chunk)) {
          child.stderr!.pause();
          o.stderr.once('drain', () => child.stderr!.resume());
        }
      };
      const release = () => {
        const chunks = held ?? [];
        held = null;
        for (const c of chunks) pass(c);
      };
      child.stderr!.on('data', (chunk: Buffer) => {
        if (!held) return pass(chunk);
        held.push(chunk);
        if (existsSync(o.pidFile)) markStarted();
      });
      child.on('error', (e) => { watcher.close(); reject(e); });
      child.on('close', (code, signal) => {
        watcher.close();
        const errors = readErrors(o.log);
        const status = code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0);
        if (held && errors) {
          // Not started: what was held is the runtime's own account of the failure, said once by the caller.
          const message = runtimeMessage(errors);
          const failure = HYBRID_CGROUPS.test(message) ? this.failure('run', id, { code: status, stdout: '', stderr: errors }) : new RuntimeError(message, startFailureCode(message));
          const words = new Set(message.split('\n'));
          const rest = Buffer.concat(held).toString().split('\n').filter((l) => l && !words.has(l));
          held = rest.length ? [Buffer.from(`${rest.join('\n')}\n`)] : null;
          release();
          reject(failure);
          return;
        }
        markStarted();
        resolve(status);
      });
    });
  }

  /**
   * `exec` a process in the running container; resolves with its exit code (0 at once with `detach`), or
   * rejects with a RuntimeError (126, as docker exec) when it could not be started.
   */
  async execProcess(id: string, opts: ExecOptions): Promise<number> {
    const out = await this.exec(['exec', '--process', opts.processFile, ...(opts.detach ? ['--detach'] : []),
      ...(opts.pidFile ? ['--pid-file', opts.pidFile] : []), ...(opts.consoleSocket ? ['--console-socket', opts.consoleSocket] : []), id],
    // A detached process keeps whatever stdio it gets: never one of the caller's pipes.
    opts.stdio ?? (opts.detach ? 'ignore' : 'inherit'), opts.log);
    if (out.stderr) throw this.failure('exec', id, out);
    return out.code;
  }

  /** Send `signal` (a name such as "TERM" or "SIGKILL", or a number) to the container's init, or with `all` to every process in it. */
  async kill(id: string, signal: string | number = 'TERM', all = false): Promise<void> {
    await this.check('kill', id, ['kill', ...(all ? ['--all'] : []), id, String(signal)]);
  }

  /** Remove the runtime's record (and cgroup) of a stopped container; `force` kills a running one first. */
  async delete(id: string, force = false): Promise<void> {
    await this.check('delete', id, ['delete', ...(force ? ['--force'] : []), id]);
  }

  /** The container's state, or null when the runtime does not know it. */
  async state(id: string): Promise<OciState | null> {
    const out = await this.exec(['state', id]);
    if (out.code !== 0) {
      if (/does not exist|not found|No such file/i.test(out.stderr)) return null;
      throw this.failure('state', id, out);
    }
    return JSON.parse(out.stdout) as OciState;
  }

  /** The state of every container under this runtime root. */
  async list(): Promise<OciState[]> {
    const out = await this.check('list', '', ['list', '--format', 'json']);
    return (JSON.parse(out.stdout.trim() || '[]') ?? []) as OciState[];
  }

  /** Freeze every process of the container (freezer cgroup). */
  async pause(id: string): Promise<void> {
    await this.check('pause', id, ['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.check('resume', id, ['resume', id]);
  }

  /** Host PIDs of the container's processes. */
  async ps(id: string): Promise<number[]> {
    const out = await this.check('ps', id, ['ps', '--format', 'json', id]);
    return (JSON.parse(out.stdout.trim() || '[]') ?? []) as number[];
  }
}
