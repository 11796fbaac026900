/** GET /events' filters, as Docker's daemon reads them: type, event, container, image, volume, network, label, scope. */
import { InvalidArgumentError, type EventMessage, type FilterPair } from '../../engine/index.js';

const KEYS = ['type', 'event', 'container', 'image', 'volume', 'network', 'label', 'scope', 'daemon', 'plugin', 'node', 'service', 'secret', 'config'];

export function eventMatcher(pairs: readonly FilterPair[]): (e: EventMessage) => boolean {
  const by = new Map<string, string[]>();
  for (const [k, v] of pairs) {
    if (!KEYS.includes(k)) throw new InvalidArgumentError(`Invalid filter '${k}'`);
    by.set(k, [...(by.get(k) ?? []), v]);
  }
  const any = (key: string, test: (v: string) => boolean) => !by.has(key) || by.get(key)!.some(test);
  const names = (e: EventMessage) => [e.Actor.ID, e.Actor.Attributes.name ?? ''];
  const idOrName = (e: EventMessage, v: string) => names(e).some((n) => n === v || (n.length === 64 && n.startsWith(v)));
  return (e) =>
    any('type', (v) => v === e.Type)
    && any('event', (v) => v === e.Action || e.Action.startsWith(`${v}:`))
    && any('scope', (v) => v === e.scope)
    && (!by.has('container') || (e.Type === 'container' && by.get('container')!.some((v) => idOrName(e, v))))
    && (!by.has('volume') || (e.Type === 'volume' && by.get('volume')!.some((v) => idOrName(e, v))))
    && (!by.has('network') || (e.Type === 'network' && by.get('network')!.some((v) => idOrName(e, v))))
    && (!by.has('image') || by.get('image')!.some((v) => e.Actor.Attributes.image === v || (e.Type === 'image' && idOrName(e, v))))
    && (!by.has('label') || by.get('label')!.every((l) => {
      const [k, val] = l.split('=', 2) as [string, string | undefined];
      return val === undefined ? k in e.Actor.Attributes : e.Actor.Attributes[k] === val;
    }));
}
