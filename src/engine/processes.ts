/**
 * Containers as processes: start (with or without attaching), stop, kill, wait, pause, logs, exec, and
 * the state every other verb shows. Each started container has a conmon of its own (runtime/supervisor.ts)
 * that outlives the CLI and runs `strata container cleanup` when the process exits; no daemon keeps
 * anything in memory, so the answer to "is it running" always comes from conmon's files, and the first
 * command to find a process gone settles the container (rootfs unmounted, runtime state removed).
 */
import type { StdioOptions } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type {
  Attachment, AttachStreams, CgroupStats, ExitStatus, LogLine, LogQuery, OciHook, OciRuntime, OciSpec, Supervisor,
} from '../runtime/index.js';
import { logTime, readLog, readLogFrom } from '../runtime/logs.js';
import { hostNetworkFiles, networkFiles, writeNetworkFiles } from '../runtime/netfiles.js';
import { containerSpec, DEFAULT_PATH, execProcess } from '../runtime/spec.js';
import { resolveUser } from '../runtime/user.js';
import { hexOf, sha256 } from '../images/digest.js';
import { START_IN_FILE, type ContainerRecord } from '../metadata/index.js';
import { isMounted, unmount } from '../snapshots/index.js';
import { nowNs, rfc3339Nano } from './clock.js';
import type { Containers } from './containers.js';
import { humanDuration } from './duration.js';
import { ConflictError, InvalidArgumentError, NotFoundError, StrataError } from './errors.js';
import { parseSignal, validSignal } from './signals.js';
import { copyInTar, copyOutTar, copyPath, type ContainerView, type CopyOptions, type CopySide } from './copy.js';
import { readSettings, type RunSettings } from './runsettings.js';
import type { Store } from './store.js';
import type { Volumes } from './volumes.js';
import { timestampNs } from './times.js';
import { runtime, streams } from './lazy.js';

/** Docker's init (tini), static so it runs in any image: bind-mounted at /sbin/docker-init with --init. */
const TINI = '/usr/bin/tini-static';
/** Go's zero time, Docker's StartedAt/FinishedAt of a container that never ran. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';
/** Docker's default stop timeout (seconds). */
const STOP_TIMEOUT = 10;

/** What a container is doing now, as Docker's State says it. */
export type LiveState =
  | { status: 'created'; startedAt: string; exitCode: number; error: string }
  | { status: 'running' | 'paused'; pid: number; startedAt: string }
  | { status: 'exited'; exitCode: number; startedAt: string; finishedAt: string; oomKilled: boolean };

/**
 * What only the engine knows about the last start, kept in the container's row (ContainerRecord.start): when it
 * started, why a start failed (with Docker's code), and once the process is gone and the container settled, its
 * exit as conmon's exit file said it, so a listing reads no file per exited container.
 */
interface StartRecord { startedAt: string; error?: string; exitCode?: number; exit?: RecordedExit }

/** An ExitStatus as the record keeps it (nanoseconds as a decimal string: JSON has no bigint). */
interface RecordedExit { exitCode: number; finishedAtNs: string; oomKilled: boolean }

const recorded = (e: ExitStatus): RecordedExit => ({ exitCode: e.exitCode, finishedAtNs: String(e.finishedAtNs), oomKilled: e.oomKilled });

function exitStatusOf(e: RecordedExit): ExitStatus {
  const ns = BigInt(e.finishedAtNs);
  return { exitCode: e.exitCode, finishedAtNs: ns, finishedAt: new Date(Number(ns / 1_000_000n)), oomKilled: e.oomKilled };
}

/**
 * A process that could not start (126, 127) in the words Docker's daemon gives it (State.Error and the
 * CLI's line alike): containerd's, around the runtime's message from its `create`, as strata's runtime says it.
 */
function startFailureMessage(message: string, code: number): string {
  if (code !== 126 && code !== 127) return message;
  return `failed to create shim task: OCI runtime create failed: ${message.replace(/^(\w+) run failed: /, '$1 create failed: ')}: unknown`;
}

export interface StartOptions {
  /** Relay the process's stdio here from before it starts (a foreground `run`, `start -a`). */
  attach?: AttachStreams;
  /** With -t: the caller's terminal size. */
  consoleSize?: ConsoleSize;
}

/** A foreground `run --rm` without a pty (Processes.runAttached). */
export interface ForegroundIO {
  /** -i: the process reads the caller's stdin. */
  stdin: boolean;
  stderr: NodeJS.WritableStream;
  /** Before the process runs: the warnings (PID 0); then the runtime's PID, where signals for the container go. */
  onStart?: (warnings: string[], runtimePid: number) => void;
}

export interface Started {
  attachment?: Attachment;
  /** Things asked for that this host could not give (said on stderr, as Docker's warnings). */
  warnings: string[];
}

