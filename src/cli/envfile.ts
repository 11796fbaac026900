/** --env-file and --label-file, as Docker's CLI reads them (run, create, exec). */
import { readFileSync } from 'node:fs';
import { StrataError } from '../engine/errors.js';

/**
 * A `-e` value as Docker's CLI reads it: a bare name takes the caller's value when the caller has one, and
 * stays bare otherwise (recorded so; the process gets no such variable).
 */
export const envFlag = (v: string): string => (v.includes('=') || process.env[v] === undefined ? v : `${v}=${process.env[v]}`);

/** The lines of key=value files (comments and blank lines skipped), as Docker's CLI reads --env-file and --label-file. */
function fileLines(files: readonly string[]): string[] {
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
      if (line !== '' && !line.startsWith('#')) out.push(line);
    }
  }
  return out;
}

/** --env-file lines: a bare name takes the caller's value, or is dropped, as Docker reads them. */
export function envFileEntries(files: readonly string[]): string[] {
  return fileLines(files).flatMap((line) => (line.includes('=') ? [line] : process.env[line] !== undefined ? [`${line}=${process.env[line]}`] : []));
}

/** --label-file lines: `key=value` only (Docker's CLI skips a bare key there). */
export const labelFileEntries = (files: readonly string[]): string[] => fileLines(files).filter((line) => line.includes('='));
