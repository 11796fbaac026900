/** Image verbs: import, images, tag, rmi, history, image prune. */
import type { Command } from 'commander';
import type { HistoryItem, ImageSummary } from '../../engine/index.js';
import { NO_CREATED_TIME } from '../../engine/index.js';
import type { WithEngine } from '../context.js';
import { filterPairs } from '../filters.js';
import { listingRow } from '../format/row.js';
import { ellipsis, goHumanSize, goTime, humanSize, rfc3339, timeAgo, truncateId } from '../format/units.js';
import { confirm, NOTHING_RECLAIMED } from '../confirm.js';
import { forEachName } from '../each.js';
import { openInput } from '../input.js';
import { collect, printRows } from '../output.js';
import { stdout } from '../stdio.js';

export const IMAGE_HEADERS = {
  Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT',
  Size: 'SIZE', VirtualSize: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS',
};
const HISTORY_HEADERS = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };

/** Docker's warnings before `image prune` asks to continue. */
const PRUNE_DANGLING_WARNING = 'WARNING! This will remove all dangling images.';
const PRUNE_ALL_WARNING = 'WARNING! This will remove all images without at least one container associated to them.';

/** docker's image context: one per repository:tag of an image (untagged: <none>), as `docker images` lists them. */
interface ImageRow {
  ID: string; Repository: string; Tag: string; Digest: string; CreatedSince: string; CreatedAt: string; Size: string;
  VirtualSize: string; SharedSize: string; UniqueSize: string; Containers: string;
}

/** What docker writes for a count or size its daemon did not compute (-1): `images` computes neither sharing nor containers. */
const NOT_COMPUTED = 'N/A';

/**
 * An image's row; `usage` has what `system df` computes. Sizes as docker's: SIZE to 3 digits,
 * the others (go-units HumanSize) to 4.
 */
export function imageRow(img: ImageSummary, repo: string, tag: string, digest: string, trunc: boolean, now: Date, usage?: { SharedSize: number; Containers: number }): ImageRow {
  return listingRow('*formatter.imageContext', {
    ID: trunc ? truncateId(img.Id) : img.Id, Repository: repo, Tag: tag, Digest: digest,
    CreatedSince: createdSince(img, now), CreatedAt: goTime(img.Created),
    Size: humanSize(img.Size), VirtualSize: goHumanSize(img.Size),
    SharedSize: usage ? goHumanSize(usage.SharedSize) : NOT_COMPUTED,
    UniqueSize: usage ? goHumanSize(img.Size - usage.SharedSize) : NOT_COMPUTED,
    Containers: usage ? String(usage.Containers) : NOT_COMPUTED,
  });
}

/** CREATED as `docker images --format` and `system df -v` show it: empty for an image whose config gives no time. */
const createdSince = (img: ImageSummary, now: Date): string =>
  img.Created === NO_CREATED_TIME ? '' : timeAgo(new Date(img.Created * 1000), now);

function imageRows(images: ImageSummary[], opts: { noTrunc?: boolean; digests?: boolean }, now: Date): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const img of images) {
    // An image pulled by digest has no tag: Docker lists it under its repository with TAG <none>.
    const digestRepos = [...new Set(img.RepoDigests.map((d) => `${d.split('@')[0]}:<none>`))];
    const names = img.RepoTags.length ? img.RepoTags : digestRepos.length ? digestRepos : ['<none>:<none>'];
    for (const name of names) {
      const colon = name.lastIndexOf(':');
      const repo = name.slice(0, colon);
      const tag = name.slice(colon + 1);
      const digest = img.RepoDigests.find((d) => d.startsWith(repo + '@'))?.split('@')[1] ?? '<none>';
      rows.push(imageRow(img, repo, tag, digest, !opts.noTrunc, now));
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
    .option('-f, --filter <filter>', 'Filter output based on conditions provided (dangling=true|false, label=KEY[=VALUE], before=IMAGE, since=IMAGE, reference=PATTERN)', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only show image IDs')
    .action(async (reference: string | undefined, o: { all?: boolean; digests?: boolean; filter: string[]; format?: string; trunc: boolean; quiet?: boolean }) => {
      await withEngine(async (e) => {
        // As Docker's CLI: the REPOSITORY[:TAG] argument is one more reference filter.
        const filters = [...filterPairs(o.filter), ...(reference ? [['reference', reference] as const] : [])];
        const images = e.images.list({ all: o.all, filters });
        const rows = imageRows(images, { noTrunc: !o.trunc, digests: o.digests }, new Date());
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
          // docker turns only tabs into spaces; a newline stays.
          const createdBy = h.CreatedBy.replaceAll('\t', ' ');
          return listingRow('*image.historyContext', {
            ID: h.Id === '<missing>' || !o.trunc ? h.Id : truncateId(h.Id),
            CreatedSince: human ? timeAgo(new Date(h.Created * 1000), now) : rfc3339(h.Created),
            CreatedAt: rfc3339(h.Created),
            CreatedBy: o.trunc ? ellipsis(createdBy, 45) : createdBy,
            Size: human ? humanSize(h.Size) : String(h.Size),
            Comment: h.Comment,
          });
        });
        if (o.quiet) {
          for (const r of rows) stdout(r.ID + '\n');
          return;
        }
        const table = human ? 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}'
          : 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
        await printRows(rows, o.format, table, HISTORY_HEADERS);
      });
    });
  historyCmd(program.command('history'));
  historyCmd(image.command('history'));

  image.command('prune')
    .description('Remove unused images')
    .option('-a, --all', 'Remove all unused images, not just dangling ones')
    .option('--filter <filter>', "Provide filter values (e.g. 'until=<timestamp>')", collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: { all?: boolean; filter: string[]; force?: boolean }) => {
      if (!o.force && !confirm(o.all ? PRUNE_ALL_WARNING : PRUNE_DANGLING_WARNING)) return stdout(NOTHING_RECLAIMED);
      const filters = filterPairs(o.filter, '--filter');
      await withEngine(async (e) => {
        const report = await e.images.prune({ all: o.all, filters });
        if (report.ImagesDeleted?.length) {
          stdout('Deleted Images:\n');
          for (const item of report.ImagesDeleted) stdout('Untagged' in item ? `untagged: ${item.Untagged}\n` : `deleted: ${item.Deleted}\n`);
          stdout('\n');
        }
        stdout(`Total reclaimed space: ${goHumanSize(report.SpaceReclaimed)}\n`);
      });
    });
}
