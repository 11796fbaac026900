/** The Engine API versions the service speaks: Docker 20.10's (1.41) up to Docker 28.2's (1.50). */
import { ApiError } from './http.js';

export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.41';

const parts = (v: string): [number, number] => {
  const [major = 0, minor = 0] = v.split('.').map(Number);
  return [major, minor];
};

/** Compare two `MAJOR.MINOR` versions: negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const [am, an] = parts(a);
  const [bm, bn] = parts(b);
  return am - bm || an - bn;
}

/** A `/vX.Y` prefix outside the range is refused in Docker's words (400). */
export function checkVersion(v: string): void {
  if (compareVersions(v, MIN_API_VERSION) < 0) {
    throw new ApiError(400, `client version ${v} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  if (compareVersions(v, API_VERSION) > 0) {
    throw new ApiError(400, `client version ${v} is too new. Maximum supported API version is ${API_VERSION}`);
  }
}
