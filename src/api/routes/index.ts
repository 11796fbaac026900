/** Every route of the service, on one router. */
import { Router } from '../router.js';
import { absentRoutes } from './absent.js';
import { archiveRoutes } from './archive.js';
import { containerRoutes } from './containers.js';
import { execRoutes } from './exec.js';
import { imageRoutes } from './images.js';
import { networkRoutes } from './networks.js';
import type { Service } from './service.js';
import { systemRoutes } from './system.js';
import { volumeRoutes } from './volumes.js';

export type { Service } from './service.js';

export function routes(s: Service): Router {
  const r = new Router();
  systemRoutes(r, s);
  containerRoutes(r, s);
  archiveRoutes(r, s);
  execRoutes(r, s);
  imageRoutes(r, s);
  volumeRoutes(r, s);
  networkRoutes(r);
  absentRoutes(r);
  return r;
}
