/**
 * Routes: METHOD and a path pattern (`:name` one segment, `*name` the rest up to what follows: image names
 * have slashes) to a handler; a `/vX.Y` prefix is the API version asked for, as Docker's router reads it.
 */
import { ApiError, type Handler } from './http.js';
import { API_VERSION, checkVersion } from './versions.js';

interface Route { method: string; pattern: RegExp; names: string[]; handler: Handler }

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: Handler): this {
    const names: string[] = [];
    const source = path.split('/').map((seg) => {
      if (seg.startsWith(':')) { names.push(seg.slice(1)); return '([^/]+)'; }
      if (seg.startsWith('*')) { names.push(seg.slice(1)); return '(.+)'; }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }).join('/');
    this.routes.push({ method, pattern: new RegExp(`^${source}/?$`), names, handler });
    return this;
  }

  /**
   * The handler for a request, its path parameters, and the version asked for; Docker's 404
   * `page not found` for a path no route knows.
   */
  match(method: string, rawPath: string): { handler: Handler; params: Record<string, string>; path: string; version: string } {
    let path = rawPath;
    let version = API_VERSION;
    const prefixed = /^\/v(\d+\.\d+)(\/.*)$/.exec(rawPath);
    if (prefixed) {
      version = prefixed[1]!;
      path = prefixed[2]!;
      checkVersion(version);
    }
    // HEAD is answered by the GET route (Docker's router does the same for /_ping and archives).
    for (const m of method === 'HEAD' ? ['HEAD', 'GET'] : [method]) {
      for (const r of this.routes) {
        if (r.method !== m) continue;
        const found = r.pattern.exec(path);
        if (!found) continue;
        const params: Record<string, string> = {};
        r.names.forEach((n, i) => { params[n] = decodeURIComponent(found[i + 1]!); });
        return { handler: r.handler, params, path, version };
      }
    }
    throw new ApiError(404, 'page not found');
  }
}
