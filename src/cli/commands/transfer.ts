/** `save` and `load`, with docker's flags and output; the work is the engine's (engine.transfer). */
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../engine/errors.js';
import type { ArchiveFormat } from '../../engine/index.js';
import type { WithEngine } from '../context.js';
import { openInput } from '../input.js';
import { writingOutput } from '../outpath.js';
import { stdout } from '../stdio.js';

export function registerTransferCommands(program: Command, image: Command, withEngine: WithEngine): void {
  const save = (cmd: Command): Command => cmd
    .description('Save one or more images to a tar archive (streamed to STDOUT by default)')
    .argument('<image...>', 'images to save (a repository without a tag saves all its tags)')
    .option('-o, --output <file>', 'Write to a file, instead of STDOUT')
    .option('--format <format>', 'Archive format: docker (docker-archive, as docker save) or oci (OCI image layout)', 'docker')
    .action(async (refs: string[], o: { output?: string; format: string }) => {
      if (o.format !== 'docker' && o.format !== 'oci') throw new InvalidArgumentError(`invalid --format ${JSON.stringify(o.format)}: use docker or oci`);
      if (!o.output && process.stdout.isTTY) throw new InvalidArgumentError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
      const format = o.format as ArchiveFormat;
      await withEngine(async (e) => {
        const transfer = await e.transfer();
        if (o.output) await writingOutput('failed to save image', transfer.saveToFile(refs, format, o.output));
        else await pipeline(transfer.save(refs, format), process.stdout);
      });
    });
  save(program.command('save'));
  save(image.command('save'));

  const load = (cmd: Command): Command => cmd
    .description('Load images from a tar archive or STDIN (docker-archive or OCI image layout, plain or gzip)')
    .option('-i, --input <file>', 'Read from tar archive file, instead of STDIN')
    .option('-q, --quiet', 'Suppress the load output')
    .action(async (o: { input?: string; quiet?: boolean }) => {
      if (!o.input && process.stdin.isTTY) throw new InvalidArgumentError('requested load from stdin, but stdin is empty');
      const input = await openInput(o.input ?? '-');
      await withEngine(async (e) => {
        const result = await (await e.transfer()).load(input);
        // As docker: -q hides progress only; the result lines are always printed.
        const lines: string[] = [];
        for (const r of result.renamed) lines.push(`The image ${r.name} already exists, renaming the old one with ID ${r.previousId} to empty string`);
        for (const img of result.images) {
          if (img.RepoTags.length === 0) lines.push(`Loaded image ID: ${img.Id}`);
          for (const t of img.RepoTags) lines.push(`Loaded image: ${t}`);
        }
        stdout(lines.map((l) => l + '\n').join(''));
      });
    });
  load(program.command('load'));
  load(image.command('load'));
}
