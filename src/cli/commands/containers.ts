/** Container verbs: create, ps, mount, unmount, diff, commit, rm, export, container prune. */
import type { Command } from 'commander';
import { pullIfMissing } from '../pullmissing.js';
import {
  encodeName, familiarRepository, FlagValueError, InvalidArgumentError, parseMountFlag, parseReference, splitVolumeFlags, StrataError, type ContainerSummary,
} from '../../engine/index.js';
import type { WithEngine } from '../context.js';
import { filterPairs } from '../filters.js';
import { quote } from '../format/gofmt.js';
import { listingRow } from '../format/row.js';
import { ellipsis, goHumanSize, goTime, humanSize, timeAgo, truncateId } from '../format/units.js';
import { confirm, NOTHING_RECLAIMED } from '../confirm.js';
import { forEachName } from '../each.js';
import { collect, printRows } from '../output.js';
import { writingOutput } from '../outpath.js';
import { stderr, stdout } from '../stdio.js';

export const PS_HEADERS = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS',
  State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES', Networks: 'NETWORKS', Platform: 'PLATFORM',
  /** docker's header for {{.Label "com.example.some-label"}}: the key's last dot-separated part, - and _ as spaces. */
  Label: (name: unknown): string => String(name).split('.').at(-1)!.replace(/[-_]/g, ' '),
};

const NEWLINE = Buffer.from('\n');

/**
 * The IMAGE column as docker's CLI shows it: the image's short ID when the container names it by ID, else
 * the name without its registry's default parts, and without a digest; untruncated, what the engine gave.
 */
function imageColumn(c: ContainerSummary, trunc: boolean): string {
  if (!trunc) return c.Image;
  if (truncateId(c.ImageID) === truncateId(c.Image)) return truncateId(c.ImageID);
  try {
    const ref = parseReference(c.Image);
    return familiarRepository(ref.repository) + (ref.tag ? `:${ref.tag}` : '');
  } catch {
    return c.Image;
  }
}