export interface ExecOptions {
  cmd: string[];
  detach?: boolean;
  tty?: boolean;
  interactive?: boolean;
  env?: string[];
  workdir?: string;
  user?: string;
  privileged?: boolean;
  /** The process's stdin, stdout and stderr (descriptors the caller opened); the caller's own otherwise. */
  stdio?: StdioOptions;
  /** With -t: the caller's terminal size, given to the pty as the runtime makes it (so the process never sees 0×0). */
  consoleSize?: ConsoleSize;
}

/** A terminal's size as the runtime-spec's consoleSize says it. */
export interface ConsoleSize { height: number; width: number }

/** An `exec -it` running under its conmon. */
export interface ExecSession {
  /** Its exit code once it has exited, or null when the detach keys were typed (it runs on). */
  done: Promise<number | null>;
  /** Tell its pty the terminal's size. */
  resize(rows: number, columns: number): void;
  /** Stop relaying (the caller is gone): the process runs on under its conmon, and `done` resolves null. */
  detach(): void;
}

/** `logs` as asked: --since and --until as Docker's daemon reads them (a duration back from now, a time, Unix seconds). */
export interface LogsQuery { tail?: number; since?: string; until?: string }

function logQuery(q: LogsQuery): LogQuery {
  const now = new Date();
  const when = (v: string | undefined, name: 'since' | 'until') => {
    if (v === undefined) return undefined;
    try {
      return new Date(Number(timestampNs(v, now) / 1_000_000n));
    } catch (e) {
      // Docker's daemon names the parameter it could not read.
      throw e instanceof StrataError ? new InvalidArgumentError(`invalid value for ${JSON.stringify(name)}: ${e.message}`) : e;
    }
  };
  return { tail: q.tail, since: when(q.since, 'since'), until: when(q.until, 'until') };
}

/** containers/<id>/attached: the PID of the foreground `run` relaying the container (markAttached). */
const ATTACHED_FILE = 'attached';

/**
 * What conmon runs when the process has exited (`sh -c EXIT_COMMAND sh DIR ATTACHED_FILE STRATA…`): strata's
 * `container cleanup`, unless the container's directory is gone (it was removed already) or a foreground `run`
 * that relays it is alive (it settles and removes the container itself, and a second strata starting now
 * would only race it for the same work, on cores the run waits for). The shell costs a millisecond; a strata
 * process costs Bun's start and the store's opening.
 */
const EXIT_COMMAND = '[ -d "$1" ] || exit 0; read -r pid _ 2>/dev/null <"$1/$2"; [ -n "$pid" ] && [ -d "/proc/$pid" ] && exit 0; shift 2; exec "$@"';

/** The path of a unix socket must fit in 108 bytes: conmon's attach sockets live under a short directory per store. */
function socketDir(root: string): string {
  return join('/run/strata', hexOf(sha256(root)).slice(0, 16));
}

const maxNs = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** Docker's STATUS column for a state. */
export function statusText(s: LiveState, now = Date.now()): string {
  if (s.status === 'created') return 'Created';
  if (s.status === 'exited') return `Exited (${s.exitCode}) ${humanDuration(now - Date.parse(s.finishedAt))} ago`;
  const up = `Up ${humanDuration(now - Date.parse(s.startedAt))}`;
  return s.status === 'paused' ? `${up} (Paused)` : up;
}

export class Processes {
  /**
   * `self`: how to run this strata (program and arguments before the global options), for conmon's exit
   * command; null when the engine is not behind the CLI (then an exited container is settled by the next command).
   */
  constructor(
    private readonly store: Store, private readonly containers: Containers, private readonly volumes: Volumes,
    private readonly self: string[] | null,
  ) {}

  private dir(c: ContainerRecord): string {
    return this.store.containerDir(c.id);
  }

  logPath(c: ContainerRecord): string {
    return join(this.dir(c), 'container.log');
  }

  private runtime(s: RunSettings): OciRuntime {
    return new (runtime().OciRuntime)(s.runtime, join(this.store.root, 'runtime'));
  }

  private supervisor(c: ContainerRecord, s: RunSettings, extra: { stdinOnce?: boolean } = {}): Supervisor {
    const config = this.containers.config(c);
    const dir = this.dir(c);
    const exitCommand = this.self ? ['/bin/sh', '-c', EXIT_COMMAND, 'sh', dir, ATTACHED_FILE, ...this.cleanupCommand(c, s.autoRemove)] : undefined;
    return new (runtime().Supervisor)({
      id: c.id, bundle: dir, runtime: this.runtime(s), logPath: this.logPath(c), exitDir: join(dir, 'exits'),
      socketDir: socketDir(this.store.root), tty: config.Tty, stdin: config.OpenStdin, stdinOnce: extra.stdinOnce,
      exitCommand, name: c.name,
    });
  }

