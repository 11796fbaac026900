/** run and create of an image that is not here pull it first, as Docker does. */
import { familiarRepository, NotFoundError, parseReference, type Engine } from '../engine/index.js';
import { stderr } from './stdio.js';

export async function pullIfMissing(e: Engine, image: string): Promise<void> {
  try {
    e.images.resolve(image);
    return;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  let r;
  try {
    r = parseReference(image);
  } catch {
    return; // not a name (an ID prefix): create says what is missing
  }
  const name = familiarRepository(r.repository) + (r.digest ? `@${r.digest}` : `:${r.tag ?? 'latest'}`);
  stderr(`Unable to find image '${name}' locally\n`);
  const { ProgressDisplay } = await import('./progress.js');
  const display = new ProgressDisplay(stderr, !!process.stderr.isTTY);
  await (await e.registry()).pull(image, {}, display.show);
}
