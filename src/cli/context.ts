/** What every command needs: a way to open the engine with the global options, once per process. */
import type { Command } from 'commander';
import type { Engine, StoreOptions } from '../engine/index.js';

export type WithEngine = <T>(fn: (engine: Engine) => Promise<T> | T) => Promise<T>;

/** How to run this CLI again: the compiled executable alone, or Bun with the script it runs. */
function selfCommand(): string[] {
  const script = process.argv[1];
  return script && /\.[cm]?[jt]s$/.test(script) && !script.startsWith('/$bunfs/') ? [process.execPath, script] : [process.execPath];
}

/** `lock`: when the store's operation lock is taken (StoreOptions.lock; ./main.ts's READERS say which verbs wait). */
export function engineOpener(program: Command, lock: StoreOptions['lock'] = 'open'): WithEngine {
  return async (fn) => {
    const opts = program.opts<{ root?: string; storageDriver?: string }>();
    // Loaded here, not imported: `strata --version` and `--help` never open a store.
    const { Engine } = await import('../engine/index.js');
    const engine = await Engine.open({ root: opts.root, driver: opts.storageDriver, lock, self: selfCommand() });
    try {
      return await fn(engine);
    } finally {
      engine.close();
    }
  };
}
