/** A reference as the registry protocol sees it: the host to talk to and the repository's path there. */
import { InvalidArgumentError } from '../engine/errors.js';
import { familiarRepository, InvalidReferenceError, parseReference, type Reference } from '../images/reference.js';

export interface Target extends Reference {
  /** "docker.io", "localhost:5000". */
  host: string;
  /** The repository's path in the registry: "library/busybox". */
  path: string;
  /** As Docker shows the repository: "busybox", "localhost:5000/app". */
  familiar: string;
}

export function target(ref: string): Target {
  let r: Reference;
  try {
    r = parseReference(ref);
  } catch (e) {
    if (e instanceof InvalidReferenceError) throw new InvalidArgumentError(e.message);
    throw e;
  }
  const slash = r.repository.indexOf('/');
  return { ...r, host: r.repository.slice(0, slash), path: r.repository.slice(slash + 1), familiar: familiarRepository(r.repository) };
}

/** The registry's scope for a repository (`repository:library/busybox:pull,push`). */
export const scope = (path: string, actions: string): string => `repository:${path}:${actions}`;
