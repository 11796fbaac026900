/** Volume names, as Docker's local driver allows them, and anonymous volumes' names. */
import { InvalidArgumentError } from '../engine/errors.js';
import { randomId } from '../images/digest.js';

const VALID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** An anonymous volume's name: 64 hex digits, as Docker's. */
export const anonymousName = (): string => randomId();

/** Refuse a name the local driver would, in Docker's words (`create NAME: …`). */
export function checkVolumeName(name: string): void {
  if (VALID.test(name)) return;
  const cause = name.length < 2 && /^[a-zA-Z0-9]*$/.test(name)
    ? 'volume name is too short, names should be at least two alphanumeric characters'
    : `${JSON.stringify(name)} includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`;
  throw new InvalidArgumentError(`create ${name}: ${cause}`);
}
