/**
 * Docker's way with a verb given several names (rm, rmi): each is tried in turn, and the command fails
 * (status 1) after the last one if any failed, with one `Error:` line per failure. With -f, a name
 * that names nothing is no failure: its message goes to stderr at once and the status stays 0.
 */
import { NotFoundError, StrataError } from '../engine/errors.js';
import { stderr } from './stdio.js';

export async function forEachName(names: string[], force: boolean | undefined, fn: (name: string) => Promise<void>): Promise<void> {
  const errors: string[] = [];
  for (const name of names) {
    try {
      await fn(name);
    } catch (err) {
      if (force && err instanceof NotFoundError) stderr(`Error: ${err.message}\n`);
      else errors.push((err as Error).message);
    }
  }
  if (errors.length) throw failures(errors);
}

/** One error for several failures, printed as Docker prints them: one `Error:` line each (main prints the first one's). */
export const failures = (messages: string[]): StrataError => new StrataError(messages.join('\nError: '));
