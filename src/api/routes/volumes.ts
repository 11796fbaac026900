/** /volumes/…: list, create, inspect, remove, prune. */
import { filterPairs, flag, sendEmpty, sendJson } from '../http.js';
import type { Router } from '../router.js';
import { compareVersions } from '../versions.js';
import type { Service } from './service.js';

export function volumeRoutes(r: Router, s: Service): void {
  const { volumes } = s.engine;
  r.add('GET', '/volumes', (req, { res }) => sendJson(res, 200, { Volumes: volumes.list({ filters: filterPairs(req.query) }), Warnings: [] }));
  r.add('POST', '/volumes/create', async (req, { res }) => {
    const b = await req.json<{ Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> }>();
    sendJson(res, 201, volumes.create({ name: b.Name || undefined, driver: b.Driver || 'local', options: b.DriverOpts ?? undefined, labels: b.Labels ?? undefined }));
  });
  r.add('POST', '/volumes/prune', (req, { res }) => {
    const filters = filterPairs(req.query);
    // Before API 1.42 a prune took every unused volume; since, only anonymous ones unless `all` (Docker 23's change).
    const all = compareVersions(req.version, '1.42') < 0 && !filters.some(([k]) => k === 'all');
    const report = volumes.prune({ all, filters });
    sendJson(res, 200, { VolumesDeleted: report.VolumesDeleted.length ? report.VolumesDeleted : null, SpaceReclaimed: report.SpaceReclaimed });
  });
  r.add('GET', '/volumes/:name', (req, { res }) => sendJson(res, 200, volumes.inspect(req.params.name!)));
  r.add('DELETE', '/volumes/:name', (req, { res }) => {
    volumes.remove(req.params.name!, { force: flag(req.query, 'force') });
    sendEmpty(res);
  });
}