/** A `ps` row: docker's container context, field for field (`{{json .}}` writes them all). */
export function psRow(c: ContainerSummary, trunc: boolean, now: Date) {
  // Without -s (or a format that shows it) docker has no sizes: 0B, with no virtual size.
  const size = c.SizeRw === undefined ? humanSize(0)
    : (c.SizeRootFs ?? 0) > 0 ? `${humanSize(c.SizeRw)} (virtual ${humanSize(c.SizeRootFs ?? 0)})` : humanSize(c.SizeRw);
  return listingRow('*formatter.ContainerContext', {
    ID: trunc ? truncateId(c.Id) : c.Id,
    Image: imageColumn(c, trunc),
    Command: quote(trunc ? ellipsis(c.Command, 20) : c.Command),
    CreatedAt: goTime(c.Created),
    RunningFor: timeAgo(new Date(c.Created * 1000), now),
    Ports: '',
    State: c.State,
    Status: c.Status,
    Size: size,
    Names: c.Names.map((n) => n.replace(/^\//, '')).join(','),
    Labels: Object.keys(c.Labels).sort().map((k) => `${k}=${c.Labels[k]}`).join(','),
    Mounts: c.Mounts.map((m) => (trunc ? ellipsis(m.Name || m.Source, 15) : m.Name || m.Source)).join(','),
    LocalVolumes: String(c.Mounts.filter((m) => m.Type === 'volume').length),
    Networks: Object.keys(c.NetworkSettings.Networks).join(','),
    // docker 20.10 lists no platform for a container.
    Platform: null,
    Label: (name: unknown): string => c.Labels[String(name)] ?? '',
  });
}

/**
 * Whether a ps --format shows sizes, found as docker finds it: by running the template once over an empty
 * row and seeing whether it read .Size (`{{json .}}` does; the literal format `json` does not).
 */
async function formatShowsSize(format: string): Promise<boolean> {
  const { renderTemplate, TemplateError } = await import('../format/template/index.js');
  let used = false;
  const probe = psRow({
    Id: '', Names: [], Image: '', ImageID: '', Command: '', Created: 0, Ports: [], State: '', Status: '', Labels: {},
    HostConfig: { NetworkMode: '' }, NetworkSettings: { Networks: {} }, Mounts: [],
  }, true, new Date(0));
  Object.defineProperty(probe, 'Size', { get: () => { used = true; return ''; }, enumerable: true });
  try {
    renderTemplate(format, probe, { objects: 'struct' });
  } catch (e) {
    if (e instanceof TemplateError) throw new TemplateError(`failed to execute template: ${e.message}`);
    throw e;
  }
  return used;
}

export interface CreateFlags {
  name?: string; env: string[]; envFile: string[]; workdir?: string; user?: string; entrypoint?: string; hostname?: string;
  label: string[]; labelFile: string[]; publish: string[]; publishAll?: boolean; tty?: boolean; interactive?: boolean; rm?: boolean; network: string; readOnly?: boolean; init?: boolean;
  capAdd: string[]; capDrop: string[]; privileged?: boolean; memory?: string; pidsLimit?: string; cpus?: string; ulimit: string[];
  shmSize?: string; runtime: string; stopSignal?: string; stopTimeout?: string; restart?: string;
  /** When to pull the image: missing (Docker's default), always, never. */
  pull: string;
  /** Volumes: -v, --mount, --tmpfs, --volumes-from. */
  volume: string[]; mount: string[]; tmpfs: string[]; volumesFrom: string[];
}

/** The flags `create` and `run` share. */
export function addCreateFlags(cmd: Command): Command {
  return cmd
    .option('--name <string>', 'Assign a name to the container')
    .option('--pull <string>', 'Pull image before creating ("always"|"missing"|"never")', 'missing')
    .option('-e, --env <list>', 'Set environment variables', collect, [])
    .option('--env-file <list>', 'Read in a file of environment variables', collect, [])
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('-h, --hostname <string>', 'Container host name')
    .option('-l, --label <list>', 'Set meta data on a container', collect, [])
    .option('--label-file <list>', 'Read in a line delimited file of labels', collect, [])
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('--rm', 'Automatically remove the container when it exits')
    .option('--network <network>', 'Connect a container to a network (none or host)', 'none')
    .option('-p, --publish <list>', "Publish a container's port(s) to the host (only with --network host, where it is moot)", collect, [])
    .option('-P, --publish-all', 'Publish all exposed ports to random ports (only with --network host, where it is moot)')
    .option('--read-only', "Mount the container's root filesystem as read only")
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .option('--cap-add <list>', 'Add Linux capabilities', collect, [])
    .option('--cap-drop <list>', 'Drop Linux capabilities', collect, [])
    .option('--privileged', 'Give extended privileges to this container')
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--pids-limit <int>', 'Tune container pids limit (set -1 for unlimited)')
    .option('--cpus <decimal>', 'Number of CPUs')
    .option('--ulimit <ulimit>', 'Ulimit options', collect, [])
    .option('--shm-size <bytes>', 'Size of /dev/shm')
    .option('--runtime <string>', 'Runtime to use for this container (runc or crun)', 'runc')
    .option('--stop-signal <string>', 'Signal to stop a container')
    .option('--stop-timeout <int>', 'Timeout (in seconds) to stop a container')
    .option('--restart <string>', 'Restart policy to apply when a container exits (only "no": strata has no daemon)')
    .option('-v, --volume <list>', 'Bind mount a volume', collect, [])
    .option('--mount <mount>', 'Attach a filesystem mount to the container', collect, [])
    .option('--tmpfs <list>', 'Mount a tmpfs directory', collect, [])
    .option('--volumes-from <list>', 'Mount volumes from the specified container(s)', collect, []);
}

/** Docker's RAMInBytes: a number with an optional binary unit (b, k, m, g, t, p), as -m and --shm-size take it. */
export function ramInBytes(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgtp])?b?$/i.exec(value.trim());
  if (!m) throw new FlagValueError(`invalid argument "${value}" for "${flag}" flag: invalid size: '${value}'`);
  const power = 'bkmgtp'.indexOf((m[2] ?? 'b').toLowerCase());
  return Math.floor(Number(m[1]) * 1024 ** power);
}

/** A capability as Docker's CLI normalizes it: upper case with the CAP_ prefix, except ALL. */
const capability = (name: string): string => {
  const upper = name.toUpperCase();
  return upper === 'ALL' || upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
};

function integer(value: string, flag: string): number {
  if (!/^-?\d+$/.test(value)) throw new FlagValueError(`invalid argument "${value}" for "${flag}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`);
  return Number(value);
}

