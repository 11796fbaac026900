/**
 * The strata CLI: argument parsing and output only; all work is done by the engine.
 *
 * Every command pays the runtime's start, so a command loads only the module that defines its verb
 * (./commands/*), found from the command line before commander parses it, and of that module's commands
 * registers only the verb's (./narrow.ts). Anything this cannot place (no verb, an unknown one, `help`,
 * a bad global option) loads and registers everything, and commander answers exactly as with all of
 * them loaded, help and suggestions included.
 *
 * A new command: register it in a module of ./commands (a new module is one more entry in MODULES), and
 * name its verb and aliases in VERBS, under the group (top level, `image`, `container`) it is in.
 */
import type { Command } from 'commander';
import { engineOpener, type WithEngine } from './context.js';
import { READER_GONE, stderr, stdout } from './stdio.js';
import { FlagValueError, StrataError } from '../engine/errors.js';
import { STRATA_VERSION } from '../engine/version.js';
import { seeHelp, UsageError, useDockerUsage, withDockerArity } from './usage.js';
import { DRIVER_NAMES } from '../engine/drivers.js';
import { narrow } from './narrow.js';

/** One module of commands: what it registers on the program and on the `image` and `container` groups. */
type Register = (program: Command, groups: { image: Command; container: Command }, withEngine: WithEngine) => void;
export type ModuleName = 'images' | 'containers' | 'run' | 'port' | 'inspect' | 'transfer' | 'system' | 'volumes' | 'build' | 'registry';

/** The command modules, in the order their commands were always registered (and `--help` lists them). */
const MODULES: Record<ModuleName, () => Promise<Register>> = {
  images: async () => {
    const { registerImageCommands } = await import('./commands/images.js');
    return (p, g, w) => registerImageCommands(p, g.image, w);
  },
  containers: async () => {
    const { registerContainerCommands } = await import('./commands/containers.js');
    return (p, g, w) => registerContainerCommands(p, g.container, w);
  },
  run: async () => {
    const { registerRunCommands } = await import('./commands/run.js');
    return (p, g, w) => registerRunCommands(p, g.container, w);
  },
  port: async () => {
    const { registerPortCommand } = await import('./commands/port.js');
    return (p, g, w) => registerPortCommand(p, g.container, w);
  },
  inspect: async () => {
    const { registerInspectCommands } = await import('./commands/inspect.js');
    return (p, g, w) => registerInspectCommands(p, g.image, g.container, w);
  },
  transfer: async () => {
    const { registerTransferCommands } = await import('./commands/transfer.js');
    return (p, g, w) => registerTransferCommands(p, g.image, w);
  },
  system: async () => {
    const { registerSystemCommands } = await import('./commands/system.js');
    return (p, _, w) => registerSystemCommands(p, w);
  },
  volumes: async () => {
    const { registerVolumeCommands } = await import('./commands/volumes.js');
    return (p, _, w) => registerVolumeCommands(p, w);
  },
  build: async () => {
    const { registerBuildCommands } = await import('./commands/build.js');
    return (p, g, w) => registerBuildCommands(p, g.image, w);
  },
  registry: async () => {
    const { registerRegistryCommands } = await import('./commands/registry.js');
    return (p, g, w) => registerRegistryCommands(p, g.image, w);
  },
};

/** The verbs that run containers (./commands/run.ts), the same at the top level and under `container`. */
const RUN_VERBS: Readonly<Record<string, ModuleName>> = Object.fromEntries(
  ['run', 'start', 'stop', 'restart', 'kill', 'wait', 'pause', 'unpause', 'rename', 'logs', 'exec', 'attach', 'top', 'stats', 'cp'].map((v) => [v, 'run' as const]));

/** Which module defines each verb and alias, at the top level and under `image` and `container`. */
export const VERBS: Readonly<Record<'top' | 'image' | 'container', Readonly<Record<string, ModuleName>>>> = {
  top: {
    import: 'images', images: 'images', tag: 'images', rmi: 'images', history: 'images',
    create: 'containers', ps: 'containers', mount: 'containers', unmount: 'containers', umount: 'containers',
    diff: 'containers', commit: 'containers', rm: 'containers', remove: 'containers', export: 'containers',
    inspect: 'inspect', save: 'transfer', load: 'transfer', system: 'system', volume: 'volumes', build: 'build', builder: 'build',
    pull: 'registry', push: 'registry', login: 'registry', logout: 'registry', port: 'port',
    ...RUN_VERBS,
  },
  image: {
    import: 'images', ls: 'images', list: 'images', tag: 'images', rm: 'images', remove: 'images', history: 'images',
    prune: 'images', inspect: 'inspect', save: 'transfer', load: 'transfer', build: 'build', pull: 'registry', push: 'registry',
  },
  container: {
    create: 'containers', ls: 'containers', list: 'containers', ps: 'containers', mount: 'containers',
    unmount: 'containers', umount: 'containers', diff: 'containers', commit: 'containers', rm: 'containers',
    remove: 'containers', export: 'containers', prune: 'containers', inspect: 'inspect', port: 'port',
    ...RUN_VERBS, cleanup: 'run',
  },
};

