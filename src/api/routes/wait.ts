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
  const state = async () => containers.processes.state(containers.resolve(id));
  let s = await state();
  const before = s.startedAt;
  // Until it has run: a container created a moment ago is started by the client after this wait is set;
  // for next-exit, an exited one must start again (its start time changes).
  const ran = () => s.status !== 'created' && !(condition === 'next-exit' && s.status === 'exited' && s.startedAt === before);
  while (condition !== 'not-running' && !ran()) {
    if (signal.aborted) throw new Error('client went away');
    await sleep(POLL_MS);
    try {
      s = await state();
    } catch (e) {
      // Started and removed (--rm) between two looks.
      if (e instanceof NotFoundError && condition === 'removed') return lastExitCode(engine, id);
      throw e;
    }
  }
  let code: number;
  try {
    code = s.status === 'exited' ? s.exitCode : s.status === 'created' ? 0 : await containers.processes.wait(id);
  } catch (e) {
    if (e instanceof NotFoundError) return lastExitCode(engine, id);
    throw e;
  }
  if (condition !== 'removed') return code;
  for (;;) {
    try {
      const now = await state();
      if (now.status === 'exited') code = now.exitCode;
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
  const { events } = engine.events.readFrom(0);
  const die = events.filter((e) => e.Type === 'container' && e.Action === 'die' && e.Actor.ID === id).at(-1);
  return Number(die?.Actor.Attributes.exitCode ?? 0);
}
