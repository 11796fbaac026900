/**
 * Volumes as a user meets them: `-v`, `--mount`, `--tmpfs`, `--volumes-from` and the image's VOLUMEs given to
 * `create`, what inspect shows, and what a container sees: each container is run by real runc on its own
 * rootfs (`strata mount`) with the OCI mounts the engine plans for it (Volumes.mountsForStart), as `run` will.
 */
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chownSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../src/engine/index.js';
import { OciRuntime } from '../src/runtime/runc.js';
import { makeBundle } from './lib/bundle.js';
import { busyboxRootfs, tarOf } from './lib/rootfs.js';
import { DRIVERS, testStore, type TestStore } from './lib/strata.js';

const IMAGE = 'volimg:1';
const ANON = /^[0-9a-f]{64}$/;

let s: TestStore;
let work: string;
let runc: OciRuntime;

interface MountJson { Type: string; Name?: string; Source: string; Destination: string; Driver?: string; Mode: string; RW: boolean; Propagation: string }

const inspect = <T>(ref: string, path: string): T => JSON.parse(s.ok(['inspect', '-f', `{{json ${path}}}`, ref])) as T;
const mountsOf = (ref: string): MountJson[] => inspect<MountJson[]>(ref, '.Mounts');
const create = (...args: string[]): string => s.ok(['create', ...args]).trim();

/** Start the container as `run` will: its rootfs mounted, the engine's OCI mounts, runc. Its exit code and output. */
async function start(ref: string, cmd: string[]): Promise<{ code: number; out: string }> {
  const engine = await Engine.open({ root: s.root, driver: s.driver });
  let bundle: string;
  try {
    const c = engine.containers.resolve(ref);
    const rootfs = engine.containers.mount(c.id);
    const mounts = engine.volumes.mountsForStart(c.id, rootfs);
    bundle = makeBundle(work, rootfs, { cmd, mounts }).dir;
  } finally {
    engine.close();
  }
  const outPath = join(bundle, 'out');
  const fd = openSync(outPath, 'w');
  try {
    const code = await runc.run(join(bundle).split('/').at(-1)!, bundle, { stdio: ['ignore', fd, fd] });
    return { code, out: readFileSync(outPath, 'utf8') };
  } finally {
    closeSync(fd);
    s.ok(['unmount', ref]);
  }
}

/** The store for one driver's run of the suite: the image below, made as the suite starts. */
function setUp(driver: string): void {
  s = testStore(driver);
  work = mkdtempSync(join(tmpdir(), 'strata-vol-'));
  runc = new OciRuntime('runc', join(work, 'state'));
  // The image: busybox, a /data directory with an owner, a mode and a file, declared a VOLUME.
  const rootfs = busyboxRootfs();
  mkdirSync(join(rootfs, 'data'));
  writeFileSync(join(rootfs, 'data/seed'), 'from the image\n');
  chownSync(join(rootfs, 'data'), 1000, 50);
  chmodSync(join(rootfs, 'data'), 0o710);
  s.ok(['import', '-c', 'VOLUME /data', '-c', 'CMD ["sh"]', '-', IMAGE], tarOf(rootfs));
  rmSync(rootfs, { recursive: true, force: true });
}

function tearDown(): void {
  s.cleanup();
  rmSync(work, { recursive: true, force: true });
}