/**
 * The verbs that only read the store: they register no pending work, name no scratch path and make no
 * directory or runtime state (`ps` and `inspect` settle a container found exited: a row updated, its
 * rootfs unmounted, nothing made). They open the store with the operation lock taken on first work
 * (engine/store.ts's StoreOptions.lock), that is never: the lock file every other command makes, flocks
 * and unlinks marks a live command for the sweep and `system check --repair`, and these leave nothing
 * for either to judge. The sweep still runs when they open the store.
 */
const READERS: Readonly<Record<keyof typeof VERBS, readonly string[]>> = {
  top: ['images', 'ps', 'inspect', 'history', 'port'],
  image: ['ls', 'list', 'inspect', 'history'],
  container: ['ls', 'list', 'ps', 'inspect', 'port'],
};

const GLOBAL_WITH_VALUE = ['--root', '--storage-driver'];

/** The command a command line runs: its group, its verb (or alias) there, and the module that defines it. */
export interface Verb { group: keyof typeof VERBS; verb: string; module: ModuleName }

/**
 * The verb of argv, found past the global options; undefined when it cannot be told; or `version` for
 * the version flag among the global options, which commander answers as soon as it reads it, whatever
 * follows (so strata prints it without loading commander at all).
 */
function verbOf(argv: readonly string[]): Verb | 'version' | undefined {
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (GLOBAL_WITH_VALUE.includes(a) && i + 1 < argv.length) i++;
    else if (GLOBAL_WITH_VALUE.some((o) => a.startsWith(o + '='))) continue;
    else if (a === '-v' || a === '--version') return 'version';
    else break;
  }
  const [group, verb] = argv[i] === 'image' || argv[i] === 'container' ? [argv[i] as 'image' | 'container', argv[i + 1] ?? ''] : ['top' as const, argv[i] ?? ''];
  // A table's own entry only: a verb spelt `constructor` is not a command.
  return Object.hasOwn(VERBS[group], verb) ? { group, verb, module: VERBS[group][verb]! } : undefined;
}

/** What argv needs loaded: the command module of its verb; every one when that cannot be told; or nothing but the version. */
export function modulesFor(argv: readonly string[]): ModuleName[] | 'version' {
  const found = verbOf(argv);
  return found === 'version' ? found : found ? [found.module] : (Object.keys(MODULES) as ModuleName[]);
}

/** The program with the commands of `modules`; given `only`, the one command it names among them (./narrow.ts). */
export async function buildProgram(modules: readonly ModuleName[] = Object.keys(MODULES) as ModuleName[], only?: Verb): Promise<Command> {
  const { Command } = await import('commander');
  const program = new (withDockerArity(Command))('strata')
    .description('A container image and storage engine')
    .option('--root <dir>', 'Root of the store (default: $STRATA_ROOT, else /var/lib/strata as root)')
    .option('--storage-driver <name>', `Storage driver: ${DRIVER_NAMES.join(' or ')} (default: $STRATA_STORAGE_DRIVER, else probed once per store)`)
    .version(STRATA_VERSION, '-v, --version', 'Print version information and quit')
    // Commander's own messages (version, help, usage errors) go the same way as the rest.
    .configureOutput({ writeOut: stdout, writeErr: stderr })
    // As docker: global options before the verb, and `create IMAGE CMD…` passes CMD's flags through.
    .enablePositionalOptions()
    .exitOverride();
  const withEngine = engineOpener(program, only && READERS[only.group].includes(only.verb) ? 'on-work' : 'open');
  // Narrowed, a group the verb is not in is a stand-in too, and so is everything registered under it.
  if (only) narrow(program, only.group === 'top' ? only.verb : only.group);
  const image = program.command('image').description('Manage images');
  const container = program.command('container').description('Manage containers').enablePositionalOptions();
  if (only && only.group !== 'top') narrow(only.group === 'image' ? image : container, only.verb);
  const registers = await Promise.all((Object.keys(MODULES) as ModuleName[]).filter((m) => modules.includes(m)).map((m) => MODULES[m]()));
  for (const register of registers) register(program, { image, container }, withEngine);
  for (const sub of [image, container]) sub.exitOverride();
  useDockerUsage(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const found = verbOf(argv);
  if (found === 'version') {
    stdout(`${STRATA_VERSION}\n`);
    return;
  }
  const program = await (found ? buildProgram([found.module], found) : buildProgram());
  const { CommanderError } = await import('commander');
  // The command that ran, for the `See 'strata ps --help'.` line of a flag's bad value.
  let acting: Command | undefined;
  program.hook('preAction', (_, command) => { acting = command; });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not failures; bad usage is the CLI's own failure (125, as docker).
      process.exitCode = e.exitCode === 0 ? 0 : 125;
      return;
    }
    // An archive streamed to stdout (save, export) whose reader went away: as ./stdio.ts does for text.
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') {
      process.exitCode = READER_GONE;
      return;
    }
    const status = e instanceof StrataError ? e.status : 1;
    if (e instanceof FlagValueError && acting) {
      stderr(`${e.message}\n${seeHelp(acting)}\n`);
      process.exitCode = status;
      return;
    }
    // A usage error is told in Docker's words, which carry their own `strata:` (./usage.ts).
    stderr(e instanceof UsageError ? `${e.message}\n` : `Error: ${(e as Error).message}\n`);
    if (process.env.STRATA_DEBUG && !(e instanceof StrataError)) stderr(`${(e as Error).stack}\n`);
    process.exitCode = status;
  }
}
