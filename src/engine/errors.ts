/** Errors a user is meant to read; the CLI prints `Error: <message>` and exits 1 (Docker's convention). */
export class StrataError extends Error {
  constructor(message: string, readonly status: number = 1) {
    super(message);
  }
}

export class NotFoundError extends StrataError {}
export class ConflictError extends StrataError {}
export class InvalidArgumentError extends StrataError {}

/** An output path the docker CLI refuses before any work (its ValidateOutputPath), in its words (./outfile.ts). */
export class OutputPathError extends InvalidArgumentError {}

/**
 * A flag's value the CLI cannot read (`invalid argument "x" for "-t, --time" flag: …`): the CLI's own
 * failure, 125, which Docker's CLI prints bare with its `See '… --help'.` line.
 */
export class FlagValueError extends InvalidArgumentError {
  constructor(message: string) {
    super(message, 125);
  }
}
