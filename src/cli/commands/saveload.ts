/** `save` and `load`, as docker's (docker-archive by default; `--format oci` for an OCI image layout). */
import { createReadStream, createWriteStream, renameSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../engine/index.js';
import type { ArchiveFormat } from '../../images/layout.js';
import type { WithEngine } from '../context.js';

export function registerSaveLoadCommands(program: Command, image: Command, withEngine: WithEngine): void {
  for (const cmd of [program.command('save'), image.command('save')]) {
    cmd.description('Save one or more images to a tar archive (streamed to STDOUT by default)')
      .argument('<images...>')
      .option('-o, --output <file>', 'Write to a file, instead of STDOUT')
      .option('--format <format>', 'Archive format: docker (docker-archive) or oci (OCI image layout)', 'docker')
      .action(async (refs: string[], o: { output?: string; format: string }) => withEngine(async (e) => {
        if (o.format !== 'docker' && o.format !== 'oci') throw new InvalidArgumentError(`unknown format ${JSON.stringify(o.format)}: use docker or oci`);
        if (!o.output && process.stdout.isTTY) throw new InvalidArgumentError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
        const archive = e.archives.save(refs, o.format as ArchiveFormat);
        // Written beside the target and renamed, so a failed save never leaves half an archive under its name.
        if (o.output) {
          const partial = `${o.output}.partial`;
          await pipeline(archive, createWriteStream(partial));
          renameSync(partial, o.output);
        } else await pipeline(archive, process.stdout);
      }));
  }

  for (const cmd of [program.command('load'), image.command('load')]) {
    cmd.description('Load images from a tar archive or STDIN (docker-archive or OCI layout, plain or gzip)')
      .option('-i, --input <file>', 'Read from tar archive file, instead of STDIN')
      .option('-q, --quiet', 'Suppress the load output')
      .action(async (o: { input?: string; quiet?: boolean }) => withEngine(async (e) => {
        if (!o.input && process.stdin.isTTY) throw new InvalidArgumentError('requested load from stdin, but stdin is empty');
        const loaded = await e.archives.load(o.input ? createReadStream(o.input) : process.stdin);
        if (o.quiet) return;
        for (const img of loaded) {
          if (img.tags.length === 0) process.stdout.write(`Loaded image ID: ${img.id}\n`);
          for (const t of img.tags) process.stdout.write(`Loaded image: ${t}\n`);
        }
      }));
  }
}
