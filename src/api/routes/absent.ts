/**
 * What Docker's daemon has and strata has not: swarm mode, plugins, changing a container's resources. Each is
 * answered as dockerd answers on a host that uses none of it (no swarm joined, no plugin installed), or, where
 * dockerd would do something, refused saying so, never with the router's `page not found`.
 */
import { ApiError, sendJson, type Handler } from '../http.js';
import type { Router } from '../router.js';

/** dockerd's answer while its node is in no swarm (503, its errdefs.Unavailable). */
const NOT_A_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

const refuse = (status: number, message: string): Handler => () => { throw new ApiError(status, message); };

export function absentRoutes(r: Router): void {
  // Swarm: every object a manager keeps, read or written, is dockerd's "not a swarm manager"; leaving, "not part of a swarm".
  for (const kind of ['nodes', 'services', 'tasks', 'secrets', 'configs']) {
    for (const method of ['GET', 'POST', 'DELETE']) {
      r.add(method, `/${kind}`, refuse(503, NOT_A_MANAGER));
      r.add(method, `/${kind}/*rest`, refuse(503, NOT_A_MANAGER));
    }
  }
  r.add('GET', '/swarm', refuse(503, NOT_A_MANAGER));
  r.add('GET', '/swarm/unlockkey', refuse(503, NOT_A_MANAGER));
  r.add('POST', '/swarm/leave', refuse(503, 'This node is not part of a swarm'));
  for (const verb of ['init', 'join', 'update', 'unlock']) r.add('POST', `/swarm/${verb}`, refuse(501, 'swarm mode is not supported by strata'));

  // Plugins: none is installed, and none can be.
  r.add('GET', '/plugins', (_, { res }) => sendJson(res, 200, []));
  r.add('GET', '/plugins/privileges', refuse(501, 'plugins are not supported by strata'));
  r.add('GET', '/plugins/*name/json', (req) => { throw new ApiError(404, `plugin "${req.params.name!}" not found`); });
  r.add('POST', '/plugins/pull', refuse(501, 'plugins are not supported by strata'));
  r.add('POST', '/plugins/create', refuse(501, 'plugins are not supported by strata'));
  r.add('POST', '/plugins/*rest', refuse(501, 'plugins are not supported by strata'));
  r.add('DELETE', '/plugins/*name', (req) => { throw new ApiError(404, `plugin "${req.params.name!}" not found`); });

  r.add('POST', '/containers/:id/update', refuse(501,
    'updating a running container\'s resources is not supported by strata: give them when the container is created (docker run/create flags)'));
}