  /** This strata's `container cleanup` of `c` (with `remove`, --rm), for whatever runs when its process has ended. */
  private cleanupCommand(c: ContainerRecord, remove: boolean): string[] {
    return [...this.self!, '--root', this.store.root, '--storage-driver', this.store.snapshots.name, 'container', 'cleanup', ...(remove ? ['--rm'] : []), c.id];
  }

  private startRecord(c: ContainerRecord): StartRecord | null {
    if (c.start === null) return null;
    if (c.start !== START_IN_FILE) return JSON.parse(c.start) as StartRecord;
    try {
      return JSON.parse(readFileSync(join(this.dir(c), START_IN_FILE), 'utf8')) as StartRecord;
    } catch {
      return null; // never started
    }
  }

  /**
   * The container's state now. A container whose process is gone (exited, its conmon killed, the host
   * rebooted) is settled here: exited with its recorded code (255 when none was), rootfs unmounted.
   */
  async state(c: ContainerRecord): Promise<LiveState> {
    const record = this.startRecord(c);
    const startedAt = record?.startedAt ?? ZERO_TIME;
    if (c.state === 'created') return { status: 'created', startedAt, exitCode: record?.exitCode ?? 0, error: record?.error ?? '' };
    let exit: ExitStatus | null;
    if (c.state === 'running') {
      const live = await this.supervisor(c, readSettings(this.dir(c))).status();
      if (live.state !== 'exited') return { status: live.state === 'paused' ? 'paused' : 'running', pid: live.pid, startedAt };
      exit = live.exit;
      await this.settle(c, record, exit);
    } else {
      // Settled by a strata from before the record kept the exit: conmon's exit file says it.
      exit = record?.exit ? exitStatusOf(record.exit) : this.supervisor(c, readSettings(this.dir(c))).exitStatus();
    }
    return {
      status: 'exited', exitCode: exit?.exitCode ?? runtime().UNKNOWN_EXIT_CODE, startedAt,
      // The exit file's time is the kernel's coarse clock (a tick behind at most): never before the start.
      finishedAt: exit ? rfc3339Nano(maxNs(exit.finishedAtNs, startedAt === ZERO_TIME ? 0n : timestampNs(startedAt, new Date()))) : startedAt,
      oomKilled: Boolean((exit as Partial<{ oomKilled: boolean }> | null)?.oomKilled),
    };
  }

  /** After the process is gone: the rootfs unmounted and the record says exited, how (its size measured again when asked). */
  private async settle(c: ContainerRecord, record: StartRecord | null, exit: ExitStatus): Promise<void> {
    const rootfs = this.containers.rootfs(c);
    if (isMounted(rootfs)) {
      try { unmount(rootfs); } catch (e) { if (isMounted(rootfs)) throw e; /* another command settled it first */ }
    }
    this.store.meta.setContainerStart(c.id, JSON.stringify({ startedAt: ZERO_TIME, ...record, exit: recorded(exit) } satisfies StartRecord), 'exited');
    this.store.meta.setContainerSize(c.id, null);
  }

  /**
   * `docker start`: the rootfs mounted, config.json written from the container's settings, conmon
   * started; with `attach`, the process's stdio is relayed from its first byte. A process that cannot
   * start leaves the container Created with Docker's exit code (126 or 127) and nothing mounted.
   */
  async start(ref: string, opts: StartOptions = {}): Promise<Started> {
    const c = this.containers.resolve(ref);
    const now = await this.state(c);
    if (now.status === 'running' || now.status === 'paused') {
      return { warnings: [], ...(opts.attach ? { attachment: this.supervisor(c, readSettings(this.dir(c))).attach(opts.attach) } : {}) };
    }
    return this.launch(c, { consoleSize: opts.consoleSize }, async (settings, warnings) => {
      // Docker's StdinOnce: a foreground run's stdin closes when it leaves, except with a pty (it may detach and come back).
      const sup = this.supervisor(c, settings, { stdinOnce: !!opts.attach?.stdin && !this.containers.config(c).Tty });
      await sup.create();
      const attachment = opts.attach ? sup.attach(opts.attach) : undefined;
      // Taken before the program runs: a process that exits at once must not have finished before it started.
      const startedAt = rfc3339Nano(nowNs());
      await sup.start();
      this.markRunning(c, startedAt);
      this.announceStart(c);
      return { attachment, warnings };
    });
  }

  /** The container runs from here on: its start record and state in one statement. */
  private markRunning(c: ContainerRecord, startedAt: string): void {
    this.store.meta.setContainerStart(c.id, JSON.stringify({ startedAt } satisfies StartRecord), 'running');
  }

  /** The runtime has made the container's process: nothing to do but what engine/eventhooks.ts hooks here, its `start` event. */
  announceStart(_c: ContainerRecord): void {}

