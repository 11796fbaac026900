/** Errors a user is meant to read; the CLI prints `Error: <message>` and exits 1 (Docker's convention). */
export class StrataError extends Error {
  constructor(message: string, readonly status: number = 1) {
    super(message);
  }
}

export class NotFoundError extends StrataError {}
export class ConflictError extends StrataError {}
export class InvalidArgumentError extends StrataError {}
