/**
 * Usage lines and usage errors in the words of Docker 20.10's CLI and with its statuses, with strata's name.
 * A wrong argument count (status 1, not the 125 of other usage errors):
 *
 *   "strata rm" requires at least 1 argument.
 *   See 'strata rm --help'.
 *
 *   Usage:  strata rm [OPTIONS] CONTAINER [CONTAINER...]
 *
 *   Remove one or more containers
 *
 * A flag the verb does not have, or one without its value (status 125), as cobra and pflag word them:
 *
 *   unknown shorthand flag: 'z' in -az
 *   See 'strata ps --help'.
 */
import type { Command, Option } from 'commander';
import { StrataError } from '../engine/errors.js';
import { dockerHelp } from './help.js';

/** How many arguments a verb takes, as Docker's CLI checks it. */
type Arity = readonly [min: number, max: number];

const ANY = Infinity;

/** Docker's usage line (after the command's path) and argument count, per command path. */
const DOCKER: Readonly<Record<string, readonly [usage: string, arity: Arity]>> = {
  import: ['[OPTIONS] file|- [REPOSITORY[:TAG]]', [1, ANY]],
  images: ['[OPTIONS] [REPOSITORY[:TAG]]', [0, 1]],
  'image ls': ['[OPTIONS] [REPOSITORY[:TAG]]', [0, 1]],
  tag: ['SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]', [2, 2]],
  rmi: ['[OPTIONS] IMAGE [IMAGE...]', [1, ANY]],
  'image rm': ['[OPTIONS] IMAGE [IMAGE...]', [1, ANY]],
  history: ['[OPTIONS] IMAGE', [1, 1]],
  'image prune': ['[OPTIONS]', [0, 0]],
  create: ['[OPTIONS] IMAGE [COMMAND] [ARG...]', [1, ANY]],
  ps: ['[OPTIONS]', [0, 0]],
  'container ls': ['[OPTIONS]', [0, 0]],
  mount: ['CONTAINER', [1, 1]],
  unmount: ['CONTAINER [CONTAINER...]', [1, ANY]],
  diff: ['CONTAINER', [1, 1]],
  commit: ['[OPTIONS] CONTAINER [REPOSITORY[:TAG]]', [1, 2]],
  rm: ['[OPTIONS] CONTAINER [CONTAINER...]', [1, ANY]],
  export: ['[OPTIONS] CONTAINER', [1, 1]],
  'container prune': ['[OPTIONS]', [0, 0]],
  inspect: ['[OPTIONS] NAME|ID [NAME|ID...]', [1, ANY]],
  'image inspect': ['[OPTIONS] IMAGE [IMAGE...]', [1, ANY]],
  'container inspect': ['[OPTIONS] CONTAINER [CONTAINER...]', [1, ANY]],
  save: ['[OPTIONS] IMAGE [IMAGE...]', [1, ANY]],
  load: ['[OPTIONS]', [0, 0]],
  'system df': ['[OPTIONS]', [0, 0]],
  'system check': ['[OPTIONS]', [0, 0]],
  run: ['[OPTIONS] IMAGE [COMMAND] [ARG...]', [1, ANY]],
  start: ['[OPTIONS] CONTAINER [CONTAINER...]', [1, ANY]],
  stop: ['[OPTIONS] CONTAINER [CONTAINER...]', [1, ANY]],
  restart: ['[OPTIONS] CONTAINER [CONTAINER...]', [1, ANY]],
  kill: ['[OPTIONS] CONTAINER [CONTAINER...]', [1, ANY]],
  wait: ['CONTAINER [CONTAINER...]', [1, ANY]],
  pause: ['CONTAINER [CONTAINER...]', [1, ANY]],
  unpause: ['CONTAINER [CONTAINER...]', [1, ANY]],
  rename: ['CONTAINER NEW_NAME', [2, 2]],
  logs: ['[OPTIONS] CONTAINER', [1, 1]],
  exec: ['[OPTIONS] CONTAINER COMMAND [ARG...]', [2, ANY]],
  attach: ['[OPTIONS] CONTAINER', [1, 1]],
  top: ['CONTAINER [ps OPTIONS]', [1, ANY]],
  port: ['CONTAINER [PRIVATE_PORT[/PROTO]]', [1, 2]],
  stats: ['[OPTIONS] [CONTAINER...]', [0, ANY]],
  // Docker's two usage lines, the second naming the program itself.
  cp: ['[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tstrata cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH', [2, 2]],
  'volume create': ['[OPTIONS] [VOLUME]', [0, 1]],
  'volume ls': ['[OPTIONS]', [0, 0]],
  'volume inspect': ['[OPTIONS] VOLUME [VOLUME...]', [1, ANY]],
  'volume rm': ['[OPTIONS] VOLUME [VOLUME...]', [1, ANY]],
  'volume prune': ['[OPTIONS]', [0, 0]],
  build: ['[OPTIONS] PATH | URL | -', [1, 1]],
  pull: ['[OPTIONS] NAME[:TAG|@DIGEST]', [1, 1]],
  push: ['[OPTIONS] NAME[:TAG]', [1, 1]],
  login: ['[OPTIONS] [SERVER]', [0, 1]],
  logout: ['[SERVER]', [0, 1]],
};

