/** run and create of an image that is not here pull it first, as Docker does (`--pull missing|always|never`). */
import { familiarRepository, NotFoundError, parseReference, StrataError, type Engine } from '../engine/index.js';
import { stderr } from './stdio.js';

export async function pullIfMissing(e: Engine, image: string, policy = 'missing'): Promise<void> {
  if (!['always', 'missing', 'never'].includes(policy)) {
    throw new StrataError(`invalid pull option: '${policy}': must be one of "always", "missing" or "never"`, 125);
  }
  if (policy === 'never') return;
  let present = true;
  try {
    e.images.resolve(image);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    present = false;
  }
  if (present && policy === 'missing') return;
  let r;
  try {
    r = parseReference(image);
  } catch {
    return; // not a name (an ID prefix): create says what is missing
  }
  const name = familiarRepository(r.repository) + (r.digest ? `@${r.digest}` : `:${r.tag ?? 'latest'}`);
  if (!present) stderr(`Unable to find image '${name}' locally\n`);
  const { ProgressDisplay } = await import('./progress.js');
  const display = new ProgressDisplay(stderr, !!process.stderr.isTTY);
  await (await e.registry()).pull(image, {}, display.show);
}
