/** `inspect`, `image inspect`, `container inspect`: Docker-shaped JSON, or one --format line per object. */
import type { Command } from 'commander';
import { InvalidArgumentError, NotFoundError } from '../../engine/errors.js';
import type { Engine } from '../../engine/index.js';
import type { WithEngine } from '../context.js';
import { failures } from '../each.js';
import { printInspect } from '../output.js';
import { stderr } from '../stdio.js';

type Kind = 'image' | 'container' | 'volume';

/** Each kind's inspect, in the order Docker's CLI tries them for a name given without --type. */
const INSPECT: Readonly<Record<Kind, (e: Engine, ref: string, size: boolean) => unknown>> = {
  container: (e, ref, size) => e.containers.inspect(ref, { size }),
  image: (e, ref) => e.images.inspect(ref),
  volume: (e, ref) => e.volumes.inspect(ref),
};

async function inspectOne(e: Engine, ref: string, kind: Kind | undefined, size: boolean): Promise<unknown> {
  for (const k of kind ? [kind] : (Object.keys(INSPECT) as Kind[])) {
    try {
      const found = await INSPECT[k](e, ref, size);
      if (size && k === 'volume') stderr('WARNING: --size ignored for volume\n');
      return found;
    } catch (err) {
      // As Docker: a name that is no image's, even one that cannot be an image's name, is no object's.
      const notThere = err instanceof NotFoundError || (!kind && k === 'image' && err instanceof InvalidArgumentError);
      if (!notThere) throw err;
    }
  }
  // The docker CLI's words for what its daemon did not find: the name as given.
  throw new NotFoundError(kind ? `No such ${kind}: ${ref}` : `No such object: ${ref}`);
}

export function registerInspectCommands(program: Command, image: Command, container: Command, withEngine: WithEngine): void {
  const inspect = (cmd: Command, fixed?: Kind): Command => {
    cmd.description(fixed ? `Display detailed information on one or more ${fixed}s` : 'Return low-level information on Docker objects')
      .argument('<names...>')
      .option('-f, --format <string>', 'Format output using a custom template');
    if (!fixed) cmd.option('--type <string>', 'Return JSON for specified type (container|image|volume)');
    if (fixed !== 'image') cmd.option('-s, --size', 'Display total file sizes');
    return cmd.action(async (names: string[], o: { format?: string; type?: string; size?: boolean }) => withEngine(async (e) => {
      const kind = fixed ?? (o.type as Kind | undefined);
      if (kind !== undefined && !Object.hasOwn(INSPECT, kind)) throw new InvalidArgumentError(`"${kind}" is not a valid value for --type`);
      const found: unknown[] = [];
      const errors: string[] = [];
      for (const n of names) {
        try { found.push(await inspectOne(e, n, kind, !!o.size)); } catch (err) { errors.push((err as Error).message); }
      }
      await printInspect(found, o.format);
      if (errors.length) throw failures(errors);
    }));
  };
  inspect(program.command('inspect'));
  inspect(image.command('inspect'), 'image');
  inspect(container.command('inspect'), 'container');
}
