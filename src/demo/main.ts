/**
 * The seed scenario, run through the strata CLI on the default store so a user sees each command and
 * its output: a busybox base image, the cow-test images built from the seeds' two Dockerfiles with
 * `strata build` (and built again, from the cache), five running containers (`run -dit … sh`) sharing every image layer, one of them
 * changed with `exec`, and what `ps -s`, `diff`, `commit`, `history` and `system df` say about it; then the
 * seeds' data volumes: `-v /chest`, a volume shared through `--volumes-from box`, and a host directory.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const STRATA = resolve(fileURLToPath(import.meta.url), '../../../bin/strata');
const CONTAINERS = [1, 2, 3, 4, 5].map((i) => `my_container_${i}`);
const VOLUME_CONTAINERS = ['demo', 'box', 'AA', 'BB', 'hi'];
const IMAGES = ['acme/my-changed-image:1.0', 'acme/my-final-image:1.0', 'acme/my-base-image:1.0', 'busybox:latest'];

/** Run `strata args…`, echoing the command line and its output; stop the demo if it fails. */
function strata(args: string[], opts: { quiet?: boolean; mayFail?: boolean } = {}): string {
  if (!opts.quiet) process.stdout.write(`\n$ strata ${args.map((a) => (/[\s"'{}]/.test(a) ? `'${a}'` : a)).join(' ')}\n`);
  const r = spawnSync(STRATA, args, { encoding: 'utf8' });
  if (!opts.quiet) process.stdout.write(r.stdout + r.stderr);
  if (r.status !== 0 && !opts.mayFail) throw new Error(`strata ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

function section(title: string): void {
  process.stdout.write(`\n### ${title}\n`);
}

/** A root filesystem from the host's busybox-static: the base image every demo layer sits on. */
function busyboxTar(work: string): string {
  const root = join(work, 'rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'root', 'var/log']) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', join(root, 'bin/busybox'));
  const applets = execFileSync('/bin/busybox', ['--list']).toString().split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(root, 'bin', a));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
  const tar = join(work, 'busybox.tar');
  execFileSync('tar', ['-C', root, '--numeric-owner', '-cf', tar, '.']);
  return tar;
}

/** The seeds' cow-test directory: hello.sh, Dockerfile.base (COPY . /app on the base) and Dockerfile (CMD on that). */
function cowTest(work: string): string {
  const dir = join(work, 'cow-test');
  mkdirSync(dir);
  writeFileSync(join(dir, 'hello.sh'), '#!/bin/sh\necho "Hello world"\n');
  chmodSync(join(dir, 'hello.sh'), 0o755);
  writeFileSync(join(dir, 'Dockerfile.base'), 'FROM busybox:latest\nCOPY . /app\n');
  writeFileSync(join(dir, 'Dockerfile'), 'FROM acme/my-base-image:1.0\nCMD /app/hello.sh\n');
  return dir;
}

function cleanUp(): void {
  strata(['rm', '-f', '-v', ...CONTAINERS, ...VOLUME_CONTAINERS], { quiet: true, mayFail: true });
  for (const img of IMAGES) strata(['rmi', img], { quiet: true, mayFail: true });
}