/** The same verbs under `image` and `container` (Docker's usage names the verb as spelt there). */
const SAME_AS: Readonly<Record<string, string>> = {
  'image import': 'import', 'image tag': 'tag', 'image history': 'history', 'image save': 'save', 'image load': 'load',
  'container create': 'create', 'container mount': 'mount', 'container unmount': 'unmount', 'container diff': 'diff',
  'container commit': 'commit', 'container rm': 'rm', 'container export': 'export',
  'container run': 'run', 'container start': 'start', 'container stop': 'stop', 'container restart': 'restart',
  'container kill': 'kill', 'container wait': 'wait', 'container pause': 'pause', 'container unpause': 'unpause',
  'container rename': 'rename', 'container logs': 'logs', 'container exec': 'exec', 'container attach': 'attach',
  'container top': 'top', 'container stats': 'stats', 'container cp': 'cp', 'container port': 'port',
  'image build': 'build', 'image pull': 'pull', 'image push': 'push',
};

/** The CLI's own usage errors: printed as they are (no `Error:`), with their status, as Docker's CLI. */
export class UsageError extends StrataError {}

/** "image rm" for `strata image rm`. */
const pathOf = (cmd: Command): string => {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
};

const docker = (cmd: Command) => {
  const path = pathOf(cmd);
  return DOCKER[path] ?? DOCKER[SAME_AS[path] ?? ''];
};

/** What commander's declared arguments allow. */
function declared(cmd: Command): Arity {
  const args = cmd.registeredArguments;
  return [args.filter((a) => a.required).length, args.at(-1)?.variadic ? ANY : args.length];
}

const plural = (n: number): string => (n === 1 ? 'argument' : 'arguments');

function rootOf(cmd: Command): Command {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  return root;
}

/** "strata image rm": how Docker's CLI names a command in its messages. */
const fullPath = (cmd: Command): string => [rootOf(cmd).name(), pathOf(cmd)].filter(Boolean).join(' ');

/** The line Docker's CLI ends a usage error with. */
export const seeHelp = (cmd: Command): string => `See '${fullPath(cmd)} --help'.`;

/**
 * How Docker's CLI says that `run` failed (its reportError, status as given): the program's name before the
 * message, which ends in one full stop, and, for a container it could not make, the line pointing at the help.
 */
export function runFailure(cmd: Command, message: string, status: number, withHelp: boolean): UsageError {
  const said = `${rootOf(cmd).name()}: ${message.replace(/\.$/, '')}.`;
  return new UsageError(withHelp ? `${said}\n${seeHelp(cmd)}` : said, status);
}

