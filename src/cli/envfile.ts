/** --env-file, as Docker's CLI reads it (run, create, exec). */
import { readFileSync } from 'node:fs';
import { StrataError } from '../engine/errors.js';

/**
 * A `-e` value as Docker's CLI reads it: a bare name takes the caller's value when the caller has one, and
 * stays bare otherwise (recorded so; the process gets no such variable).
 */
export const envFlag = (v: string): string => (v.includes('=') || process.env[v] === undefined ? v : `${v}=${process.env[v]}`);

/** --env-file lines (comments and blank lines skipped; a bare name takes the caller's value, or is dropped), as Docker reads them. */
export function envFileEntries(files: readonly string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new StrataError(`open ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, 125);
    }
    for (const raw of text.split('\n')) {
      const line = raw.replace(/^\s+/, '');
      if (line === '' || line.startsWith('#')) continue;
      if (line.includes('=')) out.push(line);
      else if (process.env[line] !== undefined) out.push(`${line}=${process.env[line]}`);
    }
  }
  return out;
}

