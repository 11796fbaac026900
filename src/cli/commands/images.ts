/** Image verbs: import, images, tag, rmi, history, image prune. */
import type { Command } from 'commander';
import type { HistoryItem, ImageSummary } from '../../engine/index.js';
import { InvalidArgumentError } from '../../engine/errors.js';
import { NO_CREATED_TIME } from '../../engine/index.js';
import type { WithEngine } from '../context.js';
import { humanSize, timeAgo, truncateId } from '../format/units.js';
import { confirm } from '../confirm.js';
import { forEachName } from '../each.js';
import { openInput } from '../input.js';
import { collect, printRows } from '../output.js';
import { stdout } from '../stdio.js';

const IMAGE_HEADERS = { Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE', Containers: 'CONTAINERS' };
const HISTORY_HEADERS = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };

/** Docker's warnings before `image prune` asks to continue. */
const PRUNE_DANGLING_WARNING = 'WARNING! This will remove all dangling images.';
const PRUNE_ALL_WARNING = 'WARNING! This will remove all images without at least one container associated to them.';

/** One row per repository:tag of an image (untagged: <none>), as `docker images` lists them. */
interface ImageRow { ID: string; Repository: string; Tag: string; Digest: string; CreatedSince: string; CreatedAt: string; Size: string; Containers: string }

function parseFilters(values: string[]): [string, string][] {
  return values.map((f) => {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`bad format of filter (expected name=value)`);
    return [f.slice(0, eq), f.slice(eq + 1)];
  });
}

/** Docker's reference filter: a shell-style pattern on the familiar name, with or without the tag. */
function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
  return re.test(s);
}

/** CREATED as `docker images --format` and `system df -v` show it: empty for an image whose config gives no time. */
export const createdSince = (img: ImageSummary, now: Date): string =>
  img.Created === NO_CREATED_TIME ? '' : timeAgo(new Date(img.Created * 1000), now);

function imageRows(images: ImageSummary[], opts: { noTrunc?: boolean; digests?: boolean }, reference: string[], now: Date): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    const names = img.RepoTags.length ? img.RepoTags : ['<none>:<none>'];
    for (const name of names) {
      const colon = name.lastIndexOf(':');
      const repo = name.slice(0, colon);
      const tag = name.slice(colon + 1);
      if (reference.length && !reference.some((p) => globMatch(p, repo) || globMatch(p, name))) continue;
      const digest = img.RepoDigests.find((d) => d.startsWith(repo + '@'))?.split('@')[1] ?? '<none>';
      rows.push({
        ID: opts.noTrunc ? img.Id : truncateId(img.Id), Repository: repo, Tag: tag, Digest: digest,
        CreatedSince: createdSince(img, now), CreatedAt: new Date(img.Created * 1000).toISOString(),
        Size: humanSize(img.Size), Containers: img.Containers < 0 ? 'N/A' : String(img.Containers),
      });
    }
  }
  return rows;
}