function countError(cmd: Command, [min, max]: Arity): UsageError {
  const full = fullPath(cmd);
  const what =
    max === 0 ? 'accepts no arguments'
    : min === max ? `requires exactly ${min} ${plural(min)}`
    : max === ANY ? `requires at least ${min} ${plural(min)}`
    : min === 0 ? `requires at most ${max} ${plural(max)}`
    : `requires at least ${min} and at most ${max} ${plural(max)}`;
  return new UsageError(`"${full}" ${what}.\n${seeHelp(cmd)}\n\nUsage:  ${full} ${cmd.usage()}\n\n${cmd.description()}`);
}

/** The command line the program parsed: commander keeps it, though its declarations leave it out. */
const rawArgs = (cmd: Command): string[] => (rootOf(cmd) as unknown as { rawArgs: string[] }).rawArgs;

/**
 * pflag's words for a flag the verb does not have: `--bogus=1` is the flag `--bogus`; a short one is named
 * with what is left of its cluster (commander, as pflag, has read `-a` of `-az` and is left with `-z`).
 */
function unknownFlag(flag: string): string {
  return flag.startsWith('--') ? `unknown flag: ${flag.split('=')[0]}` : `unknown shorthand flag: '${flag[1]}' in ${flag}`;
}

/** pflag's words for a flag given last without its value, named as the user spelt it (the last word). */
function missingValue(cmd: Command, option: Option): string {
  const spelt = rawArgs(cmd).at(-1) ?? '';
  if (option.short && !spelt.startsWith('--')) return `flag needs an argument: '${option.short[1]}' in ${option.short}`;
  return `flag needs an argument: ${option.long ?? option.short}`;
}

/**
 * commander's Command, answering usage errors as Docker does. commander calls these methods when it
 * counts a command's arguments and reads its flags; every command the program makes is of this class.
 */
export function withDockerArity(Base: typeof Command): typeof Command {
  return class DockerArity extends Base {
    override createCommand(name?: string): Command {
      return new DockerArity(name);
    }

    missingArgument(): never {
      throw countError(this, docker(this)?.[1] ?? declared(this));
    }

    _excessArguments(): never {
      // Docker's CLI takes any number more for some verbs (import); strata refuses, saying what it takes.
      const arity = docker(this)?.[1];
      throw countError(this, arity && arity[1] !== ANY ? arity : declared(this));
    }

    /** `--help`, and a group's answer to an unknown verb, in the layout of Docker's CLI (./help.ts). */
    override helpInformation(): string {
      return dockerHelp(this, fullPath(this));
    }

    /**
     * A group given no verb (`strata image`, which commander answers as an error): its help on stderr, status 0,
     * as Docker 20.10's CLI; `--help` (no error) prints it on stdout.
     */
    override help(context?: { error?: boolean } | ((str: string) => string)): never {
      if (typeof context !== 'object' || !context.error) return super.help();
      this.outputHelp({ error: true });
      return (this as unknown as { _exit(code: number, id: string, message: string): never })._exit(0, 'commander.help', '(outputHelp)');
    }

    unknownOption(flag: string): never {
      throw new UsageError(`${unknownFlag(flag)}\n${seeHelp(this)}`, 125);
    }

    optionMissingArgument(option: Option): never {
      throw new UsageError(`${missingValue(this, option)}\n${seeHelp(this)}`, 125);
    }

    /** The program says the verb is not one (no full help, status 1); a group shows its help, as Docker's. */
    unknownCommand(): never {
      if (this.parent) throw new UsageError(this.helpInformation().trimEnd(), 1);
      const root = this.name();
      throw new UsageError(`${root}: '${this.args[0]}' is not a ${root} command.\nSee '${root} --help'`, 1);
    }
  };
}

/** Give every command that Docker has its usage line (help shows it too). */
export function useDockerUsage(cmd: Command): void {
  const found = docker(cmd);
  if (found && cmd.parent) cmd.usage(found[0]);
  for (const sub of cmd.commands) useDockerUsage(sub);
}
