/** `volume create/ls/inspect/rm/prune`, with Docker's flags and output. */
import type { Command } from 'commander';
import { NotFoundError, type Volume } from '../../engine/index.js';
import type { WithEngine } from '../context.js';
import { confirm, NOTHING_RECLAIMED } from '../confirm.js';
import { failures, forEachName } from '../each.js';
import { filterPairs } from '../filters.js';
import { listingRow } from '../format/row.js';
import { goHumanSize } from '../format/units.js';
import { collect, printInspect, printRows } from '../output.js';
import { stdout } from '../stdio.js';

const VOLUME_HEADERS = {
  Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE',
  Availability: 'AVAILABILITY', Group: 'GROUP', Status: 'STATUS',
  Label: (name: unknown): string => String(name).split('.').at(-1)!.replace(/[-_]/g, ' '),
};

/** `k=v` flags into a map, as Docker's CLI reads `--label` and `-o`. */
const keyValues = (list: readonly string[]): Record<string, string> =>
  Object.fromEntries(list.map((l) => { const i = l.indexOf('='); return i < 0 ? [l, ''] : [l.slice(0, i), l.slice(i + 1)]; }));

/**
 * A missing volume in the docker CLI's words (`No such volume: x`), which it says in place of the daemon's
 * (`get x: no such volume`, the engine's, which the API answers with).
 */
function named<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw e instanceof NotFoundError ? new NotFoundError(`No such volume: ${name}`) : e;
  }
}

/** A `volume ls` row: the CLI's volume context, field for field (N/A where a local volume has nothing to say). */
function volumeRow(v: Volume) {
  const labels = v.Labels ?? {};
  return listingRow('*formatter.volumeContext', {
    Availability: 'N/A', Driver: v.Driver, Group: 'N/A', Labels: Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(','),
    Links: 'N/A', Mountpoint: v.Mountpoint, Name: v.Name, Scope: v.Scope, Size: 'N/A', Status: 'N/A',
    Label: (name: unknown): string => labels[String(name)] ?? '',
  });
}

export function registerVolumeCommands(program: Command, withEngine: WithEngine): void {
  const volume = program.command('volume').description('Manage volumes');

  volume.command('create')
    .description('Create a volume')
    .argument('[name]')
    .option('-d, --driver <string>', 'Specify volume driver name', 'local')
    .option('--label <list>', 'Set metadata for a volume', collect, [])
    .option('-o, --opt <map>', 'Set driver specific options', collect, [])
    .action(async (name: string | undefined, o: { driver: string; label: string[]; opt: string[] }) => withEngine((e) => {
      const v = e.volumes.create({ name, driver: o.driver, labels: keyValues(o.label), options: keyValues(o.opt) });
      stdout(v.Name + '\n');
    }));

  volume.command('ls').alias('list')
    .description('List volumes')
    .option('-f, --filter <filter>', "Provide filter values (e.g. 'dangling=true')", collect, [])
    .option('--format <string>', 'Pretty-print volumes using a Go template')
    .option('-q, --quiet', 'Only display volume names')
    .action(async (o: { filter: string[]; format?: string; quiet?: boolean }) => withEngine(async (e) => {
      const list = e.volumes.list({ filters: filterPairs(o.filter) });
      if (o.quiet) return stdout(list.map((v) => v.Name + '\n').join(''));
      await printRows(list.map(volumeRow), o.format, 'table {{.Driver}}\t{{.Name}}', VOLUME_HEADERS);
    }));

  volume.command('inspect')
    .description('Display detailed information on one or more volumes')
    .argument('<volumes...>')
    .option('-f, --format <string>', 'Format the output using the given Go template')
    .action(async (names: string[], o: { format?: string }) => withEngine(async (e) => {
      const found: Volume[] = [];
      const errors: string[] = [];
      for (const n of names) {
        try { found.push(named(n, () => e.volumes.inspect(n))); } catch (err) { errors.push((err as Error).message); }
      }
      await printInspect(found, o.format);
      if (errors.length) throw failures(errors);
    }));

  volume.command('rm').alias('remove')
    .description('Remove one or more volumes')
    .argument('<volumes...>')
    .option('-f, --force', 'Force the removal of one or more volumes')
    .action(async (names: string[], o: { force?: boolean }) => withEngine((e) => forEachName(names, false, async (n) => {
      named(n, () => e.volumes.remove(n, { force: o.force }));
      stdout(n + '\n');
    })));

  volume.command('prune')
    .description('Remove unused local volumes')
    .option('-a, --all', 'Remove all unused volumes, not just anonymous ones')
    .option('--filter <filter>', "Provide filter values (e.g. 'label=<label>')", collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: { all?: boolean; filter: string[]; force?: boolean }) => {
      const filters = filterPairs(o.filter, '--filter');
      const which = o.all ? 'all' : 'anonymous';
      if (!o.force && !confirm(`WARNING! This will remove ${which} local volumes not used by at least one container.`)) return stdout(NOTHING_RECLAIMED);
      await withEngine((e) => {
        const report = e.volumes.prune({ all: o.all, filters });
        if (report.VolumesDeleted.length) stdout(`Deleted Volumes:\n${report.VolumesDeleted.join('\n')}\n\n`);
        stdout(`Total reclaimed space: ${goHumanSize(report.SpaceReclaimed)}\n`);
      });
    });
}
