/** Small root filesystems for tests, built from the host's busybox-static, and tars of them. */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUSYBOX = '/bin/busybox';

/** A minimal busybox rootfs: /bin/busybox with sh, ls, cat, echo links, /etc, /tmp. Returns its directory. */
export function busyboxRootfs(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-rootfs-'));
  for (const d of ['bin', 'etc', 'tmp', 'root', 'var/log']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  for (const applet of ['sh', 'ls', 'cat', 'echo', 'touch', 'rm']) symlinkSync('busybox', join(dir, 'bin', applet));
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc/hostname'), 'strata\n');
  writeFileSync(join(dir, 'var/log/app.log'), 'old log line\n');
  return dir;
}

/** A tar of `dir` made by GNU tar, as a user would make one for `import`. */
export function tarOf(dir: string, opts: { gzip?: boolean } = {}): Buffer {
  return execFileSync('tar', ['-C', dir, '--numeric-owner', '--xattrs', '--xattrs-include=*', opts.gzip ? '-czf' : '-cf', '-', '.'], { maxBuffer: 1 << 30 });
}
