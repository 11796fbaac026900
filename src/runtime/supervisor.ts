/**
 * Containers supervised by Debian's conmon: one small process per running container that outlives the
 * CLI, holds the process's stdio (and its pty with -t), writes the k8s-file log, records the exit code in
 * an exit file and runs an exit command (for --rm and cleanup). No strata daemon: every command reads
 * the files conmon leaves, and `reconcile` settles a container whose conmon died.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, readFileSync, statSync, watch, writeFileSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { cgroupPids, removeCgroup } from './cgroups.js';
import type { OciSpec } from './oci.js';
import { RuntimeError, runtimeMessage, startFailureCode, type AttachedRunOptions, type OciRuntime } from './runc.js';
import { DetachScanner } from './detachkeys.js';
import { SeqpacketSocket, SHUT_RDWR, SHUT_WR } from './seqpacket.js';

const CONMON = '/usr/bin/conmon';

/** conmon's attach-socket framing: the first byte of each message says which stream it belongs to. */
const STDOUT_PIPE = 2;
const STDERR_PIPE = 3;
/** conmon reads stdin from the attach socket into a buffer this large; a longer message would be cut. */
const STDIN_CHUNK = 8192;
/** conmon's control fifo message type that resizes the pty. */
const WIN_RESIZE_EVENT = 1;
/** The exit code Docker shows for a container whose real code was lost (its supervisor died). */
export const UNKNOWN_EXIT_CODE = 255;

/** In the bundle of a container run in the foreground without conmon: who runs it (Supervisor.runnerFile). */
export const RUNNER_FILE = 'runner';

/** How long `start` waits for the runtime's init to exec the program (a loaded host takes milliseconds). */
const START_SETTLE_MS = 2000;

export interface SupervisorOptions {
  /** The container ID (conmon's -c, the runtime's container ID). */
  id: string;
  /** conmon's -u, naming its attach socket's link under `socketDir`: an exec session's own ID (the container ID otherwise). */
  session?: string;
  /** The bundle directory (config.json); conmon keeps its attach socket, ctl fifo and pid file here. */
  bundle: string;
  runtime: OciRuntime;
  /** Where conmon writes the k8s-file log. */
  logPath: string;
  /** Where conmon writes the exit file, named after the container ID. */
  exitDir: string;
  /** A directory with a short path where conmon links the attach socket (unix socket paths are short). */
  socketDir: string;
  /** -t: the process gets a pty (conmon receives its master through a console socket). */
  tty?: boolean;
  /** -i: the process's stdin is a pipe conmon holds open for attach clients. */
  stdin?: boolean;
  /** Close the process's stdin when the first attach client leaves (Docker's StdinOnce: run -i in the foreground). */
  stdinOnce?: boolean;
  /** Run when the process has exited and its exit file is written (program then its arguments). */
  exitCommand?: string[];
  /** Cut the log at this many bytes (conmon's --log-size-max). */
  logSizeMax?: number;
  /** The container's name, for conmon's own messages. */
  name?: string;
  conmonPath?: string;
}

export interface ExitStatus {
  exitCode: number;
  finishedAt: Date;
  /** The same time to the nanosecond (the exit file's mtime), for Docker's State.FinishedAt. */
  finishedAtNs: bigint;
  /** The kernel's OOM killer ended the process (Docker's State.OOMKilled). */
  oomKilled: boolean;
}

/** A supervised container's state; `pid` is its init process on the host. */
export type ContainerStatus =
  | { state: 'created' | 'running' | 'paused'; pid: number }
  | { state: 'exited'; exit: ExitStatus };

export interface AttachStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Sent to the process's stdin; its end closes the process's stdin (unless conmon was told to keep it). */
  stdin?: NodeJS.ReadableStream;
  /** Typed into stdin, this sequence ends the attach and leaves the container running (./detachkeys.ts). */
  detachKeys?: Buffer;
}

export interface Attachment {
  /** Resolves when conmon closes the stream: the process exited (or the attach was closed). */
  done: Promise<void>;
  /** Stop relaying; the container keeps running. */
  detach(): void;
  /** Whether the attach ended because the detach keys were typed (the container runs on). */
  readonly escaped: boolean;
}

/** A process's start time (clock ticks since boot, /proc/PID/stat's 22nd field), or null when there is no such process: with its PID, who it is. */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count from the parenthesis that closes it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Resolve with the first line a stream carries (or what came before its end). */
function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const finish = () => resolve(text.split('\n')[0]!);
    stream.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) finish();
    });
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
}

