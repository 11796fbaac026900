/** /_ping, /version, /info, /system/df, /events. */
import { createHash } from 'node:crypto';
import { availableParallelism, hostname, release, totalmem } from 'node:os';
import { STRATA_VERSION } from '../../engine/version.js';
import type { EventMessage } from '../../engine/index.js';
import { ApiError, filterPairs, sendJson } from '../http.js';
import type { Router } from '../router.js';
import { API_VERSION, MIN_API_VERSION } from '../versions.js';
import { hostInfo } from '../hostinfo.js';
import { eventMatcher } from './eventfilter.js';
import { withVirtualSize } from './images.js';
import type { Service } from './service.js';

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

/** The store's identity, shaped as Docker 23+'s daemon ID (a UUID), stable for the store's root. */
function storeId(root: string): string {
  const h = createHash('sha256').update(root).digest('hex');
  return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20, 32)].join('-');
}

/** Event times in a query: Unix seconds with an optional fraction (the CLI turns durations into these). */
function unixNs(v: string | null): number | undefined {
  if (!v) return undefined;
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (!m) throw new ApiError(400, `invalid timestamp ${JSON.stringify(v)}`);
  return Number(m[1]) * 1e9 + Number((m[2] ?? '').padEnd(9, '0'));
}

export function systemRoutes(r: Router, s: Service): void {
  const { engine } = s;
  const ping = (_: unknown, { res }: { res: import('node:http').ServerResponse }) => {
    res.writeHead(200, {
      'Api-Version': API_VERSION, 'Docker-Experimental': 'false', Ostype: 'linux', Server: `strata/${STRATA_VERSION}`,
      'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 2,
    });
    res.end('OK');
  };
  r.add('GET', '/_ping', ping);
  r.add('HEAD', '/_ping', (_, reply) => {
    reply.res.writeHead(200, { 'Api-Version': API_VERSION, 'Docker-Experimental': 'false', Ostype: 'linux', 'Content-Length': 0, 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache' });
    reply.res.end();
  });

  r.add('GET', '/version', (_, { res }) => {
    const host = hostInfo();
    const details = { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: GO_ARCH[process.arch] ?? process.arch, KernelVersion: release(), BuildTime: host.buildTime };
    // The programs that run the containers, as Docker lists containerd, runc and docker-init.
    const programs = (['runc', 'conmon'] as const).flatMap((name) => {
      const v = host[name];
      return v ? [{ Name: name, Version: v.version, Details: { GitCommit: v.commit } }] : [];
    });
    sendJson(res, 200, {
      Platform: { Name: 'strata' },
      Components: [{ Name: 'Engine', Version: STRATA_VERSION, Details: { ...details, GitCommit: '', GoVersion: `bun ${process.versions.bun ?? ''}`, Experimental: 'false' } }, ...programs],
      Version: STRATA_VERSION, GitCommit: '', GoVersion: `bun ${process.versions.bun ?? ''}`, ...details,
    });
  });

  r.add('GET', '/info', async (_, { res }) => {
    const host = hostInfo();
    const all = await engine.containers.list({ all: true });
    const count = (state: string) => all.filter((c) => c.State === state).length;
    sendJson(res, 200, {
      ID: storeId(engine.store.root), Containers: all.length,
      ContainersRunning: count('running'), ContainersPaused: count('paused'), ContainersStopped: all.length - count('running') - count('paused'),
      Images: engine.images.list({ all: true }).length, Driver: engine.store.snapshots.name,
      DriverStatus: host.driverStatus(engine.store.root, engine.store.snapshots.name),
      Plugins: { Volume: ['local'], Network: ['host', 'null'], Authorization: null, Log: ['k8s-file'] },
      MemoryLimit: true, SwapLimit: host.swapLimit, KernelMemory: false, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true,
      PidsLimit: true, IPv4Forwarding: host.ipv4Forwarding, BridgeNfIptables: host.bridgeNfIptables, BridgeNfIp6tables: host.bridgeNfIp6tables,
      Debug: false, NFd: 0, OomKillDisable: host.oomKillDisable,
      NGoroutines: 0, SystemTime: new Date().toISOString(), LoggingDriver: 'k8s-file', CgroupDriver: 'cgroupfs', CgroupVersion: host.cgroupVersion,
      NEventsListener: 0, KernelVersion: release(), OperatingSystem: host.operatingSystem, OSVersion: host.osVersion, OSType: 'linux',
      Architecture: process.arch === 'x64' ? 'x86_64' : process.arch, IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: { AllowNondistributableArtifactsCIDRs: [], AllowNondistributableArtifactsHostnames: [], InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: {}, Mirrors: [] },
      NCPU: availableParallelism(), MemTotal: totalmem(), GenericResources: null, DockerRootDir: engine.store.root, HttpProxy: '', HttpsProxy: '', NoProxy: '',
      Name: hostname(), Labels: [], ExperimentalBuild: false, ServerVersion: STRATA_VERSION,
      Runtimes: { runc: { path: 'runc' }, crun: { path: 'crun' } }, DefaultRuntime: 'runc',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: false, Isolation: '', InitBinary: 'docker-init', ContainerdCommit: { ID: '', Expected: '' },
      RuncCommit: { ID: host.runc?.commit ?? '', Expected: host.runc?.commit ?? '' }, InitCommit: { ID: '', Expected: '' },
      // The host's facts above are what the docker CLI warns about; strata has none of its own to add.
      SecurityOptions: ['name=seccomp,profile=default'], Warnings: [],
    });
  });

  r.add('GET', '/system/df', async (req, { res }) => {
    const df = await engine.system.df();
    const volumes = new Map(engine.volumes.list().map((v) => [v.Name, v]));
    sendJson(res, 200, { ...df, Images: withVirtualSize(req.version, df.Images), Volumes: df.Volumes.map((v) => ({ ...volumes.get(v.Name), ...v })) });
  });

  r.add('GET', '/events', async (req, reply) => {
    const since = unixNs(req.query.get('since'));
    const until = unixNs(req.query.get('until'));
    const matches = eventMatcher(filterPairs(req.query));
    const { res } = reply;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const send = (events: EventMessage[]) => {
      for (const e of events) {
        if (since !== undefined && e.timeNano < since) continue;
        if (until !== undefined && e.timeNano > until) continue;
        if (matches(e)) res.write(JSON.stringify(e) + '\n');
      }
    };
    // Without `since`, only what happens from now on; with it, what is recorded first.
    let cursor = since === undefined ? engine.events.end() : engine.events.start();
    const endless = AbortSignal.any([reply.signal, s.stopping]);
    for (;;) {
      const next = engine.events.readFrom(cursor);
      cursor = next.cursor;
      send(next.events);
      if (endless.aborted || (until !== undefined && Date.now() * 1e6 > until)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    res.end();
  });
}
