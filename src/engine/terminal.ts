/**
 * A pseudo-terminal of the host's, for a process whose terminal is relayed by a front end (the API's
 * `exec -t`): the runtime gets the slave as its stdio, finds a terminal there, makes the process's own in
 * the container and copies between the two, taking the slave's size at start and again on SIGWINCH. The
 * front end reads and writes the master.
 */
import { closeSync } from 'node:fs';
import { native } from '../native/index.js';

export class HostTerminal {
  /** The front end's end: what the process shows is read here, keys typed are written here (non-blocking). */
  readonly master: number;
  /** The runtime's stdin, stdout and stderr. */
  readonly slave: number;
  /** The runtime relaying this terminal, once it runs: told of a new size. */
  private runtimePid = 0;

  /** The size asked for at the start (the process has it before its first instruction): the runtime-spec's consoleSize. */
  readonly size: { rows: number; columns: number } | undefined;

  constructor(size?: { rows: number; columns: number }) {
    [this.master, this.slave] = native.openPty();
    this.size = size && size.rows > 0 && size.columns > 0 ? { ...size } : undefined;
    if (size) native.setWinsize(this.master, size.rows, size.columns);
  }

  /** Called with the runtime's PID once it is spawned. */
  attachRuntime(pid: number): void {
    this.runtimePid = pid;
  }

  /** A new size: the slave's changes, and the runtime (which has no controlling terminal to be told by) gets SIGWINCH. */
  resize(rows: number, columns: number): void {
    native.setWinsize(this.master, rows, columns);
    if (this.runtimePid) {
      try { process.kill(this.runtimePid, 'SIGWINCH'); } catch { /* the runtime has exited */ }
    }
  }

  /** Once the runtime has exited: reads of the master then reach their end (EIO) after what is left. */
  releaseSlave(): void {
    closeSync(this.slave);
  }
}