  /**
   * A foreground `run --rm` without a pty: the runtime's `run` as this process's child, no conmon (see
   * Supervisor.runForeground), the process on the caller's stdout and stdin (with `stdin`), its stderr to
   * `io.stderr`. `io.onStart` hears the warnings before the process runs and the runtime's PID (signals sent
   * there reach the container). Resolves with the exit code; the caller removes the container.
   */
  async runAttached(ref: string, io: ForegroundIO): Promise<number> {
    const c = this.containers.resolve(ref);
    const dir = this.dir(c);
    // Should this process be killed, the runtime runs this when the container ends: what conmon's exit command does.
    const poststop = this.self ? [{ path: '/bin/sh', args: ['sh', '-c', EXIT_COMMAND, 'sh', dir, runtime().RUNNER_FILE, ...this.cleanupCommand(c, true)], env: [`PATH=${DEFAULT_PATH}`] }] : [];
    return this.launch(c, { poststop }, async (settings, warnings) => {
      io.onStart?.(warnings, 0);
      // Taken before the program runs: a process that exits at once must not have finished before it started.
      const startedAt = rfc3339Nano(nowNs());
      // Running for every other command from here on (its PID 1 and this process are watched,
      // Supervisor.supervisorAlive), so that a `stop` as soon as the process has said something finds it running
      // (Docker's stop waits for the start to finish). Its `start` event is said once the runtime has made the
      // process: one that cannot start goes back to Created with no `start`, as in Docker.
      this.markRunning(c, startedAt);
      try {
        return await this.supervisor(c, settings).runForeground({
          stdin: io.stdin, stderr: io.stderr, onSpawn: (pid) => io.onStart?.([], pid), onStarted: () => this.announceStart(c),
        });
      } catch (e) {
        this.store.meta.setContainerState(c.id, 'created');
        throw e;
      }
    });
  }

  /**
   * The rootfs mounted and the bundle written (config.json from the container's settings, its network files),
   * then `go`. A process that cannot start leaves the container Created with Docker's exit code (126 or 127)
   * and nothing mounted; other failures are the engine's (125).
   */
  private async launch<T>(c: ContainerRecord, o: { consoleSize?: { height: number; width: number }; poststop?: OciHook[] }, go: (settings: RunSettings, warnings: string[]) => Promise<T>): Promise<T> {
    const dir = this.dir(c);
    mkdirSync(dir, { recursive: true });
    const settings = readSettings(dir);
    // While the rootfs is mounted and the bundle written, the kernel reads the runtime's binary (a cold start).
    this.runtime(settings).prefetch();
    const config = this.containers.config(c);
    // A --rm container's layer goes with it: its writes need not reach the disk (no sync at its unmount).
    const rootfs = this.containers.mount(c.id, { volatile: settings.autoRemove });
    try {
      const host = runtime().hostFacts();
      const { spec, warnings } = containerSpec({
        id: c.id, rootfs, containerDir: dir,
        image: { Entrypoint: config.Entrypoint, Cmd: config.Cmd, Env: config.Env, WorkingDir: config.WorkingDir },
        user: resolveUser(rootfs, config.User ?? ''), hostname: settings.hostname, tty: config.Tty, consoleSize: o.consoleSize,
        network: settings.network, readOnly: settings.readOnly, shmSize: settings.shmSize, capAdd: settings.capAdd,
        capDrop: settings.capDrop, privileged: settings.privileged, ulimits: settings.ulimits, memory: settings.memory || undefined,
        pidsLimit: settings.pidsLimit, nanoCpus: settings.nanoCpus, initPath: settings.init ? TINI : undefined,
        // Volumes made ready (mounted, filled from the image at first use) and bound, as planned at create.
        mounts: this.volumes.mountsForStart(c.id, rootfs),
      }, host, settings.privileged ? runtime().hostDevices() : []);
      writeFileSync(join(dir, 'config.json'), JSON.stringify(o.poststop?.length ? { ...spec, hooks: { poststop: o.poststop } } : spec));
      writeNetworkFiles(dir, networkFiles(spec.hostname, settings.network, hostNetworkFiles()));
      return await go(settings, warnings);
    } catch (e) {
      if (isMounted(rootfs)) unmount(rootfs);
      if (e instanceof runtime().RuntimeError) {
        const message = startFailureMessage(e.message, e.exitCode);
        this.store.meta.setContainerStart(c.id, JSON.stringify({ startedAt: ZERO_TIME, error: message, exitCode: e.exitCode } satisfies StartRecord));
        throw new StrataError(message, e.exitCode);
      }
      if (e instanceof StrataError) throw e;
      // Docker's daemon words a start it refuses (unknown user, bad working dir…) as its own failure.
      throw new StrataError((e as Error).message, 125);
    }
  }

  /**
   * Whether a running `strata run` relays this container: it settles and removes it itself once it has the
   * exit code, so conmon's exit command leaves it alone (EXIT_COMMAND reads this file).
   */
  markAttached(c: ContainerRecord, attached: boolean): void {
    const file = join(this.dir(c), ATTACHED_FILE);
    if (attached) writeFileSync(file, String(process.pid));
    else rmSync(file, { force: true });
  }