/** One JSON report of conmon's sync pipe: a PID or an exit code in `data`, a failure's words in `message`. */
function parseReport(line: string | null): { data: number; message?: string } | null {
  try {
    const report = JSON.parse(line ?? '') as { data?: unknown; message?: string };
    return typeof report.data === 'number' ? { data: report.data, message: report.message } : null;
  } catch {
    return null;
  }
}

/** Lines from a stream, one at a time as asked for; null once it has ended. */
class LineReader {
  private buffered = '';
  private ended = false;
  private wake: (() => void) | null = null;

  constructor(private readonly stream: NodeJS.ReadableStream) {
    const notify = () => { this.wake?.(); this.wake = null; };
    stream.on('data', (d: Buffer) => { this.buffered += d.toString(); notify(); });
    for (const event of ['end', 'close', 'error']) stream.on(event, () => { this.ended = true; notify(); });
  }

  async next(): Promise<string | null> {
    for (;;) {
      const at = this.buffered.indexOf('\n');
      if (at >= 0) {
        const line = this.buffered.slice(0, at);
        this.buffered = this.buffered.slice(at + 1);
        return line;
      }
      if (this.ended) return null;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  close(): void {
    (this.stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
  }
}

export class Supervisor {
  readonly conmonPidFile: string;
  readonly pidFile: string;
  readonly attachSocket: string;
  readonly ctlFifo: string;
  readonly exitFile: string;
  /** Where conmon records what it saw beyond the exit code: an `oom` file when the kernel's OOM killer struck. */
  readonly persistDir: string;
  /**
   * A container run in the foreground without conmon (`runForeground`): the PID and start time of the process
   * that runs it and writes its exit file; it stays until `release`, saying how the container is supervised.
   */
  readonly runnerFile: string;

  constructor(readonly opts: SupervisorOptions) {
    this.persistDir = join(opts.bundle, 'persist');
    this.conmonPidFile = join(opts.bundle, 'conmon.pid');
    this.pidFile = join(opts.bundle, 'pidfile');
    this.attachSocket = join(opts.bundle, 'attach');
    this.ctlFifo = join(opts.bundle, 'ctl');
    this.exitFile = join(opts.exitDir, opts.id);
    this.runnerFile = join(opts.bundle, RUNNER_FILE);
  }

  private conmonArgs(): string[] {
    const o = this.opts;
    const args = [
      '--api-version', '1', '-c', o.id, '-u', o.session ?? o.id, '-n', o.name ?? o.id, '-r', o.runtime.binary, '-b', o.bundle,
      '-p', this.pidFile, '-P', this.conmonPidFile, '-l', `k8s-file:${o.logPath}`, '--exit-dir', o.exitDir,
      '--socket-dir-path', o.socketDir, '--persist-dir', this.persistDir, '--runtime-arg', '--root', '--runtime-arg', o.runtime.root,
    ];
    if (o.tty) args.push('-t');
    if (o.stdin) args.push('-i');
    if (o.stdin && !o.stdinOnce) args.push('--leave-stdin-open');
    if (o.logSizeMax) args.push('--log-size-max', String(o.logSizeMax));
    if (o.exitCommand?.length) {
      args.push('--exit-command', o.exitCommand[0]!);
      for (const a of o.exitCommand.slice(1)) args.push('--exit-command-arg', a);
    }
    return args;
  }

  /**
   * Start conmon, which daemonizes and runs the runtime's `create`: resolves with the container's PID once
   * the process exists (stopped before the user's program; `start` runs it). conmon gets no descriptor of
   * ours but the sync pipe it reports on, so `$(strata run -d …)` never waits on it. A process that cannot
   * start rejects with a RuntimeError carrying 126/127 as Docker, and leaves no runtime state behind.
   */
  async create(): Promise<number> {
    const o = this.opts;
    // A container started again (docker start after an exit): its last run's record must not answer for this one.
    if (existsSync(this.exitFile)) await this.release();
    for (const dir of [o.exitDir, o.socketDir, this.persistDir]) mkdirSync(dir, { recursive: true });
    const child = spawn(o.conmonPath ?? CONMON, this.conmonArgs(), {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, _OCI_SYNCPIPE: '3' },
      // conmon also drops an `oom` marker in its working directory: keep it with the container's files.
      cwd: this.persistDir,
      detached: true,
    });
    let conmonErr = '';
    child.stderr!.on('data', (d: Buffer) => (conmonErr += d.toString()));
    const spawnError = new Promise<never>((_, reject) => child.on('error', reject));
    const line = await Promise.race([firstLine(child.stdio[3] as NodeJS.ReadableStream), spawnError]);
    // conmon forked its supervisor off; drop every handle on it so this process can exit whenever it likes.
    for (const s of [child.stderr, child.stdio[3]]) (s as NodeJS.ReadableStream & { destroy(): void }).destroy();
    child.unref();
    let report: { data?: number; message?: string };
    try {
      report = JSON.parse(line) as typeof report;
    } catch {
      throw new RuntimeError(`conmon ${o.id}: exited without starting the container${conmonErr ? `: ${conmonErr.trim()}` : ''}`, 125);
    }
    if (typeof report.data === 'number' && report.data > 0) return report.data;
    const message = runtimeMessage(report.message ?? '') || 'the runtime failed to create the container';
    await this.forget();
    throw new RuntimeError(message, startFailureCode(message));
  }

  /**
   * Run the container in the foreground without conmon: the runtime's `run`, a child of this process, with
   * this process's stdout (and stdin with -i), stderr through `io.stderr`. For a foreground `run --rm`, whose
   * container nobody attaches to later and whose log nobody reads after it is gone: one runtime process in
   * place of conmon, the runtime's `create`, `start` and `delete`. The runtime deletes the container when its
   * process ends, also after this process is killed (the bundle's poststop hook then does what this process
   * would have); this process records the exit code. Rejects with a RuntimeError (126/127) when it cannot start.
   */
  async runForeground(io: Pick<AttachedRunOptions, 'stdin' | 'stderr' | 'onSpawn' | 'onStarted'>): Promise<number> {
    const o = this.opts;
    if (existsSync(this.exitFile)) await this.release();
    mkdirSync(o.exitDir, { recursive: true });
    rmSync(this.pidFile, { force: true });
    writeFileSync(this.runnerFile, `${process.pid} ${processStart(process.pid)}`);
    let code: number;
    try {
      code = await o.runtime.runAttached(o.id, o.bundle, { ...io, pidFile: this.pidFile, log: join(o.bundle, 'runtime.log') });
    } catch (e) {
      rmSync(this.runnerFile, { force: true });
      throw e;
    }
    writeFileSync(this.exitFile, String(code));
    return code;
  }

  /**
   * `exec -it` under conmon, so that the process outlives a client that detaches (conmon holds its pty): the
   * process described by `processFile` runs in the container once `streams` are attached (nothing it prints
   * is missed). Resolves when it runs, with the attachment and its exit code to come (null when conmon went
   * without reporting one); a process that cannot start rejects with a RuntimeError (126, as docker exec).
   * conmon's protocol: it reads the start pipe once at its start and again before it runs the runtime's
   * exec, says on the attach pipe when its attach socket listens, and on the sync pipe the PID, then the code.
   * `held` (which never rejects): awaited before the runtime is let run the process, which reads `processFile` then.
   */
  async execAttached(processFile: string, streams: AttachStreams, held?: () => Promise<void>): Promise<{ attachment: Attachment; exitCode: Promise<number | null> }> {
    const o = this.opts;
    for (const dir of [o.exitDir, o.socketDir, this.persistDir]) mkdirSync(dir, { recursive: true });
    const child = spawn(o.conmonPath ?? CONMON, [...this.conmonArgs(), '--exec', '--exec-attach', '--exec-process-spec', processFile], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' },
      cwd: this.persistDir,
      detached: true,
    });
    let conmonErr = '';
    child.stderr!.on('data', (d: Buffer) => (conmonErr += d.toString()));
    const sync = new LineReader(child.stdio[3] as NodeJS.ReadableStream);
    const startPipe = child.stdio[4] as NodeJS.WritableStream & { destroy(): void };
    const attachPipe = (child.stdio as unknown as NodeJS.ReadableStream[])[5] as NodeJS.ReadableStream & { destroy(): void };
    const spawnError = new Promise<never>((_, reject) => child.on('error', reject));
    const failed = (what: string) => new RuntimeError(`conmon ${o.session ?? o.id}: ${what}${conmonErr ? `: ${conmonErr.trim()}` : ''}`, 126);
    startPipe.write('0');
    const ready = await Promise.race([firstLine(attachPipe), spawnError]);
    if (!ready) throw failed('exited before its attach socket was ready');
    const attachment = this.attach(streams);
    if (held) await held();
    startPipe.write('0');
    const report = parseReport(await sync.next());
    for (const s of [child.stderr, startPipe, attachPipe]) (s as { destroy(): void }).destroy();
    child.unref();
    if (!report || report.data <= 0) {
      attachment.detach();
      const message = runtimeMessage(report?.message ?? '') || conmonErr.trim() || 'the runtime failed to start the process';
      throw new RuntimeError(message, 126);
    }
    // Detached: the process runs on under conmon, and this client stops listening for its code.
    void attachment.done.then(() => { if (attachment.escaped) sync.close(); });
    // The code, once conmon has gone: until then it may still make files in the session's bundle (a resize that
    // raced the exit has it make its winsz fifo again), which the caller removes once it has the code.
    const exitCode = (async () => {
      const code = parseReport(await sync.next())?.data ?? null;
      while ((await sync.next()) !== null) { /* conmon writes nothing more; the pipe ends when it exits */ }
      return code;
    })().finally(() => sync.close());
    return { attachment, exitCode };
  }

  /**
   * Drop what a finished run left: the runtime's record of the stopped container, the exit file and
   * conmon's files, so the container can run again or be removed (`keepExitFile`: its directory goes with it).
   * Only for a container that has exited; `settled`: its runtime record is gone already (reconcile removed it),
   * so no runtime call is needed.
   */
  async release(opts: { keepExitFile?: boolean; settled?: boolean } = {}): Promise<void> {
    const { id, bundle, socketDir } = this.opts;
    if (!opts.settled) await this.forget();
    for (const f of [...(opts.keepExitFile ? [] : [this.exitFile]), this.conmonPidFile, this.runnerFile, this.pidFile, join(socketDir, id), join(bundle, 'winsz'), this.persistDir]) {
      rmSync(f, { force: true, recursive: true });
    }
  }

  /**
   * Start the created container's program. `runc start` returns once the runtime's init was told to go,
   * a moment before it has exec'd the program; waiting for that here makes "started" mean running for
   * every caller (status, ps, a stop right after), as Docker's start does.
   */
  async start(): Promise<void> {
    await this.opts.runtime.start(this.opts.id);
    const pid = this.pid();
    for (let waited = 0; pid !== null && waited < START_SETTLE_MS && this.isRuntimeInit(pid); waited += 2) {
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Whether `pid` is still the runtime's own init, waiting to exec the container's program. */
  private isRuntimeInit(pid: number): boolean {
    let cmdline = '';
    try { cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { return false; /* exited already */ }
    const [argv0 = '', argv1] = cmdline.split('\0');
    return /(^|\/)(runc|crun)$/.test(argv0) && argv1 === 'init';
  }

  /**
   * Relay the process's stdout and stderr (kept apart; one stream with -t) to `streams`, and `stdin` to
   * it, through conmon's attach socket. Attach before `start` to miss nothing.
   */
  attach(streams: AttachStreams): Attachment {
    const sock = SeqpacketSocket.connect(this.attachSocket);
    let detached = false;
    let escaped = false;
    let inputClosed = false;
    let closed = false;
    const scanner = streams.detachKeys?.length ? new DetachScanner(streams.detachKeys) : null;
    const detach = () => {
      detached = true;
      // Once the relay has ended its socket is closed, and its descriptor may be another file's by now.
      if (!closed) sock.shutdown(SHUT_RDWR);
    };
    const relayIn = (chunk: Buffer | string) => {
      let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (scanner) {
        const { pass, detach: typed } = scanner.feed(data);
        data = pass;
        escaped = typed;
      }
      try {
        for (let at = 0; at < data.length && !detached && !inputClosed; at += STDIN_CHUNK) sock.send(data.subarray(at, at + STDIN_CHUNK));
      } catch {
        // The process exited or closed its stdin (EPIPE): what is still typed has nowhere to go, as under Docker.
        inputClosed = true;
      }
      if (escaped) detach();
    };
    const endIn = () => { if (!detached && !inputClosed) sock.shutdown(SHUT_WR); };
    streams.stdin?.on('data', relayIn);
    streams.stdin?.on('end', endIn);
    const done = (async () => {
      const buffer = Buffer.alloc(64 * 1024);
      try {
        for (;;) {
          const msg = await sock.receive(buffer);
          if (!msg || detached) break;
          const out = msg[0] === STDERR_PIPE ? streams.stderr : msg[0] === STDOUT_PIPE ? streams.stdout : null;
          if (out && !out.write(Buffer.from(msg.subarray(1)))) await new Promise((r) => out.once('drain', r));
        }
      } finally {
        streams.stdin?.off('data', relayIn);
        streams.stdin?.off('end', endIn);
        closed = true;
        sock.close();
      }
    })();
    return { done, detach, get escaped() { return escaped; } };
  }

  /** Tell conmon the pty's size (rows × columns), as a terminal's SIGWINCH should. */
  resize(rows: number, columns: number): void {
    const fd = openSync(this.ctlFifo, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      writeSync(fd, `${WIN_RESIZE_EVENT} ${rows} ${columns}\n`);
    } finally {
      closeSync(fd);
    }
  }

  /** The exit code and time conmon recorded, or null while the process runs (or conmon died first). */
  exitStatus(): ExitStatus | null {
    try {
      const text = readFileSync(this.exitFile, 'utf8').trim();
      if (text === '') return null;
      const { mtimeNs } = statSync(this.exitFile, { bigint: true });
      return {
        exitCode: Number(text), finishedAt: new Date(Number(mtimeNs / 1_000_000n)), finishedAtNs: mtimeNs,
        oomKilled: existsSync(join(this.persistDir, 'oom')),
      };
    } catch {
      return null;
    }
  }

  /**
   * Resolves when the exit file is there: at once if the process already exited; null after `timeoutMs`
   * if given. Should conmon die first, the container is settled by reconcile (255) instead of waiting forever.
   */
  waitExit(): Promise<ExitStatus>;
  waitExit(timeoutMs: number): Promise<ExitStatus | null>;
  waitExit(timeoutMs?: number): Promise<ExitStatus | null> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (status: ExitStatus | null) => {
        if (settled) return;
        settled = true;
        watcher.close();
        clearInterval(poll);
        clearTimeout(deadline);
        resolve(status);
      };
      const check = () => {
        const status = settled ? null : this.exitStatus();
        if (status) finish(status);
      };
      const watcher = watch(this.opts.exitDir, check);
      // Events can be coalesced or missed across filesystems: look now and then, and see that conmon lives.
      const poll = setInterval(() => {
        check();
        if (!settled && !this.supervisorAlive()) this.reconcile().then((s) => { if (s) finish(s); }, reject);
      }, 250);
      const deadline = timeoutMs === undefined ? undefined : setTimeout(() => finish(null), timeoutMs);
      check();
    });
  }

  /**
   * `docker stop`: send `signal` (the image's StopSignal, SIGTERM by default) and, if the process has not
   * exited after `timeoutSeconds`, SIGKILL to every process of the container. A paused container is
   * thawed first so the signal can be acted on. Resolves with the exit status conmon records.
   */
  async stop(signal: string | number = 'SIGTERM', timeoutSeconds = 10): Promise<ExitStatus> {
    const { runtime, id } = this.opts;
    const done = this.exitStatus();
    if (done) return done;
    if (this.frozen()) await runtime.resume(id);
    if (timeoutSeconds > 0) {
      await this.signal(signal);
      const status = await this.waitExit(timeoutSeconds * 1000);
      if (status) return status;
    }
    await this.signal('SIGKILL', true);
    return this.waitExit();
  }

  /** `docker kill -s`: a signal to the container's PID 1 (with `all`, to each of its processes); none once it has exited. */
  async signal(signal: string | number, all = false): Promise<void> {
    try {
      await this.opts.runtime.kill(this.opts.id, signal, all);
    } catch (e) {
      // It exited between the caller's look and this signal: nothing is left to signal.
      if ((await this.opts.runtime.state(this.opts.id))?.status === 'running') throw e;
    }
  }

  /**
   * Where the container is, from files alone (no runtime call while it runs, so `ps` of many containers
   * stays cheap): exited (settled by reconcile when conmon died), created (the runtime's init still waits
   * for `start`), paused (its freezer cgroup is frozen) or running.
   */
  async status(): Promise<ContainerStatus> {
    const exit = await this.reconcile();
    if (exit) return { state: 'exited', exit };
    const pid = this.pid() ?? 0;
    // Until `start`, the container's PID 1 is still the runtime's own `init`, waiting to exec the program.
    if (this.isRuntimeInit(pid)) return { state: 'created', pid };
    return { state: this.frozen() ? 'paused' : 'running', pid };
  }

  /** Whether the container's freezer cgroup is frozen (`pause`), read from the cgroup itself: no runtime call. */
  private frozen(): boolean {
    const path = this.cgroupsPath();
    try {
      return !!path && readFileSync(`/sys/fs/cgroup/freezer${path}/freezer.state`, 'utf8').trim() === 'FROZEN';
    } catch {
      return false; // no freezer hierarchy, or the cgroup is gone
    }
  }

  /** The container process's host PID, or null when conmon never reported it. */
  pid(): number | null {
    try {
      return Number(readFileSync(this.pidFile, 'utf8').trim()) || null;
    } catch {
      return null;
    }
  }

  /**
   * Whether someone will record this container's exit: its conmon (the PID checked against the command line,
   * never trusted alone), or for a foreground run without conmon the process running it (PID and start time).
   * When that process was killed, the container lives as long as its PID 1 (the runtime's `run` stays with it
   * and its poststop hook settles it).
   */
  supervisorAlive(): boolean {
    try {
      const pid = Number(readFileSync(this.conmonPidFile, 'utf8').trim());
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmdline[0]!.endsWith('conmon') && cmdline.includes(this.opts.id)) return true;
    } catch { /* no conmon */ }
    let runner: string;
    try { runner = readFileSync(this.runnerFile, 'utf8'); } catch { return false; }
    const [pid = '', start] = runner.split(' ');
    if (processStart(Number(pid)) === start) return true;
    const init = this.pid();
    const cgroup = this.cgroupsPath();
    try {
      return init !== null && !!cgroup && readFileSync(`/proc/${init}/cgroup`, 'utf8').split('\n').some((l) => l.endsWith(`:${cgroup}`));
    } catch {
      return false; // gone
    }
  }

