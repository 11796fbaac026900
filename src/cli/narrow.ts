/**
 * Registering only the command a command line runs. commander's cost is per command registered (every
 * option parsed, indexed and given listeners), and a command module registers a dozen commands (each
 * twice: `ps` and `container ls`, …) to run one, a few milliseconds of a short command's start.
 *
 * `narrow(parent, verb)` makes `parent.command(name)` give the real command only when `name` is `verb`.
 * Any other command is a stand-in that records the calls a module chains on it (`.option()`,
 * `.alias()`, `.action()`, …) and returns itself; if one of those calls is `.alias(verb)`, the command
 * is the one asked for after all, and the real one is made and given every call recorded. A stand-in
 * that is asked for anything else (a call outside the chain below, which may read the command) is made
 * real on the spot, so a module may use its commands any way commander allows: narrowing only ever
 * leaves out commands that nothing looks at.
 */
import type { Command } from 'commander';

type Call = { method: string; args: unknown[]; child?: StandIn };
type Methods = Record<string, (...args: unknown[]) => unknown>;

/** commander's methods that configure a command and return it: what a stand-in records. */
const CHAINED = new Set([
  'option', 'requiredOption', 'addOption', 'argument', 'arguments', 'addArgument', 'alias', 'aliases', 'description',
  'summary', 'usage', 'action', 'passThroughOptions', 'enablePositionalOptions', 'allowUnknownOption',
  'allowExcessArguments', 'helpOption', 'addHelpText', 'showHelpAfterError', 'exitOverride', 'hook', 'command',
]);

interface StandIn {
  proxy: Command;
  /** The real command, made by `make` (once) and given every call recorded so far. */
  realize(make: () => Command): Command;
}

function standIn(make: () => Command, verb: string | null): StandIn {
  const calls: Call[] = [];
  let real: Command | undefined;
  const self: StandIn = {
    proxy: new Proxy({} as Command, {
      get(_, key) {
        if (!real && typeof key === 'string' && CHAINED.has(key)) return (...args: unknown[]) => record(key, args);
        const target = self.realize(make);
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
      set: (_, key, value) => Reflect.set(self.realize(make), key, value),
    }),
    realize(makeReal) {
      if (real) return real;
      const made = makeReal();
      if (real) return real; // made while its parent was (a subcommand)
      real = made;
      for (const { method, args, child } of calls) {
        const call = () => (real as unknown as Methods)[method]!(...args) as Command;
        if (child) child.realize(call);
        else call();
      }
      return real;
    },
  };
  const record = (method: string, args: unknown[]): unknown => {
    if (real) return (real as unknown as Methods)[method]!(...args);
    if (method === 'command') {
      // A subcommand of a command not asked for: made when its parent is, by the replay above.
      const child = standIn(() => { self.realize(make); return child.proxy; }, null);
      calls.push({ method, args, child });
      return child.proxy;
    }
    calls.push({ method, args });
    if (method === 'alias' && verb !== null && args[0] === verb) self.realize(make);
    return self.proxy;
  };
  return self;
}

/** From now on, `parent.command(name)` registers for real only `verb` (or a command that takes it as an alias). */
export function narrow(parent: Command, verb: string | null): void {
  const command = parent.command.bind(parent) as (...args: unknown[]) => Command;
  parent.command = ((...args: unknown[]) => {
    // `command(name, description)` declares an executable subcommand and returns the parent: left alone.
    if (String(args[0]).split(' ')[0] === verb || typeof args[1] === 'string') return command(...args);
    return standIn(() => command(...args), verb).proxy;
  }) as Command['command'];
}