export async function createOptions(image: string, command: string[], f: CreateFlags) {
  const { envFileEntries, envFlag, labelFileEntries } = await import('../envfile.js');
  const { MIN_MEMORY, normalizeCapability, parseSignal, parseUlimit } = await import('../../engine/index.js');
  if (f.network !== 'none' && f.network !== 'host') {
    throw new StrataError(f.network === 'bridge' || f.network === 'default'
      ? `network ${f.network}: strata has no bridge networking; use --network none or --network host`
      : `network ${f.network} not found`, 125);
  }
  // No bridge network, so nothing to publish a port on: with host networking the container's ports are the host's
  // (Docker warns that it discards them); otherwise refused, rather than taken and silently never published.
  if (f.publish.length || f.publishAll) {
    if (f.network === 'host') stderr('WARNING: Published ports are discarded when using host network mode\n');
    else throw new StrataError('-p, --publish: strata has no bridge network to publish a port on; use --network host, where the container\'s ports are the host\'s', 125);
  }
  if (f.runtime !== 'runc' && f.runtime !== 'crun') throw new StrataError(`unknown or invalid runtime name: ${f.runtime}`, 125);
  if (f.rm && f.restart && f.restart !== 'no') throw new StrataError('Conflicting options: --restart and --rm', 125);
  let ulimits;
  try {
    ulimits = f.ulimit.map(parseUlimit);
  } catch (e) {
    throw new FlagValueError(`invalid argument "${f.ulimit.join(',')}" for "--ulimit" flag: ${(e as Error).message}`);
  }
  const cpus = f.cpus === undefined ? 0 : Number(f.cpus);
  if (!Number.isFinite(cpus) || cpus < 0) throw new FlagValueError(`invalid argument "${f.cpus}" for "--cpus" flag: failed to parse ${f.cpus} as a rational number`);
  const env = [...envFileEntries(f.envFile), ...f.env.map(envFlag)];
  const memory = f.memory === undefined ? 0 : ramInBytes(f.memory, '-m, --memory');
  // What Docker's daemon refuses when it makes the container (status 1; run's 125), not later at its start.
  const refused = (check: () => unknown): void => {
    try { check(); } catch (e) { throw new InvalidArgumentError((e as Error).message); }
  };
  if (memory > 0 && memory < MIN_MEMORY) throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  refused(() => { for (const c of f.capAdd) normalizeCapability(c, 'CapAdd'); for (const c of f.capDrop) normalizeCapability(c, 'CapDrop'); });
  if (f.stopSignal) refused(() => parseSignal(f.stopSignal!));
  return {
    image, name: f.name, cmd: command, env,
    workdir: f.workdir, user: f.user, entrypoint: f.entrypoint, hostname: f.hostname,
    labels: Object.fromEntries([...labelFileEntries(f.labelFile), ...f.label].map((l) => { const i = l.indexOf('='); return i < 0 ? [l, ''] : [l.slice(0, i), l.slice(i + 1)]; })),
    tty: f.tty, interactive: f.interactive, restart: f.restart,
    run: {
      network: f.network as 'none' | 'host', readOnly: !!f.readOnly, init: !!f.init, autoRemove: !!f.rm,
      capAdd: f.capAdd.map(capability), capDrop: f.capDrop.map(capability), privileged: !!f.privileged,
      memory,
      pidsLimit: f.pidsLimit === undefined ? 0 : integer(f.pidsLimit, '--pids-limit'),
      nanoCpus: Math.round(cpus * 1e9), ulimits,
      ...(f.shmSize !== undefined ? { shmSize: ramInBytes(f.shmSize, '--shm-size') } : {}),
      runtime: f.runtime as 'runc' | 'crun',
      ...(f.stopSignal ? { stopSignal: f.stopSignal } : {}),
      ...(f.stopTimeout !== undefined ? { stopTimeout: integer(f.stopTimeout, '--stop-timeout') } : {}),
    },
    mounts: { ...splitVolumeFlags(f.volume), mounts: f.mount.map(parseMountFlag), tmpfs: f.tmpfs, volumesFrom: f.volumesFrom },
  };
}

