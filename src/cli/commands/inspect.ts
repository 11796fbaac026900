/** `inspect`, `image inspect`, `container inspect`: Docker-shaped JSON, or one --format line per object. */
import type { Command } from 'commander';
import { InvalidArgumentError, NotFoundError } from '../../engine/errors.js';
import type { Engine } from '../../engine/index.js';
import type { WithEngine } from '../context.js';
import { failures } from '../each.js';
import { printInspect } from '../output.js';

type Kind = 'image' | 'container';

async function inspectOne(e: Engine, ref: string, kind: Kind | undefined, size: boolean): Promise<unknown> {
  if (kind !== 'image') {
    try {
      return await e.containers.inspect(ref, { size });
    } catch (err) {
      if (!(err instanceof NotFoundError) || kind === 'container') throw err;
    }
  }
  try {
    return e.images.inspect(ref);
  } catch (err) {
    // As Docker: a name that is no image's, even one that cannot be an image's name, is no object's.
    if ((err instanceof NotFoundError || err instanceof InvalidArgumentError) && kind === undefined) throw new NotFoundError(`No such object: ${ref}`);
    throw err;
  }
}

export function registerInspectCommands(program: Command, image: Command, container: Command, withEngine: WithEngine): void {
  const inspect = (cmd: Command, fixed?: Kind): Command => {
    cmd.description(fixed ? `Display detailed information on one or more ${fixed}s` : 'Return low-level information on Docker objects')
      .argument('<names...>')
      .option('-f, --format <string>', 'Format output using a custom template');
    if (!fixed) cmd.option('--type <string>', 'Return JSON for specified type (image|container)');
    if (fixed !== 'image') cmd.option('-s, --size', 'Display total file sizes');
    return cmd.action(async (names: string[], o: { format?: string; type?: string; size?: boolean }) => withEngine(async (e) => {
      const kind = fixed ?? (o.type as Kind | undefined);
      if (kind !== undefined && kind !== 'image' && kind !== 'container') throw new InvalidArgumentError(`"${kind}" is not a valid value for --type`);
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
