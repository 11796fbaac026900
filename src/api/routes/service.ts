/** What every route module shares: the engine, the service's stop signal, and what the service keeps in memory. */
import type { AttachStreams, Engine } from '../../engine/index.js';
import type { ExecRecord } from './exec.js';

/** An attach made before its container started (`docker run` attaches, then starts): the start relays to it. */
export interface PendingAttach { streams: AttachStreams; started: (done: Promise<void>) => void }

export interface Service {
  engine: Engine;
  /** Aborted when the service is told to stop: endless streams (events, logs -f, stats) end. */
  stopping: AbortSignal;
  /** Attaches waiting for their container's start, by container ID. */
  pendingAttach: Map<string, PendingAttach[]>;
  /** Exec instances (Docker's daemon keeps them in memory too), by exec ID. */
  execs: Map<string, ExecRecord>;
}