function main(): void {
  const work = mkdtempSync(join(tmpdir(), 'strata-demo-'));
  try {
    cleanUp();
    section('A base image from the host\'s busybox-static');
    strata(['import', '-m', 'busybox-static from the host', busyboxTar(work), 'busybox:latest']);

    section('cow-test: the seeds\' two Dockerfiles, built with strata build');
    const cow = cowTest(work);
    strata(['build', '-t', 'acme/my-base-image:1.0', '-f', join(cow, 'Dockerfile.base'), cow]);
    strata(['build', '-t', 'acme/my-final-image:1.0', cow]);
    strata(['images']);
    strata(['history', 'acme/my-final-image:1.0']);

    section('Built again: every step from the cache');
    strata(['build', '-t', 'acme/my-base-image:1.0', '-f', join(cow, 'Dockerfile.base'), cow]);
    strata(['build', '-t', 'acme/my-final-image:1.0', cow]);

    section('The image runs');
    strata(['run', '--rm', 'acme/my-final-image:1.0']);

    section('Five running containers from one image: five thin writable layers');
    for (const c of CONTAINERS) strata(['run', '-dit', '--name', c, 'acme/my-final-image:1.0', 'sh']);
    strata(['ps', '-a', '-s']);

    section('Copy-on-write: change my_container_1 from inside it');
    strata(['exec', 'my_container_1', 'sh', '-c',
      'echo \'echo "changed in my_container_1"\' >> /app/hello.sh; echo "written by my_container_1" > /tmp/notes.txt; rm /etc/group']);
    strata(['exec', 'my_container_1', '/app/hello.sh']);
    strata(['diff', 'my_container_1']);
    strata(['ps', '-a', '-s']);
    strata(['inspect', '--format', '{{json .GraphDriver}}', 'my_container_1']);

    section('Commit the change: one more layer on the shared ones');
    strata(['commit', '-m', 'changed in my_container_1', 'my_container_1', 'acme/my-changed-image:1.0']);
    strata(['history', 'acme/my-changed-image:1.0']);
    strata(['inspect', '--format', '{{range .RootFS.Layers}}{{println .}}{{end}}', 'acme/my-changed-image:1.0']);

    section('What is shared and what each container adds');
    strata(['system', 'df']);
    strata(['system', 'df', '-v']);

    section('A data volume: -v /chest, and where its file is on the host');
    strata(['run', '--name', 'demo', '-v', '/chest', 'busybox:latest', 'touch', '/chest/coins']);
    strata(['inspect', '--format', '{{json .Mounts}}', 'demo']);
    const source = strata(['inspect', '--format', '{{range .Mounts}}{{.Source}}{{end}}', 'demo'], { quiet: true });
    process.stdout.write(`\n$ ls ${source}\n${execFileSync('ls', [source]).toString()}`);

    section('Sharing a volume: --volumes-from box');
    strata(['create', '--name', 'box', '-v', '/share-vol', 'busybox:latest', 'nop']);
    strata(['run', '--name', 'AA', '--volumes-from', 'box', 'busybox:latest', 'touch', '/share-vol/wine']);
    strata(['run', '--name', 'BB', '--volumes-from', 'box', 'busybox:latest', 'ls', '/share-vol']);

    section('A host directory: -v HOST:/data');
    const hostDir = join(work, 'host/dir');
    strata(['run', '--name', 'hi', '-v', `${hostDir}:/data`, 'busybox:latest', 'touch', '/data/hi']);
    strata(['rm', 'hi']);
    process.stdout.write(`\n$ ls ${hostDir}\n${execFileSync('ls', [hostDir]).toString()}`);
    strata(['volume', 'ls']);
    registryRoundTrip(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Through a registry (issue 12): the demo's final image pushed to a docker-registry started here on
 * loopback, its name removed and pulled back (its layers are still here: `Already exists`), then pulled
 * into an empty store, which downloads every layer.
 */
function registryRoundTrip(work: string): void {
  section('Through a registry: push to a local docker-registry, remove, pull back');
  const free = 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])';
  const port = execFileSync('python3', ['-c', free]).toString().trim();
  const dir = join(work, 'registry');
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.yml'), `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const registry = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  try {
    const wait = `import socket, time\nfor i in range(100):\n  try:\n    socket.create_connection(("127.0.0.1", ${port})).close(); break\n  except OSError: time.sleep(0.1)`;
    execFileSync('python3', ['-c', wait]);
    const name = `127.0.0.1:${port}/acme/my-final-image:1.0`;
    strata(['tag', 'acme/my-final-image:1.0', name]);
    strata(['push', name]);
    strata(['rmi', name]);
    strata(['pull', name]);
    strata(['--root', join(work, 'empty-store'), 'pull', name]);
    strata(['--root', join(work, 'empty-store'), 'images', '--digests']);
    strata(['rmi', name], { quiet: true });
  } finally {
    registry.kill();
  }
}

main();