export function registerImageCommands(program: Command, image: Command, withEngine: WithEngine): void {
  const importCmd = (cmd: Command): Command => cmd
    .description('Import the contents from a tarball to create a filesystem image')
    .argument('<file>', 'tarball path, or - for stdin (plain or gzip)')
    .argument('[reference]', 'REPOSITORY[:TAG]')
    .option('-c, --change <instruction>', 'Apply Dockerfile instruction to the created image', collect, [])
    .option('-m, --message <message>', 'Set commit message for imported image')
    .action(async (file: string, reference: string | undefined, o: { change: string[]; message?: string }) => {
      await withEngine(async (e) => {
        const id = await e.images.import(await openInput(file), { reference, changes: o.change, message: o.message });
        stdout(id + '\n');
      });
    });
  importCmd(program.command('import'));
  importCmd(image.command('import'));

  const lsCmd = (cmd: Command): Command => cmd
    .description('List images')
    .argument('[reference]', 'REPOSITORY[:TAG]')
    .option('-a, --all', 'Show all images (default hides intermediate images)')
    .option('--digests', 'Show digests')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided (dangling=true|false, reference=PATTERN)', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .action(async (reference: string | undefined, o: { all?: boolean; digests?: boolean; filter: string[]; format?: string; trunc: boolean; quiet?: boolean }) => {
      await withEngine(async (e) => {
        let images = e.images.list({ all: o.all });
        const refs = reference ? [reference] : [];
        for (const [k, v] of parseFilters(o.filter)) {
          if (k === 'dangling') images = images.filter((i) => (i.RepoTags.length === 0) === (v === 'true' || v === '1'));
          else if (k === 'reference') refs.push(v);
          else throw new InvalidArgumentError(`invalid filter '${k}'`);
        }
        const rows = imageRows(images, { noTrunc: !o.trunc, digests: o.digests }, refs, new Date());
        if (o.quiet) {
          const seen = new Set<string>();
          for (const r of rows) if (!seen.has(r.ID)) { seen.add(r.ID); stdout(r.ID + '\n'); }
          return;
        }
        const def = o.digests
          ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
          : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
        // Docker 20.10's default table shows N/A for an image with no creation time; a --format template gets "".
        const shown = o.format ? rows : rows.map((r) => (r.CreatedSince === '' ? { ...r, CreatedSince: 'N/A' } : r));
        await printRows(shown, o.format, def, IMAGE_HEADERS);
      });
    });
  lsCmd(program.command('images'));
  lsCmd(image.command('ls').alias('list'));

  const tagCmd = (cmd: Command): Command => cmd
    .description('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE')
    .argument('<source>', 'SOURCE_IMAGE[:TAG]')
    .argument('<target>', 'TARGET_IMAGE[:TAG]')
    .action(async (source: string, target: string) => withEngine((e) => e.images.tag(source, target)));
  tagCmd(program.command('tag'));
  tagCmd(image.command('tag'));

  const rmiCmd = (cmd: Command): Command => cmd
    .description('Remove one or more images')
    .argument('<images...>')
    .option('-f, --force', 'Force removal of the image')
    .option('--no-prune', 'Do not delete untagged parents')
    .action(async (refs: string[], o: { force?: boolean; prune: boolean }) => {
      await withEngine((e) => forEachName(refs, o.force, async (ref) => {
        for (const item of await e.images.remove(ref, { force: o.force, noPrune: !o.prune })) {
          stdout('Untagged' in item ? `Untagged: ${item.Untagged}\n` : `Deleted: ${item.Deleted}\n`);
        }
      }));
    });
  rmiCmd(program.command('rmi'));
  rmiCmd(image.command('rm').alias('remove'));

  const historyCmd = (cmd: Command): Command => cmd
    .description('Show the history of an image')
    .argument('<image>')
    .option('-H, --human [bool]', 'Print sizes and dates in human readable format', 'true')
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .action(async (ref: string, o: { human: string | boolean; format?: string; trunc: boolean; quiet?: boolean }) => {
      await withEngine(async (e) => {
        // Docker spells it -H=false / --human=false; commander hands a short option's value over with its "=".
        const human = !/^=?false$/.test(String(o.human));
        const now = new Date();
        const rows = e.images.history(ref).map((h: HistoryItem) => {
          const created = new Date(h.Created * 1000);
          const createdBy = h.CreatedBy.replace(/\s+/g, ' ');
          return {
            ID: h.Id === '<missing>' || !o.trunc ? h.Id : truncateId(h.Id),
            CreatedSince: human ? timeAgo(created, now) : created.toISOString(),
            CreatedAt: created.toISOString(),
            CreatedBy: o.trunc && createdBy.length > 45 ? createdBy.slice(0, 44) + '…' : createdBy,
            Size: human ? humanSize(h.Size) : String(h.Size),
            Comment: h.Comment,
          };
        });
        if (o.quiet) {
          for (const r of rows) stdout(r.ID + '\n');
          return;
        }
        await printRows(rows, o.format, 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}', HISTORY_HEADERS);
      });
    });
  historyCmd(program.command('history'));
  historyCmd(image.command('history'));

  image.command('prune')
    .description('Remove unused images')
    .option('-a, --all', 'Remove all unused images, not just dangling ones')
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: { all?: boolean; force?: boolean }) => {
      if (!o.force && !confirm(o.all ? PRUNE_ALL_WARNING : PRUNE_DANGLING_WARNING)) return;
      await withEngine(async (e) => {
        const report = await e.images.prune({ all: o.all });
        if (report.ImagesDeleted?.length) {
          stdout('Deleted Images:\n');
          for (const item of report.ImagesDeleted) stdout('Untagged' in item ? `untagged: ${item.Untagged}\n` : `deleted: ${item.Deleted}\n`);
          stdout('\n');
        }
        stdout(`Total reclaimed space: ${humanSize(report.SpaceReclaimed)}\n`);
      });
    });
}
