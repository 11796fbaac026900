/**
 * POST /containers/{id}/wait's conditions, as Docker's daemon keeps them: `not-running` (now, if it is not
 * running), `next-exit` (the next exit, even of a container not yet started: `docker run` waits before it
 * starts), `removed` (gone, as `--rm` leaves it). Resolves with the exit code.
 */
import { NotFoundError, type Engine } from '../../engine/index.js';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

const POLL_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(engine: Engine, id: string, condition: WaitCondition, signal: AbortSignal): Promise<number> {
  const { containers } = engine;
  if (condition === 'not-running') {
    const s = await containers.processes.state(containers.resolve(id));
    if (s.status === 'exited' || s.status === 'created') return s.status === 'exited' ? s.exitCode : 0;
    return containers.processes.wait(id);
  }
  // Until it runs: a container created a moment ago is started by the client after this wait is set. The
  // record is looked at, not the process: asking the process's state while it exits would settle it before
  // conmon has written its exit code. An exited container's next exit is after its next start, which its start
  // record tells (a short process may have run and exited again between two looks: `docker start -a`).
  const initial = containers.resolve(id);
  let record = initial;
  const notYetRun = () => record.state === 'created' || (condition === 'next-exit' && initial.state === 'exited' && record.start === initial.start);
  while (notYetRun()) {
    if (signal.aborted) throw new Error('client went away');
    await sleep(POLL_MS);
    try {
      record = containers.resolve(id);
    } catch (e) {
      // Started and removed (--rm) between two looks.
      if (e instanceof NotFoundError && condition === 'removed') return lastExitCode(engine, id);
      throw e;
    }
  }
  let code: number;
  try {
    code = await containers.processes.wait(id);
  } catch (e) {
    if (e instanceof NotFoundError) return lastExitCode(engine, id);
    throw e;
  }
  if (condition !== 'removed') return code;
  for (;;) {
    try {
      containers.resolve(id);
    } catch (e) {
      if (e instanceof NotFoundError) return code;
      throw e;
    }
    if (signal.aborted) throw new Error('client went away');
    await sleep(POLL_MS);
  }
}

/** The exit code of a container already removed: its `die` event says it. */
function lastExitCode(engine: Engine, id: string): number {
  const { events } = engine.events.readFrom(engine.events.start());
  const die = events.filter((e) => e.Type === 'container' && e.Action === 'die' && e.Actor.ID === id).at(-1);
  return Number(die?.Actor.Attributes.exitCode ?? 0);
}