  /**
   * Remove the runtime's record and the cgroup of the container, killing what is left of it. When the
   * runtime has no record (its state was wiped), processes still in the container's cgroup are killed
   * through the cgroup and its empty directories removed, so nothing is left running or mounted in /sys.
   */
  private async forget(): Promise<void> {
    const { runtime, id } = this.opts;
    // One runtime call: `delete --force` of a record the runtime lacks succeeds. A frozen process cannot die
    // of the SIGKILL that delete sends (runc would wait 10 s for it), so it is thawed first.
    if (this.frozen()) await runtime.resume(id).catch(() => { /* not the runtime's any more: the cgroup is killed below */ });
    // No state directory, no record (the runtime's `run` deleted it, or a reboot wiped it): no runtime process to pay for.
    if (existsSync(join(runtime.root, id))) {
      try {
        await runtime.delete(id, true);
      } catch (e) {
        // Another command settled it meanwhile: gone is what was wanted.
        if (await runtime.state(id)) throw e;
      }
    }
    const path = this.cgroupsPath();
    if (!path) return;
    for (let round = 0; cgroupPids(path).length && round < 100; round++) {
      for (const pid of cgroupPids(path)) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
      await new Promise((r) => setTimeout(r, 20));
    }
    const busy = removeCgroup(path);
    if (busy.length) throw new RuntimeError(`container ${id}: its cgroup still has processes: ${busy.join(', ')}`, 125);
  }