for (const driver of DRIVERS) describe(`volumes on ${driver}`, () => {
  before(() => setUp(driver));
  after(tearDown);

  test('the seeds: -v /chest keeps a file on the host where inspect says; box/AA/BB share through --volumes-from', async () => {
    const demo = create('--name', 'demo', '-v', '/chest', IMAGE);
    const [chest] = mountsOf(demo).filter((m) => m.Destination === '/chest');
    assert.ok(chest && ANON.test(chest.Name!));
    assert.deepEqual(chest, {
      Type: 'volume', Name: chest.Name, Source: join(s.root, 'volumes', chest.Name!, '_data'), Destination: '/chest',
      Driver: 'local', Mode: '', RW: true, Propagation: '',
    });
    assert.deepEqual(inspect(demo, '.Config.Volumes'), { '/chest': {}, '/data': {} });
    assert.equal((await start('demo', ['touch', '/chest/coins'])).code, 0);
    assert.deepEqual(readdirSync(chest.Source), ['coins']);

    // box never runs: its anonymous volume exists from create on.
    create('--name', 'box', '-v', '/share-vol', IMAGE, 'nop');
    create('--name', 'AA', '--volumes-from', 'box', IMAGE);
    create('--name', 'BB', '--volumes-from', 'box', IMAGE);
    assert.deepEqual(inspect('AA', '.HostConfig.VolumesFrom'), ['box']);
    assert.equal((await start('AA', ['touch', '/share-vol/wine'])).code, 0);
    assert.deepEqual(await start('BB', ['ls', '/share-vol']), { code: 0, out: 'wine\n' });
    const shared = mountsOf('box').find((m) => m.Destination === '/share-vol')!;
    assert.equal(mountsOf('BB').find((m) => m.Destination === '/share-vol')!.Name, shared.Name);
  });

  test('an empty new volume is seeded from the image (owner, mode, files) unless nocopy', async () => {
    create('--name', 'seeded', IMAGE);
    const [data] = mountsOf('seeded');
    assert.equal(data!.Destination, '/data');
    assert.deepEqual(readdirSync(data!.Source), [], 'not seeded before first use');
    assert.deepEqual(await start('seeded', ['cat', '/data/seed']), { code: 0, out: 'from the image\n' });
    const st = statSync(data!.Source);
    assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [1000, 50, 0o710]);
    assert.equal(readFileSync(join(data!.Source, 'seed'), 'utf8'), 'from the image\n');

    create('--name', 'nocopy', '-v', 'nocopyvol:/data:nocopy', IMAGE);
    assert.deepEqual(await start('nocopy', ['ls', '-A', '/data']), { code: 0, out: '' });
    assert.deepEqual(readdirSync(join(s.root, 'volumes/nocopyvol/_data')), []);
  });

  test('named :ro, binds (a missing -v host dir is made), tmpfs: in the OCI mounts and as the container sees them', async () => {
    const host = join(work, 'host', 'dir');
    create('--name', 'kinds', '-v', 'named:/n:ro', '-v', `${host}:/h`, '--tmpfs', '/t:size=64k', '--mount', 'type=volume,src=mvol,dst=/m,volume-nocopy', IMAGE);
    assert.deepEqual(mountsOf('kinds').map((m) => [m.Type, m.Name ?? m.Source, m.Destination, m.Mode, m.RW, m.Propagation]), [
      ['volume', 'named', '/n', 'ro', false, ''],
      ['bind', host, '/h', '', true, 'rprivate'],
      ['volume', 'mvol', '/m', 'z', true, ''],
      ['volume', mountsOf('kinds')[3]!.Name, '/data', '', true, ''],
    ]);
    assert.deepEqual(inspect('kinds', '.HostConfig.Binds'), ['named:/n:ro', `${host}:/h`]);
    assert.deepEqual(inspect('kinds', '.HostConfig.Tmpfs'), { '/t': 'size=64k' });
    assert.deepEqual(inspect('kinds', '.HostConfig.Mounts'), [{ Type: 'volume', Source: 'mvol', Target: '/m', VolumeOptions: { NoCopy: true, DriverConfig: {} } }]);
    // One stream each line, so runc's copying of stdout and stderr cannot reorder them.
    const r = await start('kinds', ['sh', '-c', 'm=$(touch /n/x 2>&1); echo "$? $m"; echo hi > /h/hi && grep " /t " /proc/mounts | cut -d" " -f3,4']);
    assert.equal(r.out, '1 touch: /n/x: Read-only file system\ntmpfs rw,nosuid,nodev,noexec,relatime,size=64k\n');
    assert.equal(readFileSync(join(host, 'hi'), 'utf8'), 'hi\n');

    // --volumes-from C:ro: C's volumes and binds (not its --tmpfs), all read-only, Mode empty, as Docker's daemon copies them.
    create('--name', 'rofrom', '--volumes-from', 'kinds:ro', IMAGE);
    assert.deepEqual(mountsOf('rofrom').map((m) => [m.Type, m.Destination, m.Mode, m.RW]),
      [['volume', '/n', '', false], ['bind', '/h', '', false], ['volume', '/m', '', false], ['volume', '/data', '', false]]);
    const ro = await start('rofrom', ['sh', '-c', 'm=$(touch /h/no 2>&1); echo "$? $m"']);
    assert.equal(ro.out, '1 touch: /h/no: Read-only file system\n');
    assert.ok(!existsSync(join(host, 'no')));
  });

  test('unparseable specs get Docker\'s errors and exit codes and leave nothing made', () => {
    const before = [s.ok(['ps', '-aq']), s.ok(['volume', 'ls', '-q'])];
    const cases: [string[], number, string][] = [
      [['-v', ':/x'], 125, 'Error: invalid spec: :/x: empty section between colons\n'],
      // Docker 20.10's CLI passes these on; its daemon words them (newer CLIs refuse them first, differently).
      [['-v', '/a:/b:c:d:e'], 1, `Error: invalid volume specification: '/a:/b:c:d:e'\n`],
      [['-v', 'a::b'], 1, 'Error: invalid mode: b\n'],
      [['-v', '/a::ro'], 1, `Error: invalid volume specification: '/a::ro': invalid mount config for type "bind": field Target must not be empty\n`],
      [['-v', '/a:b'], 1, `Error: invalid volume specification: '/a:b': invalid mount config for type "bind": invalid mount path: 'b' mount path must be absolute\n`],
      [['-v', 'vv:/b:zz'], 1, 'Error: invalid mode: zz\n'],
      [['-v', 'a:/x'], 1, 'Error: create a: volume name is too short, names should be at least two alphanumeric characters\n'],
      [['-v', 'a/b:/x'], 1, 'Error: create a/b: "a/b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path\n'],
      [['-v', '/h:/x:nocopy'], 1, `Error: invalid volume specification: '/h:/x:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified\n`],
      [['--mount', 'type=bind,src=/nonexist,dst=/x'], 1, 'Error: invalid mount config for type "bind": bind source path does not exist: /nonexist\n'],
      [['--mount', 'type=volume,dst=rel'], 1, `Error: invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute\n`],
      [['--mount', 'src=x'], 125, 'invalid argument "src=x" for "--mount" flag: target is required\nSee \'strata create --help\'.\n'],
      [['--mount', 'type=foo,dst=/x'], 1, 'Error: invalid mount config for type "foo": mount type unknown\n'],
      [['--mount', 'type=volume,src=xx,dst=/x,bogus=1'], 125, `invalid argument "type=volume,src=xx,dst=/x,bogus=1" for "--mount" flag: unexpected key 'bogus' in 'bogus=1'\nSee 'strata create --help'.\n`],
      [['--mount', 'type=tmpfs,src=x,dst=/x'], 1, 'Error: invalid mount config for type "tmpfs": field Source must not be specified\n'],
      [['--mount', 'type=bind,dst=/x'], 1, 'Error: invalid mount config for type "bind": field Source must not be empty\n'],
      [['--mount', 'type=bind,src=/tmp,dst=/x,volume-nocopy'], 125, `invalid argument "type=bind,src=/tmp,dst=/x,volume-nocopy" for "--mount" flag: cannot mix 'volume-*' options with mount type 'bind'\nSee 'strata create --help'.\n`],
      [['--tmpfs', 'rel'], 1, `Error: invalid mount path: 'rel' mount path must be absolute\n`],
      [['--volumes-from', 'nosuch'], 1, 'Error: No such container: nosuch\n'],
      [['--volumes-from', 'demo:zz'], 1, 'Error: invalid mode: zz\n'],
      // A good volume beside a bad one: the good one is not made either.
      [['-v', 'goodvol:/g', '--mount', 'type=bind,src=/nonexist,dst=/x'], 1, 'Error: invalid mount config for type "bind": bind source path does not exist: /nonexist\n'],
    ];
    for (const [args, status, stderr] of cases) {
      const r = s.run(['create', ...args, IMAGE]);
      assert.deepEqual([r.status, r.stderr], [status, stderr], args.join(' '));
    }
    assert.deepEqual([s.ok(['ps', '-aq']), s.ok(['volume', 'ls', '-q'])], before);
  });

  test('volume rm refuses a volume in use; rm -v removes only the anonymous volumes no one else uses', () => {
    const c = create('--name', 'user', '-v', 'kept:/k', '-v', '/anon', IMAGE);
    const anon = mountsOf(c).filter((m) => ANON.test(m.Name ?? '')).map((m) => m.Name!);
    assert.equal(anon.length, 2); // -v /anon and the image's /data
    const r = s.run(['volume', 'rm', 'kept']);
    assert.deepEqual([r.status, r.stderr], [1, `Error: remove kept: volume is in use - [${c}]\n`]);
    create('--name', 'sharer', '--volumes-from', 'user', IMAGE);
    s.ok(['rm', '-v', 'user']);
    assert.ok(s.ok(['volume', 'ls', '-q']).includes(anon[0]!), 'still used by sharer');
    s.ok(['rm', '-v', 'sharer']);
    const left = s.ok(['volume', 'ls', '-q']).split('\n');
    assert.ok(left.includes('kept'), 'a named volume outlives rm -v');
    for (const a of anon) {
      assert.ok(!left.includes(a), `${a} removed`);
      assert.ok(!existsSync(join(s.root, 'volumes', a)));
    }
    assert.equal(s.ok(['volume', 'rm', 'kept']), 'kept\n');
    assert.equal(s.run(['volume', 'rm', 'kept']).stderr, 'Error: No such volume: kept\n');
    assert.equal(s.run(['volume', 'rm', '-f', 'kept']).status, 0);
  });

  test('volume create/ls/inspect, the local driver\'s tmpfs option mounted when used, prune (anonymous unless -a), system df', async () => {
    assert.equal(s.ok(['volume', 'create', '--label', 'team=a', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', 'fast']), 'fast\n');
    const v = JSON.parse(s.ok(['volume', 'inspect', 'fast'])) as [Record<string, unknown>];
    assert.deepEqual({ ...v[0], CreatedAt: '' }, {
      CreatedAt: '', Driver: 'local', Labels: { team: 'a' }, Mountpoint: join(s.root, 'volumes/fast/_data'), Name: 'fast',
      Options: { device: 'tmpfs', o: 'size=1m', type: 'tmpfs' }, Scope: 'local',
    });
    assert.match(v[0].CreatedAt as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(s.ok(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}}', 'fast']), 'fast local\n');
    // `volume create` without labels or options: empty maps, as Docker's CLI sends them; a volume -v made has none (null).
    s.ok(['volume', 'create', 'plain']);
    assert.equal(s.ok(['volume', 'inspect', '-f', '{{json .Labels}} {{json .Options}} {{.Labels}}', 'plain']), '{} {} map[]\n');
    s.ok(['volume', 'rm', 'plain']);
    assert.equal(s.ok(['volume', 'ls', '--filter', 'label=team=a', '--format', '{{.Name}} {{.Labels}}']), 'fast team=a\n');
    assert.equal(s.run(['volume', 'ls', '-f', 'bogus=1']).stderr, "Error: Invalid filter 'bogus'\n");
    create('--name', 'fastuser', '-v', 'fast:/f', IMAGE);
    const r = await start('fastuser', ['sh', '-c', 'echo x > /f/x; grep " /f " /proc/mounts | cut -d" " -f3']);
    assert.equal(r.out, 'tmpfs\n');
    assert.match(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(` ${join(s.root, 'volumes/fast/_data')} .* tmpfs `));

    // Left behind: a named volume and an anonymous one whose containers went without -v.
    create('--name', 'leaver', '-v', 'lonely:/l', '-v', '/gone', IMAGE);
    const gone = mountsOf('leaver').find((m) => m.Destination === '/gone')!.Name!;
    s.ok(['rm', 'leaver']);
    const dangling = s.ok(['volume', 'ls', '-q', '--filter', 'dangling=true']).split('\n').filter(Boolean);
    assert.ok(dangling.includes('lonely') && dangling.includes(gone) && !dangling.includes('fast'));
    // system df counts every volume, the in-use ones as active, and their bytes.
    const df = s.ok(['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}}']).split('\n');
    const total = s.ok(['volume', 'ls', '-q']).split('\n').filter(Boolean).length;
    assert.ok(df.includes(`Local Volumes ${total} ${total - dangling.length}`), df.join('|'));
    assert.match(s.ok(['system', 'df', '-v']), /Local Volumes space usage:\n\nVOLUME NAME +LINKS +SIZE\n(.*\n)*fast +1 +2B\n/);

    assert.equal(s.run(['volume', 'prune'], 'n\n').stdout,
      'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] Total reclaimed space: 0B\n');
    const pruned = s.ok(['volume', 'prune', '-f']);
    assert.match(pruned, /^Deleted Volumes:\n([0-9a-f]{64}\n)+\nTotal reclaimed space: /);
    assert.ok(pruned.includes(`${gone}\n`));
    const left = s.ok(['volume', 'ls', '-q']);
    assert.ok(left.includes('lonely\n') && left.includes('fast\n'), 'named volumes stay without -a');
    assert.equal(s.ok(['volume', 'prune', '-a', '-f', '--filter', 'label=nosuch']), 'Total reclaimed space: 0B\n');
    assert.match(s.ok(['volume', 'prune', '-a', '-f']), /Deleted Volumes:\n(.*\n)*lonely\n/);
    assert.ok(s.ok(['volume', 'ls', '-q']).includes('fast\n'), 'a volume in use is never pruned');
    s.ok(['rm', 'fastuser']);
    s.ok(['volume', 'rm', 'fast']);
    assert.doesNotMatch(readFileSync('/proc/self/mountinfo', 'utf8'), /volumes\/fast\/_data/);
  });

  test('ps --filter volume= matches a volume name, a bind source or a destination, as Docker 20.10', () => {
    const host = join(work, 'psbind');
    create('--name', 'psvol', '-v', 'psnamed:/pn', '-v', `${host}:/pb`, '--tmpfs', '/pt', IMAGE);
    create('--name', 'psother', IMAGE);
    const ps = (...values: string[]) => s.ok(['ps', '-a', ...values.flatMap((v) => ['--filter', `volume=${v}`]), '--format', '{{.Names}}']);
    for (const v of ['psnamed', '/pn', host, '/pb']) assert.equal(ps(v), 'psvol\n', v);
    // A --tmpfs is no mount Docker lists; a volume's own path on the host is not its name.
    for (const v of ['/pt', 'nosuch', join(s.root, 'volumes/psnamed/_data')]) assert.equal(ps(v), '', v);
    assert.equal(ps('nosuch', 'psnamed'), 'psvol\n');
    assert.equal(s.ok(['ps', '-a', '--filter', 'volume=psnamed', '--filter', 'name=nosuch', '-q']), '');
    s.ok(['rm', '-v', 'psvol', 'psother']);
    s.ok(['volume', 'rm', 'psnamed']);
  });

  test("volume create's errors are Docker's; the local driver's bind option mounts a host directory when used", async () => {
    for (const [args, stderr] of [
      [['-o', 'bogus=1', 'volx'], 'Error: create volx: invalid option: "bogus"\n'],
      [['-o', 'type=tmpfs', 'volx'], 'Error: create volx: missing required option: "device"\n'],
      [['-d', 'nosuch', 'volx'], 'Error: create volx: error looking up volume plugin nosuch: plugin "nosuch" not found\n'],
      [['a'], 'Error: create a: volume name is too short, names should be at least two alphanumeric characters\n'],
    ] as const) {
      const r = s.run(['volume', 'create', ...args]);
      assert.deepEqual([r.status, r.stderr], [1, stderr], args.join(' '));
    }
    assert.equal(s.run(['volume', 'inspect', 'volx']).stderr, 'Error: No such volume: volx\n');
    const dir = join(work, 'bound');
    mkdirSync(dir);
    s.ok(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${dir}`, 'bound']);
    create('--name', 'bounduser', '--mount', 'type=volume,src=bound,dst=/b', IMAGE);
    assert.equal((await start('bounduser', ['touch', '/b/made-inside'])).code, 0);
    assert.deepEqual(readdirSync(dir), ['made-inside']);
    s.ok(['rm', 'bounduser']);
    s.ok(['volume', 'rm', 'bound']);
    assert.deepEqual(readdirSync(dir), ['made-inside'], 'removing the volume leaves the bound directory alone');
  });
});