  /** conmon's exit command, when no foreground `run` relays the container: settle it; with `remove` (--rm), remove it too. */
  async cleanup(ref: string, remove: boolean): Promise<void> {
    const c = this.containers.resolve(ref);
    const s = await this.state(c);
    if (s.status !== 'exited') return;
    if (remove) await this.containers.remove(c.id, { force: true });
  }

  /** The container, if its process runs; else Docker's "Container … is not running" after `prefix` (the verb's words). */
  private async running(ref: string, prefix = ''): Promise<{ c: ContainerRecord; sup: Supervisor; state: LiveState }> {
    let c: ContainerRecord;
    try {
      c = this.containers.resolve(ref);
    } catch (e) {
      // Docker's daemon says what failed before it says the container is missing (`Cannot kill container: x: No such container: x`).
      throw prefix && e instanceof NotFoundError ? new NotFoundError(`${prefix}: ${e.message}`) : e;
    }
    const state = await this.state(c);
    if (state.status !== 'running' && state.status !== 'paused') {
      throw new ConflictError(`${prefix ? `${prefix}: ` : ''}Container ${c.id} is not running`);
    }
    return { c, sup: this.supervisor(c, readSettings(this.dir(c))), state };
  }

  /**
   * The exit status once the process has exited, the container settled. A container that is not running
   * answers at once with its State.ExitCode, as Docker 20.10's `docker wait` (condition "not-running"):
   * 0 for one never started, 126/127 for one whose start failed.
   */
  async wait(ref: string): Promise<number> {
    const c = this.containers.resolve(ref);
    const s = await this.state(c);
    if (s.status === 'exited' || s.status === 'created') return s.exitCode;
    const status = await this.supervisor(c, readSettings(this.dir(c))).waitExit();
    await this.state(this.containers.resolve(c.id));
    return status.exitCode;
  }

  /** `docker stop`: the stop signal, then SIGKILL after the timeout; a container not running is left as it is. */
  async stop(ref: string, timeoutSeconds?: number): Promise<void> {
    const c = this.containers.resolve(ref);
    const s = await this.state(c);
    if (s.status !== 'running' && s.status !== 'paused') return;
    const settings = readSettings(this.dir(c));
    const signal = settings.stopSignal ?? this.containers.config(c).StopSignal ?? 'SIGTERM';
    await this.supervisor(c, settings).stop(signal, timeoutSeconds ?? settings.stopTimeout ?? STOP_TIMEOUT);
    await this.state(this.containers.resolve(c.id));
  }

