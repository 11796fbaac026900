/** `system df` (from the database alone) and `system check`. */
import type { Command } from 'commander';
import { StrataError } from '../../engine/errors.js';
import type { DiskUsage } from '../../engine/index.js';
import type { WithEngine } from '../context.js';
import { renderTable } from '../format/tabwriter.js';
import { listingRow } from '../format/row.js';
import { goHumanSize } from '../format/units.js';
import { printRows } from '../output.js';
import { PS_HEADERS, psRow } from './containers.js';
import { IMAGE_HEADERS, imageRow } from './images.js';
import { stdout } from '../stdio.js';

const DF_HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

const withPercent = (part: number, total: number): string =>
  total > 0 ? `${goHumanSize(part)} (${Math.floor((part * 100) / total)}%)` : goHumanSize(part);

/** `system df -v`'s images: one row per image, named by its first name (or <none>), as docker's. */
function imageRows(df: DiskUsage, now: Date) {
  return df.Images.map((i) => {
    const name = i.RepoTags[0];
    const colon = name?.lastIndexOf(':') ?? -1;
    const [repo, tag] = name === undefined ? ['<none>', '<none>'] : [name.slice(0, colon), name.slice(colon + 1)];
    return imageRow(i, repo, tag, '<none>', true, now, i);
  });
}

/** `system df -v`'s containers: ps rows whose size is the writable layer's alone, as docker's. */
const containerRows = (df: DiskUsage, now: Date) => df.Containers.map((c) => psRow({ ...c, SizeRootFs: 0 }, true, now));

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
        await printRows(imageRows(df, now), undefined,
          // Docker 20.10's verbose table shows VirtualSize (4 digits, as SHARED and UNIQUE), not the images table's SIZE.
          'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.VirtualSize}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}', IMAGE_HEADERS);
        stdout('\nContainers space usage:\n\n');
        await printRows(containerRows(df, now), undefined,
          'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}', PS_HEADERS);
        stdout('\nLocal Volumes space usage:\n\n');
        stdout(renderTable(['VOLUME NAME', 'LINKS', 'SIZE'], df.Volumes.map((v) => [v.Name, String(v.UsageData.RefCount), goHumanSize(v.UsageData.Size)])));
        stdout('\nBuild cache usage: 0B\n\n');
        stdout(renderTable(['CACHE ID', 'CACHE TYPE', 'SIZE', 'CREATED', 'LAST USED', 'USAGE', 'SHARED'], []));
        return;
      }
      const usedByContainers = df.Images.filter((i) => i.Containers > 0);
      const containersSize = df.Containers.reduce((t, c) => t + c.SizeRw, 0);
      const idleContainers = df.Containers.filter((c) => c.State !== 'running').reduce((t, c) => t + c.SizeRw, 0);
      const volumesSize = df.Volumes.reduce((t, v) => t + v.UsageData.Size, 0);
      const idleVolumes = df.Volumes.filter((v) => v.UsageData.RefCount === 0).reduce((t, v) => t + v.UsageData.Size, 0);
      const rows = [
        { goType: '*formatter.diskUsageImagesContext', Type: 'Images', TotalCount: String(df.Images.length), Active: String(usedByContainers.length), Size: goHumanSize(df.LayersSize), Reclaimable: withPercent(df.LayersReclaimable, df.LayersSize) },
        { goType: '*formatter.diskUsageContainersContext', Type: 'Containers', TotalCount: String(df.Containers.length), Active: String(df.Containers.filter((c) => c.State === 'running').length), Size: goHumanSize(containersSize), Reclaimable: withPercent(idleContainers, containersSize) },
        { goType: '*formatter.diskUsageVolumesContext', Type: 'Local Volumes', TotalCount: String(df.Volumes.length), Active: String(df.Volumes.filter((v) => v.UsageData.RefCount > 0).length), Size: goHumanSize(volumesSize), Reclaimable: withPercent(idleVolumes, volumesSize) },
        { goType: '*formatter.diskUsageBuilderContext', Type: 'Build Cache', TotalCount: '0', Active: '0', Size: '0B', Reclaimable: '0B' },
      ].map(({ goType, ...row }) => listingRow(goType, row));
      await printRows(rows, o.format, 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}', DF_HEADERS);
    }));

  system.command('service')
    .description('Serve the Docker Engine API on a socket (for the docker CLI, compose, dockerode, testcontainers)')
    .argument('[uri]', 'unix:///PATH or tcp://127.0.0.1:PORT (default: unix:///run/strata/strata.sock as root)')
    .option('-t, --time <seconds>', 'Seconds without a request before the service exits (0: never)', '5')
    .action(async (uri: string | undefined, o: { time: string }) => {
      const { runService } = await import('./service.js');
      await runService(withEngine, uri, o.time);
    });

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
