/**
 * /networks/…: the two networks strata has (`--network none|host`), listed, inspected and filtered as Docker
 * lists its own `none` and `host`; what would make or change a network is refused, saying why.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError, type FilterPair } from '../../engine/index.js';
import { ApiError, filterPairs, sendJson } from '../http.js';
import type { Router } from '../router.js';

/** The keys Docker's daemon takes in `network ls --filter`. */
const FILTER_KEYS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'];

type Network = ReturnType<typeof predefined>[number];

/** `none` and `host`, made when the service starts (as Docker's daemon makes its own at its start); IDs stable per name. */
function predefined(created: string) {
  return ['none', 'host'].map((name) => ({
    Name: name, Id: createHash('sha256').update(`strata-network-${name}`).digest('hex'), Created: created, Scope: 'local',
    Driver: name === 'none' ? 'null' : 'host', EnableIPv6: false, IPAM: { Driver: 'default', Options: null, Config: [] },
    Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: {}, Options: {}, Labels: {},
  }));
}

/** Whether `n` passes every filter key given (any of a key's values), as Docker's network filters read them. */
function matcher(pairs: readonly FilterPair[]): (n: Network) => boolean {
  const by = new Map<string, string[]>();
  for (const [k, v] of pairs) {
    if (!FILTER_KEYS.includes(k)) throw new InvalidArgumentError(`Invalid filter '${k}'`);
    by.set(k, [...(by.get(k) ?? []), v]);
  }
  const any = (key: string, test: (v: string) => boolean) => !by.has(key) || by.get(key)!.some(test);
  return (n) =>
    any('driver', (v) => v === n.Driver)
    && any('id', (v) => n.Id.includes(v))
    && any('name', (v) => n.Name.includes(v))
    && any('scope', (v) => v === n.Scope)
    // Both are Docker's predefined networks: builtin, never custom, never dangling; neither has labels.
    && any('type', (v) => v === 'builtin')
    && any('dangling', (v) => v === 'false' || v === '0')
    && !by.has('label');
}

export function networkRoutes(r: Router): void {
  const networks = predefined(new Date().toISOString());
  const find = (ref: string) => networks.find((x) => x.Name === ref || x.Id.startsWith(ref));

  r.add('GET', '/networks', (req, { res }) => sendJson(res, 200, networks.filter(matcher(filterPairs(req.query)))));
  r.add('GET', '/networks/:id', (req, { res }) => {
    const n = find(req.params.id!);
    if (!n) throw new ApiError(404, `network ${req.params.id!} not found`);
    sendJson(res, 200, n);
  });
  r.add('DELETE', '/networks/:id', (req) => {
    const n = find(req.params.id!);
    if (!n) throw new ApiError(404, `network ${req.params.id!} not found`);
    throw new ApiError(403, `${n.Name} is a pre-defined network and cannot be removed`);
  });
  // Nothing to prune: strata makes no networks.
  r.add('POST', '/networks/prune', (_, { res }) => sendJson(res, 200, { NetworksDeleted: null }));
  r.add('POST', '/networks/create', () => {
    throw new ApiError(501, 'creating networks is not supported: strata has only the none and host networks (--network none|host); ' +
      'in a compose file, give every service network_mode: none or network_mode: host, so that compose creates no network');
  });
  for (const [verb, words] of [['connect', 'connecting a container to'], ['disconnect', 'disconnecting a container from']]) {
    r.add('POST', `/networks/:id/${verb}`, () => {
      throw new ApiError(501, `${words} a network is not supported: a strata container's network (none or host) is chosen when it is created (--network)`);
    });
  }
}