export function registerContainerCommands(program: Command, container: Command, withEngine: WithEngine): void {
  const both = (name: string, alias?: string): Command[] => {
    const top = program.command(name);
    const sub = container.command(alias ?? name);
    return [top, sub];
  };

  for (const cmd of both('create')) {
    addCreateFlags(cmd)
      .description('Create a new container')
      .argument('<image>')
      .argument('[command...]')
      .passThroughOptions()
      .action(async (image: string, command: string[], f: CreateFlags) => {
        const opts = await createOptions(image, command, f);
        await withEngine(async (e) => {
          await pullIfMissing(e, image, f.pull);
          stdout((await e.containers.create(opts)) + '\n');
        });
      });
  }

  const psCmd = (cmd: Command): Command => cmd
    .description('List containers')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided (name, id, status, ancestor, label, before, since)', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only display container IDs')
    .option('-s, --size', 'Display total file sizes')
    .option('-n, --last <int>', 'Show n last created containers (includes all states)')
    .option('-l, --latest', 'Show the latest created container (includes all states)')
    .action(async (o: { all?: boolean; filter: string[]; format?: string; trunc: boolean; quiet?: boolean; size?: boolean; last?: string; latest?: boolean }) => {
      await withEngine(async (e) => {
        const filters = filterPairs(o.filter);
        const wantsSize = !!o.size || (o.format !== undefined && await formatShowsSize(o.format));
        // As Docker's daemon, a limit below 1 is none (the CLI's default is -1).
        const n = o.latest ? 1 : o.last === undefined ? 0 : integer(o.last, '-n, --last');
        const last = n > 0 ? n : undefined;
        // As Docker's CLI: a template of the user's own wins over -q (only the default table gives way to it).
        const quiet = o.quiet && (o.format === undefined || o.format === 'table');
        const list = await e.containers.list({ all: o.all, last, size: wantsSize && !quiet, filters });
        const rows = list.map((c) => psRow(c, o.trunc, new Date()));
        if (quiet) {
          for (const r of rows) stdout(r.ID + '\n');
          return;
        }
        const def = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}' + (o.size ? '\t{{.Size}}' : '');
        await printRows(rows, o.format, def, PS_HEADERS);
      });
    });
  psCmd(program.command('ps'));
  psCmd(container.command('ls').alias('list').alias('ps'));

  for (const cmd of both('mount')) {
    cmd.description("Mount a container's root filesystem and print its path")
      .argument('<container>')
      .action(async (ref: string) => withEngine((e) => { stdout(e.containers.mount(ref) + '\n'); }));
  }
  for (const cmd of both('unmount')) {
    cmd.alias('umount').description("Unmount a container's root filesystem")
      .argument('<containers...>')
      .action(async (refs: string[]) => withEngine(async (e) => {
        for (const r of refs) { await e.containers.unmount(r); stdout(r + '\n'); }
      }));
  }

  for (const cmd of both('diff')) {
    cmd.description("Inspect changes to files or directories on a container's filesystem")
      .argument('<container>')
      .action(async (ref: string) => withEngine(async (e) => {
        // A path is printed as its bytes, as Docker prints a Go string: a name that is not UTF-8 stays itself.
        const lines = (await e.containers.diff(ref)).map((c) => Buffer.concat([Buffer.from(`${c.kind} `), encodeName(c.path), NEWLINE]));
        stdout(Buffer.concat(lines));
      }));
  }

  for (const cmd of both('commit')) {
    cmd.description("Create a new image from a container's changes")
      .argument('<container>')
      .argument('[reference]', 'REPOSITORY[:TAG]')
      .option('-a, --author <string>', 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
      .option('-c, --change <instruction>', 'Apply Dockerfile instruction to the created image', collect, [])
      .option('-m, --message <string>', 'Commit message')
      .option('-p, --pause [bool]', 'Pause container during commit (no effect: no process runs yet)', 'true')
      .action(async (ref: string, reference: string | undefined, o: { author?: string; change: string[]; message?: string }) => withEngine(async (e) => {
        const id = await e.containers.commit(ref, { reference, author: o.author, changes: o.change, message: o.message });
        stdout(id + '\n');
      }));
  }

  for (const cmd of both('rm')) {
    cmd.alias('remove').description('Remove one or more containers')
      .argument('<containers...>')
      .option('-f, --force', 'Force the removal of a running container')
      .option('-v, --volumes', 'Remove anonymous volumes associated with the container')
      .action(async (refs: string[], o: { force?: boolean; volumes?: boolean }) => withEngine((e) => forEachName(refs, o.force, async (r) => {
        await e.containers.remove(r, { force: o.force, volumes: o.volumes });
        stdout(r + '\n');
      })));
  }

  for (const cmd of both('export')) {
    cmd.description("Export a container's filesystem as a tar archive")
      .argument('<container>')
      .option('-o, --output <file>', 'Write to a file, instead of STDOUT')
      .action(async (ref: string, o: { output?: string }) => withEngine(async (e) => {
        if (!o.output && process.stdout.isTTY) throw new InvalidArgumentError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
        if (o.output) return writingOutput('failed to export container', e.containers.exportToFile(ref, o.output));
        // Loaded here: streams cost every other verb of this module their load (./stdio.ts).
        const { pipeline } = await import('node:stream/promises');
        await pipeline(e.containers.export(ref), process.stdout);
      }));
  }

  container.command('prune')
    .description('Remove all stopped containers')
    .option('--filter <filter>', "Provide filter values (e.g. 'until=<timestamp>')", collect, [])
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: { filter: string[]; force?: boolean }) => {
      const filters = filterPairs(o.filter, '--filter');
      if (!o.force && !confirm('WARNING! This will remove all stopped containers.')) return stdout(NOTHING_RECLAIMED);
      await withEngine(async (e) => {
        const report = await e.containers.prune({ filters });
        if (report.ContainersDeleted?.length) stdout(`Deleted Containers:\n${report.ContainersDeleted.join('\n')}\n\n`);
        stdout(`Total reclaimed space: ${goHumanSize(report.SpaceReclaimed)}\n`);
      });
    });
}
