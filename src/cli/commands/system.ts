/** `system df` (from the database alone) and `system check`. */
import type { Command } from 'commander';
import { StrataError } from '../../engine/errors.js';
import type { WithEngine } from '../context.js';
import { renderTable } from '../format/tabwriter.js';
import { humanSize, timeAgo, truncateId } from '../format/units.js';
import { printRows } from '../output.js';
import { createdSince } from './images.js';
import { stdout } from '../stdio.js';

const DF_HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

const withPercent = (part: number, total: number): string =>
  total > 0 ? `${humanSize(part)} (${Math.floor((part * 100) / total)}%)` : humanSize(part);

export function registerSystemCommands(program: Command, withEngine: WithEngine): void {
  const system = program.command('system').description('Manage strata');

  system.command('df')
    .description('Show strata disk usage')
    .option('--format <string>', 'Format output using a custom template')
    .option('-v, --verbose', 'Show detailed information on space usage')
    .action(async (o: { format?: string; verbose?: boolean }) => withEngine(async (e) => {
      const df = await e.system.df();
      const now = new Date();
      if (o.verbose) {
        stdout('Images space usage:\n\n');
        stdout(renderTable(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'],
          df.Images.flatMap((i) => (i.RepoTags.length ? i.RepoTags : ['<none>:<none>']).map((t) => {
            const c = t.lastIndexOf(':');
            return [t.slice(0, c), t.slice(c + 1), truncateId(i.Id), createdSince(i, now), humanSize(i.Size),
              humanSize(i.SharedSize), humanSize(i.Size - i.SharedSize), String(i.Containers)];
          }))));
        stdout('\nContainers space usage:\n\n');
        stdout(renderTable(['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'],
          df.Containers.map((c) => [truncateId(c.Id), c.Image, JSON.stringify(c.Command.length > 20 ? c.Command.slice(0, 19) + '…' : c.Command),
            String(c.Mounts.filter((m) => m.Type === 'volume').length), humanSize(c.SizeRw), timeAgo(new Date(c.Created * 1000), now), c.Status, c.Names[0]!.slice(1)])));
        stdout('\nLocal Volumes space usage:\n\n');
        stdout(renderTable(['VOLUME NAME', 'LINKS', 'SIZE'], df.Volumes.map((v) => [v.Name, String(v.UsageData.RefCount), humanSize(v.UsageData.Size)])));
        stdout('\nBuild cache usage: 0B\n');
        return;
      }
      const usedByContainers = df.Images.filter((i) => i.Containers > 0);
      const containersSize = df.Containers.reduce((t, c) => t + c.SizeRw, 0);
      const idleContainers = df.Containers.filter((c) => c.State !== 'running').reduce((t, c) => t + c.SizeRw, 0);
      const volumesSize = df.Volumes.reduce((t, v) => t + v.UsageData.Size, 0);
      const idleVolumes = df.Volumes.filter((v) => v.UsageData.RefCount === 0).reduce((t, v) => t + v.UsageData.Size, 0);
      const rows = [
        { Type: 'Images', TotalCount: String(df.Images.length), Active: String(usedByContainers.length), Size: humanSize(df.LayersSize), Reclaimable: withPercent(df.LayersReclaimable, df.LayersSize) },
        { Type: 'Containers', TotalCount: String(df.Containers.length), Active: String(df.Containers.filter((c) => c.State === 'running').length), Size: humanSize(containersSize), Reclaimable: withPercent(idleContainers, containersSize) },
        { Type: 'Local Volumes', TotalCount: String(df.Volumes.length), Active: String(df.Volumes.filter((v) => v.UsageData.RefCount > 0).length), Size: humanSize(volumesSize), Reclaimable: withPercent(idleVolumes, volumesSize) },
        { Type: 'Build Cache', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
      ];
      await printRows(rows, o.format, 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}', DF_HEADERS);
    }));

  system.command('check')
    .description('Check the store for consistency; with --repair, remove what nothing refers to')
    .option('-r, --repair', 'Remove unreferenced snapshots and records')
    .action(async (o: { repair?: boolean }) => withEngine(async (e) => {
      const report = await e.system.check({ repair: o.repair });
      for (const r of report.repaired) stdout(`repaired: ${r}\n`);
      if (report.problems.length) {
        for (const p of report.problems) stdout(`problem: ${p}\n`);
        throw new StrataError(`store check found ${report.problems.length} problem(s)`);
      }
      stdout('No problems found\n');
    }));
}
