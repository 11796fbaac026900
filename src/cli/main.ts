/** The strata CLI: argument parsing and output only; all work is done by the engine. */
import { Command, CommanderError } from 'commander';
import { StrataError } from '../engine/index.js';
import { registerContainerCommands } from './commands/containers.js';
import { registerImageCommands } from './commands/images.js';
import { registerInspectCommands } from './commands/inspect.js';
import { registerTransferCommands } from './commands/transfer.js';
import { registerSystemCommands } from './commands/system.js';
import { engineOpener } from './context.js';

export function buildProgram(): Command {
  const program = new Command('strata')
    .description('A container image and storage engine')
    .option('--root <dir>', 'Root of the store (default: $STRATA_ROOT, else /var/lib/strata as root)')
    .option('--storage-driver <name>', 'Storage driver: overlay2 or vfs (default: $STRATA_STORAGE_DRIVER, else probed once per store)')
    .version('0.1.0', '-v, --version')
    .showHelpAfterError()
    // As docker: global options before the verb, and `create IMAGE CMD…` passes CMD's flags through.
    .enablePositionalOptions()
    .exitOverride();
  const withEngine = engineOpener(program);
  const image = program.command('image').description('Manage images');
  const container = program.command('container').description('Manage containers').enablePositionalOptions();
  registerImageCommands(program, image, withEngine);
  registerContainerCommands(program, container, withEngine);
  registerInspectCommands(program, image, container, withEngine);
  registerTransferCommands(program, image, withEngine);
  registerSystemCommands(program, withEngine);
  for (const sub of [image, container]) sub.exitOverride();
  return program;
}

/** The status the shell reports for a process killed by SIGPIPE, as docker's CLI is when its reader goes away. */
const SIGPIPE_STATUS = 141;

/**
 * A reader that goes away early (`strata images | head -1`) ends the output, not the command: later
 * writes are dropped, the work finishes, and the status is the one docker's CLI gets from SIGPIPE.
 * Returns whether that happened.
 */
function endQuietlyOnClosedStdout(): () => boolean {
  let closed = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') {
      closed = true;
      if (!process.exitCode) process.exitCode = SIGPIPE_STATUS;
      return;
    }
    process.stderr.write(`Error: write to stdout: ${e.message}\n`);
    process.exitCode = 1;
  });
  return () => closed;
}

export async function main(argv: string[]): Promise<void> {
  const stdoutClosed = endQuietlyOnClosedStdout();
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    // A stream piped to stdout (save, export) fails with the reader gone: that is not the command's failure.
    if ((e as NodeJS.ErrnoException).code === 'EPIPE' && stdoutClosed()) return;
    if (e instanceof CommanderError) {
      // Help and version are not failures; bad usage is the CLI's own failure (125, as docker).
      process.exitCode = e.exitCode === 0 ? 0 : 125;
      return;
    }
    const status = e instanceof StrataError ? e.status : 1;
    process.stderr.write(`Error: ${(e as Error).message}\n`);
    if (process.env.STRATA_DEBUG && !(e instanceof StrataError)) process.stderr.write(`${(e as Error).stack}\n`);
    process.exitCode = status;
  }
}
