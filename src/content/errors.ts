/** Bytes that are not what their digest or size says. */
export class DigestMismatchError extends Error {}
