/** `save -o` and `export -o`: an output path the engine refused, told as the docker CLI tells it. */
import { OutputPathError } from '../engine/errors.js';

/** `work`, its refused output path prefixed with what failed (`failed to save image: invalid output path: …`). */
export async function writingOutput<T>(failed: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    throw e instanceof OutputPathError ? new OutputPathError(`${failed}: ${e.message}`) : e;
  }
}
