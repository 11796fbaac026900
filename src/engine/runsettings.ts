/**
 * How a container runs, as `create`/`run` were told (Docker's HostConfig plus the stop settings): kept
 * in the container's own directory (containers/<id>/hostconfig.json) from create on, so every later
 * `start` runs it the same way and inspect shows it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkMode, RuntimeName, Ulimit } from '../runtime/index.js';
import { InvalidArgumentError } from './errors.js';

export interface RunSettings {
  /** --network: none (a namespace with loopback only, the default here) or host. */
  network: NetworkMode;
  /** -h/--hostname as given (the short ID, or the host's name with --network host, otherwise). */
  hostname?: string;
  readOnly: boolean;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  /** -m in bytes (0: no limit). */
  memory: number;
  /** --pids-limit (0: no limit). */
  pidsLimit: number;
  /** --cpus in billionths of a CPU (0: no limit). */
  nanoCpus: number;
  ulimits: Ulimit[];
  /** --shm-size in bytes (Docker's 64 MiB when not given). */
  shmSize?: number;
  /** --init: tini as PID 1. */
  init: boolean;
  /** --rm */
  autoRemove: boolean;
  runtime: RuntimeName;
  /** --stop-signal (the image's StopSignal otherwise, else SIGTERM). */
  stopSignal?: string;
  /** --stop-timeout in seconds (10 otherwise). */
  stopTimeout?: number;
}

export const DEFAULT_SETTINGS: RunSettings = {
  network: 'none', readOnly: false, privileged: false, capAdd: [], capDrop: [], memory: 0, pidsLimit: 0, nanoCpus: 0,
  ulimits: [], init: false, autoRemove: false, runtime: 'runc',
};

/** Docker's restart policies; strata has no daemon to carry out any but `no`. */
const RESTART_POLICIES = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;

/** `--restart`: only `no` is honoured; the others need a daemon that outlives every command, which strata is not. */
export function checkRestartPolicy(policy: string | undefined): void {
  if (policy === undefined || policy === '' || policy === 'no') return;
  if (!RESTART_POLICIES.test(policy)) throw new InvalidArgumentError(`invalid restart policy '${policy}'`);
  throw new InvalidArgumentError(`--restart ${policy} is not supported: strata has no daemon that could restart a container after its process exits; use --restart no`);
}

const FILE = 'hostconfig.json';

/**
 * The file's text by container directory. It is written once, at create, and never changed, so a
 * long-lived process (the API service) reads it once: `ps` and `inspect` then cost no file read per
 * container, as Docker's daemon answers them from memory. Bounded: cleared when it grows past MEMO_MAX.
 */
const memo = new Map<string, string>();
const MEMO_MAX = 4096;

export function writeSettings(containerDir: string, s: RunSettings): void {
  const text = JSON.stringify(s);
  writeFileSync(join(containerDir, FILE), text);
  remember(containerDir, text);
}

function remember(containerDir: string, text: string): void {
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(containerDir, text);
}

/** A container's settings; a container made before strata ran containers has Docker's defaults. */
export function readSettings(containerDir: string): RunSettings {
  try {
    let text = memo.get(containerDir);
    if (text === undefined) {
      text = readFileSync(join(containerDir, FILE), 'utf8');
      remember(containerDir, text);
    }
    return { ...DEFAULT_SETTINGS, ...(JSON.parse(text) as Partial<RunSettings>) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { ...DEFAULT_SETTINGS };
    throw e;
  }
}
