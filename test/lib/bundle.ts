/** Bundles for the runtime tests: a busybox rootfs with users and groups, and config.json from src/runtime/spec.ts. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostDevices, hostFacts } from '../../src/runtime/host.js';
import { hostNetworkFiles, networkFiles, writeNetworkFiles } from '../../src/runtime/netfiles.js';
import { containerHostname, containerSpec, type ContainerRunOptions } from '../../src/runtime/spec.js';
import { resolveUser } from '../../src/runtime/user.js';
import { BUSYBOX } from './rootfs.js';

/** Users and groups of the test rootfs: root is in wheel; app (1000) in wheel and staff. */
export const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000:app:/home/app:/bin/sh\n';
export const GROUP = 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\nstaff:x:50:app\nwheel:x:10:root,app\n';

/** A rootfs of Debian's busybox-static with every applet linked in /bin, /etc/passwd and /etc/group. */
export function busyboxUserland(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-runtime-rootfs-'));
  chmodSync(dir, 0o755);
  for (const d of ['bin', 'etc', 'tmp', 'root', 'home/app']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  execFileSync('chroot', [dir, '/bin/busybox', '--install', '-s', '/bin']);
  writeFileSync(join(dir, 'etc/passwd'), PASSWD);
  writeFileSync(join(dir, 'etc/group'), GROUP);
  return dir;
}

export const newId = (): string => randomBytes(32).toString('hex');

export interface Bundle { id: string; dir: string; containerDir: string; warnings: string[] }

/** A bundle in a fresh directory under `parent` for a container of `rootfs`, as the engine will make one. */
export function makeBundle(parent: string, rootfs: string, opts: Partial<ContainerRunOptions> & { userSpec?: string } = {}): Bundle {
  const id = opts.id ?? newId();
  const dir = join(parent, id);
  mkdirSync(dir, { recursive: true });
  const host = hostFacts();
  const { userSpec, ...rest } = opts;
  const network = opts.network ?? 'none';
  writeNetworkFiles(dir, networkFiles(containerHostname({ id, hostname: opts.hostname, network }, host), network, hostNetworkFiles()));
  const built = containerSpec({
    id, rootfs, containerDir: dir, image: { Cmd: ['sh'] }, user: resolveUser(rootfs, userSpec ?? ''), ...rest, network,
  }, host, opts.privileged ? hostDevices() : []);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(built.spec));
  return { id, dir, containerDir: dir, warnings: built.warnings };
}