  /** linux.cgroupsPath of the bundle's config.json, or null when there is no bundle. */
  private cgroupsPath(): string | null {
    try {
      return (JSON.parse(readFileSync(join(this.opts.bundle, 'config.json'), 'utf8')) as OciSpec).linux.cgroupsPath || null;
    } catch {
      return null;
    }
  }

  /**
   * Settle the container after the fact, as the next command must: null while conmon supervises a live
   * process; otherwise the exit status (the recorded one, else 255 when conmon died first, after killing
   * what is left), with the runtime's state removed and the exit file written so the answer is stable.
   */
  reconcile(): Promise<ExitStatus | null> {
    // One settling at a time per container in this process (waitExit may start one while a caller does).
    this.settling ??= this.settle().finally(() => { this.settling = undefined; });
    return this.settling;
  }

  private settling: Promise<ExitStatus | null> | undefined;

  private async settle(): Promise<ExitStatus | null> {
    let recorded = this.exitStatus();
    if (!recorded && this.supervisorAlive()) return null;
    // conmon writes the exit file before it exits: read again now it is gone, or an exit between the two looks
    // would be taken for a conmon that died (255) and its real code overwritten.
    recorded ??= this.exitStatus();
    await this.forget();
    if (recorded) return recorded;
    mkdirSync(this.opts.exitDir, { recursive: true });
    writeFileSync(this.exitFile, String(UNKNOWN_EXIT_CODE));
    return this.exitStatus();
  }
}
