/**
 * Usage lines and wrong-argument-count errors in the words of Docker 20.10's CLI and with its status (1,
 * not the 125 of other usage errors), with strata's name:
 *
 *   "strata rm" requires at least 1 argument.
 *   See 'strata rm --help'.
 *
 *   Usage:  strata rm [OPTIONS] CONTAINER [CONTAINER...]
 *
 *   Remove one or more containers
 */
import type { Command } from 'commander';
import { StrataError } from '../engine/errors.js';

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
};

/** The same verbs under `image` and `container` (Docker's usage names the verb as spelt there). */
const SAME_AS: Readonly<Record<string, string>> = {
  'image import': 'import', 'image tag': 'tag', 'image history': 'history', 'image save': 'save', 'image load': 'load',
  'container create': 'create', 'container mount': 'mount', 'container unmount': 'unmount', 'container diff': 'diff',
  'container commit': 'commit', 'container rm': 'rm', 'container export': 'export',
};

/** A wrong number of arguments: printed as it is (no `Error:`), status 1, as Docker's CLI. */
export class ArgumentCountError extends StrataError {}

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

function countError(cmd: Command, [min, max]: Arity): ArgumentCountError {
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const full = `${root.name()} ${pathOf(cmd)}`;
  const what =
    max === 0 ? 'accepts no arguments'
    : min === max ? `requires exactly ${min} ${plural(min)}`
    : max === ANY ? `requires at least ${min} ${plural(min)}`
    : min === 0 ? `requires at most ${max} ${plural(max)}`
    : `requires at least ${min} and at most ${max} ${plural(max)}`;
  return new ArgumentCountError(`"${full}" ${what}.\nSee '${full} --help'.\n\nUsage:  ${full} ${cmd.usage()}\n\n${cmd.description()}`);
}

/**
 * commander's Command, answering a wrong argument count as Docker does. commander calls these two
 * methods when it counts a command's arguments; every command the program makes is of this class.
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
  };
}

/** Give every command that Docker has its usage line (help shows it too). */
export function useDockerUsage(cmd: Command): void {
  const found = docker(cmd);
  if (found && cmd.parent) cmd.usage(found[0]);
  for (const sub of cmd.commands) useDockerUsage(sub);
}
