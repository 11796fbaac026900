/**
 * Where the engine's events come from: its verbs, each recorded once it has succeeded. Kept in one place
 * (rather than a line in every verb) so that the list of what Docker reports, and with which attributes,
 * can be read at a glance; a verb that fails records nothing, as in Docker.
 */
import type { Containers } from './containers.js';
import type { Events, EventType } from './events.js';
import type { Images } from './images.js';
import type { Processes } from './processes.js';
import type { Transfer } from './transfer.js';
import { familiarString } from '../images/reference.js';
import type { DeleteItem } from './types.js';
import type { Volumes } from './volumes.js';

type Method = (...args: never[]) => unknown;

/**
 * Replace `obj[key]` by a function that calls it and then `after(result, args, noted)`, where `noted` is
 * what `before(args)` read before the call (a container's name, which its removal takes away).
 */
function hook<T extends object, K extends keyof T, N>(
  obj: T, key: K,
  after: (result: Awaited<T[K] extends Method ? ReturnType<T[K]> : never>, args: T[K] extends Method ? Parameters<T[K]> : never, noted: NoInfer<N>) => void,
  before?: (args: T[K] extends Method ? Parameters<T[K]> : never) => N | Promise<N>,
): void {
  const original = obj[key] as unknown as (...a: unknown[]) => unknown;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    let noted: N | Promise<N> | undefined;
    try { noted = before?.(args as never); } catch { /* the verb itself will say what is wrong */ }
    const report = (r: unknown, n: N) => { try { after(r as never, args as never, n); } catch { /* an event never fails a verb */ } return r; };
    const call = (n: N) => {
      const result = original.apply(obj, args);
      return result instanceof Promise ? result.then((r) => report(r, n)) : report(result, n);
    };
    // A `before` that must wait (a container's state) delays the verb, which is async then too.
    return noted instanceof Promise ? noted.catch(() => undefined as N).then(call) : call(noted as N);
  };
  (obj as Record<K, unknown>)[key] = wrapped;
}

/** A container as its events name it. */
interface Actor { id: string; attrs: Record<string, string> }

export function recordContainerEvents(events: Events, containers: Containers): void {
  /** A container's attributes in its events: image, name and labels, as Docker's. */
  const actor = (ref: string): Actor => {
    const c = containers.resolve(ref);
    return { id: c.id, attrs: { ...(containers.config(c).Labels ?? {}), image: c.imageRef, name: c.name } };
  };
  const emit = (action: string, ref: string, extra: Record<string, string> = {}) => {
    const { id, attrs } = actor(ref);
    events.record('container', action, id, { ...attrs, ...extra });
  };
  hook(containers, 'create', (id) => emit('create', id));
  hook<Containers, 'remove', Actor>(containers, 'remove', (_, __, noted) => events.record('container', 'destroy', noted.id, noted.attrs), ([ref]) => actor(ref));
  hook<Containers, 'rename', Actor>(containers, 'rename', (_, [, name], noted) => emit('rename', noted.id, { oldName: `/${noted.attrs.name}`, name }), ([ref]) => actor(ref));
  hook(containers, 'commit', (imageId, [ref]) => emit('commit', ref, { imageID: imageId }));
  hook(containers, 'export', (_, [ref]) => emit('export', ref));
  hook(containers, 'prune', (report) => {
    for (const id of report.ContainersDeleted ?? []) events.record('container', 'destroy', id);
    events.record('container', 'prune', '', { reclaimed: String(report.SpaceReclaimed) });
  });
  const p: Processes = containers.processes;
  // When its process runs: `start` and a foreground run --rm without -t (Processes.runAttached) both announce it.
  hook(p, 'announceStart', (_, [c]) => emit('start', c.id));
  // That foreground run has no conmon, so no exit command to say `die`: it is said once the run has ended.
  hook(p, 'runAttached', (code, [ref]) => emit('die', ref, { exitCode: String(code) }));
  hook(p, 'stop', (_, [ref]) => emit('stop', ref));
  hook(p, 'kill', (_, [ref, signal]) => emit('kill', ref, { signal: String(signal ?? 'SIGKILL') }));
  hook(p, 'pause', (_, [ref]) => emit('pause', ref));
  hook(p, 'unpause', (_, [ref]) => emit('unpause', ref));
  hook(p, 'attach', (_, [ref]) => emit('attach', ref));
  // A start that relays the process's stdio (`run` in the foreground, `start -a`) attaches before it starts, as Docker's client does.
  hook(p, 'start', () => {}, ([ref, opts]) => { if (opts?.attach) emit('attach', ref); });
  hook(p, 'resize', (_, [ref, height, width]) => emit('resize', ref, { height: String(height), width: String(width) }));
  hook(p, 'exec', (code, [ref, o]) => emit('exec_die', ref, { execID: '', exitCode: String(code), ...(o.cmd.length ? { command: o.cmd.join(' ') } : {}) }));
  // conmon's exit command: the process is gone. Recorded before the cleanup, which may remove the container
  // (--rm): a client waiting for the removal reads the exit code from this event.
  hook(p, 'cleanup', () => {}, async ([ref]) => {
    const c = containers.resolve(ref);
    const state = await p.state(c);
    if (state.status === 'exited') events.record('container', 'die', c.id, { ...actor(c.id).attrs, exitCode: String(state.exitCode) });
  });
}