  /** `docker kill -s`: a signal to the container's PID 1. */
  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    // Docker's daemon's order: the signal read, the container found running, then the number checked.
    const n = parseSignal(signal);
    const { sup } = await this.running(ref, 'Cannot kill container: ' + ref);
    if (!validSignal(n)) throw new InvalidArgumentError(`Cannot kill container: ${ref}: The linux daemon does not support signal ${BigInt.asUintN(64, BigInt(n))}`);
    await sup.signal(n);
  }

  /** `docker attach`: relay a running container's stdio (stdin too when given and the container keeps it open). */
  async attach(ref: string, streams: AttachStreams): Promise<Attachment> {
    const c = this.containers.resolve(ref);
    const s = await this.state(c);
    if (s.status !== 'running' && s.status !== 'paused') throw new ConflictError('You cannot attach to a stopped container, start it first');
    if (s.status === 'paused') throw new ConflictError('You cannot attach to a paused container, unpause it first');
    const sup = this.supervisor(c, readSettings(this.dir(c)));
    // No conmon, no attach socket: a foreground run --rm without -t writes to its own CLI's stdout (runAttached).
    if (existsSync(sup.runnerFile)) throw new ConflictError(`You cannot attach to container ${c.id}: its output goes to the strata run that started it (run --rm without -t)`);
    return sup.attach(streams);
  }

  /**
   * `docker cp`: one side is `container:path`, the other a host path. The container's rootfs is mounted
   * for the copy when it is not running, and a running one is frozen meanwhile (./copy.ts says why).
   */
  async copy(src: { container?: string; path: string }, dst: { container?: string; path: string }, opts: CopyOptions = {}): Promise<void> {
    const ref = src.container ?? dst.container;
    if (ref === undefined || (src.container !== undefined && dst.container !== undefined)) {
      throw new InvalidArgumentError('copying between containers is not supported');
    }
    await this.withFiles(ref, async (view) => {
      const side = (s: { container?: string; path: string }): CopySide => ({ view: s.container === undefined ? null : view, path: s.path });
      const describe = (s: CopySide) => (s.view ? `${ref}:${s.path}` : s.path);
      copyPath(side(src), side(dst), opts, describe, dst.container !== undefined);
    });
  }

  /** `docker cp CONTAINER:PATH -`: the path as a tar, piped to `out`, which it ends (the container frozen until the last byte). */
  async copyOut(ref: string, path: string, out: NodeJS.WritableStream, opts: CopyOptions = {}): Promise<void> {
    await this.withFiles(ref, (view) => streams().promises.pipeline(copyOutTar({ view, path }, opts, ref), out));
  }

  /** `docker cp - CONTAINER:DIR`: a tar from `input` extracted into the container's directory DIR. */
  async copyIn(ref: string, path: string, input: Readable): Promise<void> {
    await this.withFiles(ref, (view) => copyInTar(input, { view, path }, this.store.scratchPath('cp'), ref));
  }

  /**
   * Run `work` on the container's files: its rootfs mounted for the while when it is not running, a
   * running one frozen meanwhile, and its volume and bind mounts where the container sees them.
   */
  private async withFiles<T>(ref: string, work: (view: ContainerView) => Promise<T> | T): Promise<T> {
    const c = this.containers.resolve(ref);
    const state = await this.state(c);
    const live = state.status === 'running' || state.status === 'paused';
    const rootfs = this.containers.rootfs(c);
    const mountedHere = !isMounted(rootfs);
    if (mountedHere) this.containers.mount(c.id);
    const freeze = state.status === 'running' ? this.runtime(readSettings(this.dir(c))) : null;
    if (freeze) await freeze.pause(c.id);
    try {
      const mounts = this.volumes.mountPlan(c.id).mounts
        .filter((m) => m.type !== 'tmpfs')
        .map((m) => ({ destination: m.destination, source: m.source, rw: m.rw }));
      return await work({ rootfs, mounts });
    } finally {
      if (freeze) await freeze.resume(c.id);
      if (mountedHere && !live) await this.containers.unmount(c.id);
    }
  }

  /** The pty's size follows the caller's terminal (SIGWINCH). */
  resize(ref: string, rows: number, columns: number): void {
    const c = this.containers.resolve(ref);
    this.supervisor(c, readSettings(this.dir(c))).resize(rows, columns);
  }

  async pause(ref: string): Promise<void> {
    const { c, state } = await this.running(ref);
    if (state.status === 'paused') throw new ConflictError(`Container ${c.id} is already paused`);
    await this.runtime(readSettings(this.dir(c))).pause(c.id);
  }

  async unpause(ref: string): Promise<void> {
    // Whatever its state, a container not paused is said to be so (Docker's daemon: created or exited too).
    const c = this.containers.resolve(ref);
    if ((await this.state(c)).status !== 'paused') throw new ConflictError(`Container ${c.id} is not paused`);
    await this.runtime(readSettings(this.dir(c))).resume(c.id);
  }

  /**
   * Stop a running container for removal: SIGKILL to every process, then the runtime's and conmon's leftovers.
   * The exit file stays until the container's directory goes with its record: a `wait` reading the record
   * meanwhile (the API's, for `docker run --rm`) still finds the real exit code, not 255. `now`: its state, when
   * the caller has just read it (reading it settles an exited container; a second read would only repeat that work).
   */
  async forceStop(c: ContainerRecord, now?: LiveState): Promise<void> {
    const s = now ?? await this.state(c);
    const sup = this.supervisor(c, readSettings(this.dir(c)));
    if (s.status === 'running' || s.status === 'paused') await this.settle(c, this.startRecord(c), await sup.stop('SIGKILL', 0));
    // An exited container was settled when it was found so (its runtime record deleted then): no runtime call is needed.
    if (s.status !== 'created') await sup.release({ keepExitFile: true, settled: s.status === 'exited' });
  }

  /**
   * `system check`: what a container left after its record went (a crash during `rm`, a store whose database
   * was restored): runtime state under the store's runtime root, and a directory under containers/. With
   * `repair`, the runtime's record is deleted (killing what still runs there) and directories `removable`
   * says no live command may be making are removed. The disk is listed before the database is read; a
   * container's runtime state is only ever made after its record and deleted before it.
   */
  async checkOrphans(repair: boolean, removable: (path: string) => boolean): Promise<{ problems: string[]; repaired: string[] }> {
    const problems: string[] = [];
    const repaired: string[] = [];
    const runc = new (runtime().OciRuntime)('runc', join(this.store.root, 'runtime'));
    const states = existsSync(runc.root) ? await runc.list() : [];
    let dirs: string[] = [];
    try { dirs = readdirSync(join(this.store.root, 'containers')); } catch { /* none made yet */ }
    for (const { id } of states) {
      if (this.store.meta.getContainer(id)) continue;
      if (!repair) {
        problems.push(`runtime state of container ${id}, which does not exist`);
        continue;
      }
      try {
        await runc.delete(id, true);
      } catch (e) {
        if (await runc.state(id)) throw e; // gone meanwhile: what was wanted
      }
      repaired.push(`removed the runtime state of container ${id}, which does not exist`);
    }
    for (const id of dirs) {
      if (this.store.meta.getContainer(id)) continue;
      const dir = this.store.containerDir(id);
      if (repair && removable(dir)) {
        rmSync(dir, { recursive: true, force: true });
        repaired.push(`removed container directory ${id}, which no container names`);
      } else problems.push(`container directory ${id} is not referenced by any container`);
    }
    return { problems, repaired };
  }

  /** `docker logs`: the lines the query selects. */
  logs(ref: string, query: LogsQuery = {}): LogLine[] {
    return readLog(this.logPath(this.containers.resolve(ref)), logQuery(query));
  }

  /**
   * `logs -f`: the lines after the selected ones as they are written, until the process exits (or
   * `signal` aborts); each batch is handed to `out`.
   */
  async follow(ref: string, asked: LogsQuery, out: (lines: LogLine[]) => void, signal?: AbortSignal): Promise<void> {
    const query = logQuery(asked);
    const c = this.containers.resolve(ref);
    const path = this.logPath(c);
    out(readLog(path, query));
    let offset = existsSync(path) ? readFileSync(path).length : 0;
    for (;;) {
      const s = await this.state(this.containers.resolve(c.id));
      if (existsSync(path)) {
        const next = readLogFrom(path, offset);
        offset = next.offset;
        const lines = query.until ? next.lines.filter((l) => logTime(l.time) < query.until!.getTime()) : next.lines;
        if (lines.length) out(lines);
      }
      if ((s.status !== 'running' && s.status !== 'paused') || signal?.aborted) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * `docker exec`: a process in the running container, run by the runtime with the caller's stdio
   * (the runtime relays a pty itself with -t); resolves with its exit code (0 at once with -d).
   */
  async exec(ref: string, o: ExecOptions): Promise<number> {
    const named = this.containers.resolve(ref);
    // While the container's state is checked and the process described, the runtime's binary is read (a cold exec).
    this.runtime(readSettings(this.dir(named))).prefetch();
    const { c, dir, proc } = await this.execProcess(ref, o);
    const tag = `exec-${process.pid}-${Date.now()}`;
    const processFile = join(dir, `${tag}.json`);
    writeFileSync(processFile, JSON.stringify(proc));
    try {
      // Without -i the process's stdin is empty, as Docker's; a detached one gets none of the caller's descriptors.
      const stdio: StdioOptions = o.stdio ?? (o.detach ? 'ignore' : [o.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit']);
      return await this.runtime(readSettings(dir)).execProcess(c.id, { processFile, detach: o.detach, log: join(dir, `${tag}.log`), stdio });
    } catch (e) {
      if (e instanceof runtime().RuntimeError) throw new StrataError(e.message, e.exitCode);
      throw e;
    } finally {
      rmSync(processFile, { force: true });
    }
  }

  /**
   * `docker exec -it`: the process runs under a conmon of its own, which holds its pty, and `streams` are relayed
   * to it; typing the detach keys leaves it running, as Docker's exec does. Resolves once it runs; its `done`
   * with its exit code, or null when detached. Its files live in the container's `exec/<session>` directory
   * while it runs (a detached session's stay until the container goes). `sizeOnItsWay`: a terminal size the caller
   * is about to learn (the API's client sends its resize once the exec's stream is open): the process is held
   * back until it settles, and starts on a pty of that size (of `o.consoleSize` when it settles to nothing).
   */
  async execAttached(ref: string, o: ExecOptions, streams: AttachStreams, sizeOnItsWay?: Promise<ConsoleSize | undefined>): Promise<ExecSession> {
    const { c, dir, proc } = await this.execProcess(ref, { ...o, tty: true });
    const session = `${c.id.slice(0, 12)}-exec-${process.pid}-${Date.now()}`;
    const bundle = join(dir, 'exec', session);
    mkdirSync(bundle, { recursive: true });
    const processFile = join(bundle, 'process.json');
    writeFileSync(processFile, JSON.stringify(proc));
    const sup = new (runtime().Supervisor)({
      id: c.id, session, bundle, runtime: this.runtime(readSettings(dir)), logPath: join(bundle, 'exec.log'), exitDir: join(bundle, 'exits'),
      socketDir: socketDir(this.store.root), tty: true, stdin: true, stdinOnce: true,
    });
    // conmon starts meanwhile; the runtime reads the process's description only once it is let go.
    const held = sizeOnItsWay && (async () => {
      const size = await sizeOnItsWay;
      if (size) writeFileSync(processFile, JSON.stringify({ ...proc, consoleSize: size }));
    });
    let started;
    try {
      started = await sup.execAttached(processFile, streams, held);
    } catch (e) {
      rmSync(bundle, { recursive: true, force: true });
      if (e instanceof runtime().RuntimeError) throw new StrataError(e.message, e.exitCode);
      throw e;
    }
    const { attachment, exitCode } = started;
    let left = false;
    const done = attachment.done.then(async () => {
      if (attachment.escaped || left) return null;
      const code = (await exitCode) ?? runtime().UNKNOWN_EXIT_CODE;
      rmSync(bundle, { recursive: true, force: true });
      return code;
    });
    return {
      done, resize: (rows, columns) => sup.resize(rows, columns),
      detach: () => { left = true; attachment.detach(); },
    };
  }

  /** The running container and the runtime-spec process `exec` asks for in it. */
  private async execProcess(ref: string, o: ExecOptions): Promise<{ c: ContainerRecord; dir: string; proc: OciSpec['process'] }> {
    const { c, state } = await this.running(ref);
    // Named as the user named it, as Docker's daemon says it.
    if (state.status === 'paused') throw new ConflictError(`Container ${ref} is paused, unpause the container before exec`);
    const dir = this.dir(c);
    const config = this.containers.config(c);
    const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as OciSpec;
    const rootfs = this.containers.rootfs(c);
    let user;
    try {
      user = o.user ? resolveUser(rootfs, o.user) : undefined;
    } catch (e) {
      // A user the container lacks is a process that cannot start: 126, as Docker's exec.
      throw new StrataError((e as Error).message, 126);
    }
    const { process: proc } = execProcess({
      cmd: o.cmd, hostname: spec.hostname, containerEnv: config.Env ?? [], container: spec.process, env: o.env,
      user, workdir: o.workdir, tty: o.tty, privileged: o.privileged,
    }, runtime().hostFacts());
    return { c, dir, proc: o.tty && o.consoleSize ? { ...proc, consoleSize: o.consoleSize } : proc };
  }

  /**
   * `docker top`: the host's `ps` with the caller's options (`-ef` by default), narrowed to the container's
   * processes by its PID column, as Docker's daemon does it (Titles and Processes, its API's fields).
   */
  async top(ref: string, psArgs: string[] = ['-ef']): Promise<{ Titles: string[]; Processes: string[][] }> {
    // A paused container is running to Docker's daemon: its processes are listed (frozen, they are still there).
    const { c } = await this.running(ref);
    const pids = new Set((await this.runtime(readSettings(this.dir(c))).ps(c.id)).map(String));
    const { spawnSync } = await import('node:child_process');
    const ps = spawnSync('ps', psArgs, { encoding: 'utf8' });
    if (ps.status !== 0) throw new StrataError(`Error running ps: ${ps.stderr.trim() || `exit status ${ps.status}`}`);
    const [header = '', ...lines] = ps.stdout.split('\n').filter(Boolean);
    const Titles = header.trim().split(/\s+/);
    const pidColumn = Titles.indexOf('PID');
    if (pidColumn < 0) throw new StrataError("Couldn't find PID field in ps output");
    // The last column (the command) may hold spaces: split only as many times as there are titles.
    const Processes = lines.map((line) => {
      const fields = line.trim().split(/\s+/);
      return [...fields.slice(0, Titles.length - 1), fields.slice(Titles.length - 1).join(' ')];
    }).filter((row) => pids.has(row[pidColumn]!));
    return { Titles, Processes };
  }

  /**
   * `docker stats --no-stream`: the cgroup's counters twice, `intervalMs` apart, so CPU % is the share of
   * one CPU used in between (Docker's formula); null when the container is not running.
   */
  async stats(ref: string, intervalMs = 500): Promise<{ cpuPercent: number; now: CgroupStats } | null> {
    const first = await this.statsSample(ref);
    if (!first) return null;
    await new Promise((r) => setTimeout(r, intervalMs));
    const now = await this.statsSample(ref);
    return now ? { cpuPercent: cpuPercent(first, now), now: now.counters } : null;
  }

  /** One reading of the container's cgroup counters, taken now; null when it is not running. `stats`' stream takes one a second. */
  async statsSample(ref: string): Promise<StatsSample | null> {
    const c = this.containers.resolve(ref);
    const s = await this.state(c);
    if (s.status !== 'running' && s.status !== 'paused') return null;
    const spec = JSON.parse(readFileSync(join(this.dir(c), 'config.json'), 'utf8')) as OciSpec;
    const counters = runtime().cgroupStats(spec.linux.cgroupsPath);
    return counters ? { counters, takenAt: process.hrtime.bigint() } : null;
  }
}

/** A container's cgroup counters and when they were read (a monotonic clock, in nanoseconds). */
export interface StatsSample { counters: CgroupStats; takenAt: bigint }

/** The CPU % Docker shows between two samples: CPU time used over wall time, 100% being one CPU. */
export function cpuPercent(before: StatsSample, after: StatsSample): number {
  const wallNs = Number(after.takenAt - before.takenAt);
  return wallNs > 0 ? ((after.counters.cpuNanos - before.counters.cpuNanos) / wallNs) * 100 : 0;
}
