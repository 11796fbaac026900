/** `strata system service [--time SECONDS] [URI]`: the Docker Engine API, as `podman system service` serves it. */
import { FlagValueError } from '../../engine/errors.js';
import type { WithEngine } from '../context.js';

export async function runService(withEngine: WithEngine, uri: string | undefined, time: string): Promise<void> {
  const idleSeconds = Number(time);
  if (!Number.isInteger(idleSeconds) || idleSeconds < 0) throw new FlagValueError(`invalid argument "${time}" for "-t, --time" flag: must be whole seconds (0: never exit)`);
  // Loaded here: the API's modules are this command's alone.
  const { activatedSocket, defaultUri, parseUri } = await import('../../api/listen.js');
  // Started by systemd's socket unit: its socket, already listening (the URI names the same path).
  const address = activatedSocket() ?? parseUri(uri ?? defaultUri());
  const { serve } = await import('../../api/server.js');
  await withEngine((engine) => serve(engine, { address, idleSeconds }));
}
