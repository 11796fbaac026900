/**
 * GET /events' filters, as Docker's daemon reads them (its events.Filter): every key given must match, any of
 * its values. Keys it does not know are not refused, and match everything, as Docker's.
 */
import type { EventMessage, FilterPair } from '../../engine/index.js';

/**
 * Keys matched on the actor's ID or name by prefix, whatever the event's type (Docker's fuzzyMatchName): a
 * volume `web-data`'s events pass `container=web`, as with Docker.
 */
const BY_NAME = ['container', 'volume', 'network', 'daemon', 'plugin', 'node', 'service', 'secret', 'config'];

/** An image reference without its tag (Docker's stripTag), so `image=busybox` matches `busybox:latest`. */
const stripTag = (ref: string) => ref.replace(/:[^:/@]+$/, '');

export function eventMatcher(pairs: readonly FilterPair[]): (e: EventMessage) => boolean {
  const by = new Map<string, string[]>();
  for (const [k, v] of pairs) by.set(k, [...(by.get(k) ?? []), v]);
  const any = (key: string, test: (v: string) => boolean) => !by.has(key) || by.get(key)!.some(test);
  const names = (e: EventMessage) => [e.Actor.ID, e.Actor.Attributes.name ?? ''];
  return (e) => {
    const image = e.Type === 'image' ? e.Actor.Attributes.name : e.Actor.Attributes.image;
    const images = [e.Actor.ID, ...(image ? [image, stripTag(image)] : []), stripTag(e.Actor.ID)];
    return any('type', (v) => v === e.Type)
      && any('event', (v) => v === e.Action || e.Action.startsWith(`${v}:`))
      && any('scope', (v) => v === e.scope)
      && BY_NAME.every((key) => any(key, (v) => names(e).some((n) => n.startsWith(v))))
      && any('image', (v) => images.includes(v))
      && (!by.has('label') || by.get('label')!.every((l) => {
        const [k, val] = l.split('=', 2) as [string, string | undefined];
        return val === undefined ? k in e.Actor.Attributes : e.Actor.Attributes[k] === val;
      }));
  };
}
