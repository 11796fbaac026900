/** Container verbs: create, ps, mount, unmount, diff, commit, rm, export, container prune. */
import type { Command } from 'commander';
import { encodeName, InvalidArgumentError, type ContainerSummary } from '../../engine/index.js';
import type { WithEngine } from '../context.js';
import { humanSize, timeAgo, truncateId } from '../format/units.js';
import { confirm } from '../confirm.js';
import { forEachName } from '../each.js';
import { writeOutputFile } from '../outfile.js';
import { collect, printRows } from '../output.js';
import { stdout } from '../stdio.js';

const PS_HEADERS = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS',
  State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Mounts: 'MOUNTS',
};

const NEWLINE = Buffer.from('\n');

const ellipsis = (s: string, n: number): string => (s.length > n ? s.slice(0, n - 1) + '…' : s);

function psRow(c: ContainerSummary, trunc: boolean, now: Date) {
  return {
    ID: trunc ? truncateId(c.Id) : c.Id,
    Image: trunc && c.Image.startsWith('sha256:') ? truncateId(c.Image) : c.Image,
    Command: JSON.stringify(trunc ? ellipsis(c.Command, 20) : c.Command),
    CreatedAt: new Date(c.Created * 1000).toISOString(),
    RunningFor: timeAgo(new Date(c.Created * 1000), now),
    Ports: '',
    State: c.State,
    Status: c.Status,
    Size: c.SizeRw === undefined ? '' : `${humanSize(c.SizeRw)} (virtual ${humanSize(c.SizeRootFs ?? 0)})`,
    Names: c.Names.map((n) => n.replace(/^\//, '')).join(','),
    Labels: Object.entries(c.Labels).map(([k, v]) => `${k}=${v}`).join(','),
    Mounts: c.Mounts.map((m) => m.Name ?? m.Source).join(','),
  };
}

export interface CreateFlags {
  name?: string; env: string[]; workdir?: string; user?: string; entrypoint?: string; hostname?: string;
  label: string[]; tty?: boolean; interactive?: boolean;
}

/** The flags `create` (and later `run`) share. */
export function addCreateFlags(cmd: Command): Command {
  return cmd
    .option('--name <string>', 'Assign a name to the container')
    .option('-e, --env <list>', 'Set environment variables', collect, [])
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('-h, --hostname <string>', 'Container host name')
    .option('-l, --label <list>', 'Set meta data on a container', collect, [])
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('-i, --interactive', 'Keep STDIN open even if not attached');
}

export function createOptions(image: string, command: string[], f: CreateFlags) {
  return {
    image, name: f.name, cmd: command, env: f.env.map((e) => (e.includes('=') ? e : `${e}=${process.env[e] ?? ''}`)),
    workdir: f.workdir, user: f.user, entrypoint: f.entrypoint, hostname: f.hostname,
    labels: Object.fromEntries(f.label.map((l) => { const i = l.indexOf('='); return i < 0 ? [l, ''] : [l.slice(0, i), l.slice(i + 1)]; })),
    tty: f.tty, interactive: f.interactive,
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
        await withEngine(async (e) => stdout((await e.containers.create(createOptions(image, command, f))) + '\n'));
      });
  }

  const psCmd = (cmd: Command): Command => cmd
    .description('List containers')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided (name, id, status, ancestor)', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-trunc', "Don't truncate output")
    .option('-q, --quiet', 'Only display container IDs')
    .option('-s, --size', 'Display total file sizes')
    .option('-n, --last <int>', 'Show n last created containers (includes all states)')
    .option('-l, --latest', 'Show the latest created container (includes all states)')
    .action(async (o: { all?: boolean; filter: string[]; format?: string; trunc: boolean; quiet?: boolean; size?: boolean; last?: string; latest?: boolean }) => {
      await withEngine(async (e) => {
        const filters = o.filter.map((f): [string, string] => {
          const i = f.indexOf('=');
          if (i <= 0) throw new InvalidArgumentError('bad format of filter (expected name=value)');
          return [f.slice(0, i), f.slice(i + 1)];
        });
        const wantsSize = !!o.size || (o.format?.includes('.Size') ?? false);
        const last = o.latest ? 1 : o.last === undefined ? undefined : Number(o.last);
        if (last !== undefined && !(Number.isInteger(last) && last >= 0)) throw new InvalidArgumentError(`invalid argument ${JSON.stringify(o.last)} for "-n, --last"`);
        const list = await e.containers.list({ all: o.all, last, size: wantsSize && !o.quiet, filters });
        const rows = list.map((c) => psRow(c, o.trunc, new Date()));
        if (o.quiet) {
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
      .action(async (refs: string[], o: { force?: boolean }) => withEngine((e) => forEachName(refs, o.force, async (r) => {
        await e.containers.remove(r, { force: o.force });
        stdout(r + '\n');
      })));
  }

  for (const cmd of both('export')) {
    cmd.description("Export a container's filesystem as a tar archive")
      .argument('<container>')
      .option('-o, --output <file>', 'Write to a file, instead of STDOUT')
      .action(async (ref: string, o: { output?: string }) => withEngine(async (e) => {
        if (!o.output && process.stdout.isTTY) throw new InvalidArgumentError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
        if (o.output) return writeOutputFile(o.output, () => e.containers.export(ref));
        // Loaded here: streams cost every other verb of this module their load (./stdio.ts).
        const { pipeline } = await import('node:stream/promises');
        await pipeline(e.containers.export(ref), process.stdout);
      }));
  }

  container.command('prune')
    .description('Remove all stopped containers')
    .option('-f, --force', 'Do not prompt for confirmation')
    .action(async (o: { force?: boolean }) => {
      if (!o.force && !confirm('WARNING! This will remove all stopped containers.')) return;
      await withEngine(async (e) => {
        const report = await e.containers.prune();
        if (report.ContainersDeleted?.length) stdout(`Deleted Containers:\n${report.ContainersDeleted.join('\n')}\n\n`);
        stdout(`Total reclaimed space: ${humanSize(report.SpaceReclaimed)}\n`);
      });
    });
}
