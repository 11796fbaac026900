/** A build that cannot go on: the message is what Docker's classic builder says (the CLI prints `Error: …`, exits 1). */
import { StrataError } from '../engine/errors.js';

export class BuildError extends StrataError {}