export function recordImageEvents(events: Events, images: Images): void {
  /**
   * As Docker's daemon names them: an `untag` by the image's ID (name too), not the name it took away. A name
   * goes before its image's `Deleted` item; a name whose image stays is the removed reference's (`named`).
   */
  const deleted = (items: readonly DeleteItem[], named?: string) => {
    items.forEach((item, i) => {
      if ('Deleted' in item) return events.record('image', 'delete', item.Deleted, { name: item.Deleted });
      const next = items.slice(i + 1).find((x): x is { Deleted: string } => 'Deleted' in x);
      const id = next?.Deleted ?? named ?? item.Untagged;
      events.record('image', 'untag', id, { name: id });
    });
  };
  // Docker's import names the image by its ID; a tag, by the new name in its familiar form.
  hook(images, 'import', (id, [, opts]) => {
    if (opts?.reference) events.record('image', 'tag', id, { name: familiarString(images.normalizeTag(opts.reference)) });
    events.record('image', 'import', id, { name: id });
  });
  hook(images, 'tag', (_, [source, target]) => events.record('image', 'tag', images.resolve(source).id, { name: familiarString(images.normalizeTag(target)) }));
  hook<Images, 'remove', string>(images, 'remove', (items, _, id) => deleted(items, id), ([ref]) => images.resolve(ref).id);
  hook(images, 'prune', (report) => {
    deleted(report.ImagesDeleted ?? []);
    events.record('image', 'prune', '', { reclaimed: String(report.SpaceReclaimed) });
  });
}

export function recordTransferEvents(events: Events, transfer: Transfer, images: Images): void {
  hook(transfer, 'load', (result) => {
    for (const img of result.images) events.record('image', 'load', img.Id, { name: img.Id });
  });
  // Each image saved, by its ID (a bare repository saves every tag of it).
  const ids = (refs: string[]) => [...new Set(refs.flatMap((r) => {
    try {
      return [images.resolve(r).id];
    } catch {
      return images.list({ filters: [['reference', r]] }).map((i) => i.Id);
    }
  }))];
  hook(transfer, 'save', (_, [refs]) => { for (const id of ids(refs)) events.record('image', 'save', id, { name: id }); });
}

export function recordVolumeEvents(events: Events, volumes: Volumes): void {
  const type: EventType = 'volume';
  hook(volumes, 'create', (v) => events.record(type, 'create', v.Name, { driver: v.Driver }));
  hook(volumes, 'remove', (_, [name], existed) => { if (existed) events.record(type, 'destroy', name, { driver: 'local' }); },
    ([name]) => Boolean(volumes.inspect(name)));
  // prune removes each volume through `remove`, which records its `destroy`.
  hook(volumes, 'prune', (report) => {
    events.record(type, 'prune', '', { reclaimed: String(report.SpaceReclaimed) });
  });
}
