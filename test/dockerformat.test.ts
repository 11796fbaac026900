/**
 * What Docker 20.10 prints, field for field, for the listings' --format fields, `{{json .}}`, container
 * inspect's HostConfig and NetworkSettings, ps COMMAND and IMAGE, system df, images' order and history.
 * Every expectation here was read off Docker 20.10 on this machine, given the same input (the same tars
 * imported or loaded, containers made by `docker create --network none`); each test says what Docker did.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { dockerArchive, oneFileLayers } from './lib/archive.js';
import { testStore, type TestStore } from './lib/strata.js';
import { buildTar } from './lib/tarbuild.js';

/** One file of 114,800 bytes: Docker's SIZE is 115kB, its go-units sizes (VirtualSize, system df) 114.8kB. */
const kTar = buildTar([{ name: 'f', body: Buffer.alloc(114_800) }]);
const smallTar = buildTar([{ name: 'g', body: 'x' }]);

/** Go's time.Time.String() of a whole second in UTC, as docker's CreatedAt prints it. */
const GO_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/;

/** time.Unix(created, 0).String() for an image or container, from the RFC 3339 time inspect shows. */
const goTimeOf = (iso: string): string => new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString().replace('T', ' ').replace(/\.000Z$/, ' +0000 UTC');

const keysOf = (json: string): string[] => Object.keys(JSON.parse(json) as object);

describe("Docker's listing and inspect fields", () => {
  let s: TestStore;
  beforeEach(() => { s = testStore('overlay2'); });
  afterEach(() => s.cleanup());

  /** Image k:1 (the 114,800-byte file), labelled, with a Cmd. */
  const kImage = (): void => { s.ok(['import', '-c', 'CMD ["sh"]', '-c', 'LABEL x=<y&z>', '-c', 'LABEL a=b', '-', 'k:1'], kTar); };

  test('images: VirtualSize to 4 digits, SharedSize, UniqueSize and Containers N/A, CreatedAt as Go prints a time', () => {
    kImage();
    s.ok(['create', 'k:1']);
    // Docker: 115kB 114.8kB N/A N/A N/A (a container uses it, but `docker images` does not count them).
    assert.equal(s.ok(['images', '--format', '{{.Size}} {{.VirtualSize}} {{.SharedSize}} {{.UniqueSize}} {{.Containers}}']), '115kB 114.8kB N/A N/A N/A\n');
    const createdAt = s.ok(['images', '--format', '{{.CreatedAt}}']).trim();
    assert.match(createdAt, GO_TIME);
    assert.equal(createdAt, goTimeOf(s.ok(['inspect', '-f', '{{.Created}}', 'k:1']).trim()));
    // Docker's headers: VirtualSize is SIZE too.
    assert.match(s.ok(['images', '--format', 'table {{.VirtualSize}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}\t{{.CreatedAt}}']),
      /^SIZE {6}SHARED SIZE   UNIQUE SIZE   CONTAINERS   CREATED AT\n114\.8kB   N\/A {11}N\/A {11}N\/A {10}\d{4}-/);
  });

  test("images {{json .}}: Docker's keys, sorted, with <, > and & escaped as Go's json.Marshal escapes them", () => {
    kImage();
    const line = s.ok(['images', '--format', '{{json .}}']).trim();
    assert.deepEqual(keysOf(line), ['Containers', 'CreatedAt', 'CreatedSince', 'Digest', 'ID', 'Repository', 'SharedSize', 'Size', 'Tag', 'UniqueSize', 'VirtualSize']);
    // Docker writes the digest of an image without one as "\u003cnone\u003e".
    assert.ok(line.includes('"Digest":"\\u003cnone\\u003e"'), line);
    assert.ok(line.includes('"Containers":"N/A","CreatedAt":"'), line);
    // The json function alone does not escape: Docker prints {{json .Repository}} as "k", {{json .Digest}} as "<none>".
    assert.equal(s.ok(['images', '--format', '{{json .Digest}}']), '"<none>"\n');
  });

  test('images lists newest first by creation time, whatever the order they came in; no time last', () => {
    s.ok(['import', '-', 'imported:1'], smallTar);
    // Loaded after the import, made earlier: Docker lists imported (now), new (2025), mid (2024), old (2023), none.
    const config = (created?: string) => ({ architecture: 'amd64', os: 'linux', ...(created ? { created } : {}) });
    const layers = oneFileLayers(4);
    s.ok(['load'], dockerArchive([
      { config: config(), layers: [layers[0]!], repoTags: ['none:1'] },
      { config: config('2023-06-01T00:00:00Z'), layers: [layers[1]!], repoTags: ['old:1'] },
      { config: config('2025-06-01T00:00:00Z'), layers: [layers[2]!], repoTags: ['new:1'] },
      { config: config('2024-03-01T10:00:00Z'), layers: [layers[3]!], repoTags: ['mid:1'] },
    ]));
    assert.equal(s.ok(['images', '--format', '{{.Repository}} {{.CreatedAt}}']).replace(/^imported .*\n/, 'imported\n'), [
      'imported', 'new 2025-06-01 00:00:00 +0000 UTC', 'mid 2024-03-01 10:00:00 +0000 UTC', 'old 2023-06-01 00:00:00 +0000 UTC',
      'none 0001-01-01 00:00:00 +0000 UTC', '',
    ].join('\n'));
  });

  test('an image\'s names are in the order of their full spelling, as Docker lists RepoTags', () => {
    s.ok(['import', '-', 'zz:a'], smallTar);
    s.ok(['tag', 'zz:a', 'bb:1']);
    s.ok(['tag', 'zz:a', 'aa:z']);
    assert.equal(s.ok(['inspect', '-f', '{{json .RepoTags}}', 'zz:a']), '["aa:z","bb:1","zz:a"]\n');
  });

  test('ps: Networks, LocalVolumes, Platform, Labels and .Label as Docker prints them for a container made with --network none', () => {
    kImage();
    s.ok(['create', '--name', 'c1', '-l', 'k=v', '-l', 'amp=a&b', 'k:1', 'sh', '-c', 'echo a b']);
    assert.equal(s.ok(['ps', '-a', '--format', '{{.Networks}}|{{.LocalVolumes}}|{{.Platform}}|{{.Mounts}}|{{.Labels}}|{{.Label "k"}}|{{.Label "nope"}}|{{.State}}|{{.Status}}']),
      'none|0|<nil>||a=b,amp=a&b,k=v,x=<y&z>|v||created|Created\n');
    // Docker's header for .Label: the key's last dot-separated part, with - and _ as spaces.
    assert.equal(s.ok(['ps', '-a', '--format', 'table {{.Label "com.x.foo-bar_baz"}}\t{{.Platform}}\t{{.Networks}}\t{{.LocalVolumes}}']).split('\n')[0],
      'foo bar baz   PLATFORM   NETWORKS   LOCAL VOLUMES');
    const createdAt = s.ok(['ps', '-a', '--format', '{{.CreatedAt}}']).trim();
    assert.equal(createdAt, goTimeOf(s.ok(['inspect', '-f', '{{.Created}}', 'c1']).trim()));
  });

  test("ps {{json .}}: Docker's keys, sorted and escaped, Size filled; --format json and no .Size leave it 0B", () => {
    kImage();
    s.ok(['create', '--name', 'c1', '-l', 'amp=a&b', 'k:1', 'sh', '-c', 'echo a b']);
    const line = s.ok(['ps', '-a', '--format', '{{json .}}']).trim();
    assert.deepEqual(keysOf(line), ['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Platform', 'Ports', 'RunningFor', 'Size', 'State', 'Status']);
    // Docker: "Labels":"a=b,amp=a\u0026b,x=\u003cy\u0026z\u003e", "Platform":null, and sizes, as {{json .}} reads .Size.
    assert.ok(line.includes('"Labels":"a=b,amp=a\\u0026b,x=\\u003cy\\u0026z\\u003e","LocalVolumes":"0","Mounts":"","Names":"c1","Networks":"none","Platform":null,"Ports":""'), line);
    assert.ok(line.includes('"Command":"\\"sh -c \'echo a b\'\\""'), line);
    assert.ok(line.includes('"Size":"0B (virtual 115kB)"'), line);
    // The literal format json does not name .Size, so Docker asks for no sizes and prints 0B.
    assert.ok(s.ok(['ps', '-a', '--format', 'json']).includes('"Size":"0B"'));
    assert.equal(s.ok(['ps', '-a', '--format', '{{.Size}}']), '0B (virtual 115kB)\n');
  });

  test('ps COMMAND: arguments with a space in single quotes, quoted as Go quotes, cut to 20 columns unless --no-trunc', () => {
    kImage();
    s.ok(['create', '--name', 'c1', 'k:1', 'sh', '-c', 'echo a b']);
    s.ok(['create', '--name', 'c3', 'k:1', 'sh', '-c', 'echo hello world']);
    s.ok(['create', '--name', 'c4', 'k:1', 'echo', 'a\tb', "it's", 'x"y']);
    // Docker 20.10, same containers:
    assert.equal(s.ok(['ps', '-a', '--format', '{{.Names}} {{.Command}}']),
      'c4 "echo a\\tb it\'s x\\"y"\nc3 "sh -c \'echo hello w…"\nc1 "sh -c \'echo a b\'"\n');
    assert.equal(s.ok(['ps', '-a', '--no-trunc', '--format', '{{.Names}} {{.Command}}']),
      'c4 "echo a\\tb it\'s x\\"y"\nc3 "sh -c \'echo hello world\'"\nc1 "sh -c \'echo a b\'"\n');
    assert.match(s.ok(['ps', '-a']).split('\n')[3]!, /^[0-9a-f]{12} {3}k:1 {7}"sh -c 'echo a b'" {7}\S/);
  });

  test('ps IMAGE: the short image ID once the name the container was made from names another image or none', () => {
    kImage();
    const id = s.ok(['inspect', '-f', '{{.Id}}', 'k:1']).trim();
    s.ok(['tag', 'k:1', 'k:2']);
    s.ok(['create', '--name', 'retagged', 'k:1']);
    s.ok(['create', '--name', 'untagged', 'k:2']);
    s.ok(['create', '--name', 'byid', id]);
    s.ok(['create', '--name', 'byname', 'docker.io/library/k:2']);
    assert.equal(s.ok(['ps', '-a', '--format', '{{.Names}} {{.Image}}']), `byname k:2\nbyid ${id.slice(7, 19)}\nuntagged k:2\nretagged k:1\n`);
    s.ok(['import', '-', 'k:1'], smallTar);
    s.ok(['tag', 'k:2', 'k:3']);
    s.ok(['rmi', 'k:2']);
    // Docker: retagged and untagged now show 8a5c215362e2 (the ID), sha256:… in full with --no-trunc.
    assert.equal(s.ok(['ps', '-a', '--format', '{{.Names}} {{.Image}}']),
      `byname ${id.slice(7, 19)}\nbyid ${id.slice(7, 19)}\nuntagged ${id.slice(7, 19)}\nretagged ${id.slice(7, 19)}\n`);
    assert.equal(s.ok(['ps', '-a', '--no-trunc', '--filter', 'name=retagged', '--format', '{{.Image}}']), `${id}\n`);
  });

  test("container inspect: Docker's HostConfig and NetworkSettings for a created --network none container; no resolv.conf, hostname or hosts until start", () => {
    kImage();
    s.ok(['create', '--name', 'c1', '-l', 'k=v', '-l', 'amp=a&b', 'k:1', 'sh', '-c', 'echo a b']);
    const inspect = (JSON.parse(s.ok(['inspect', 'c1'])) as Record<string, Record<string, unknown>>[])[0]!;
    // Docker 20.10's keys, in its order.
    assert.deepEqual(Object.keys(inspect.HostConfig!), [
      'Binds', 'ContainerIDFile', 'LogConfig', 'NetworkMode', 'PortBindings', 'RestartPolicy', 'AutoRemove', 'VolumeDriver',
      'VolumesFrom', 'CapAdd', 'CapDrop', 'CgroupnsMode', 'Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts', 'GroupAdd', 'IpcMode',
      'Cgroup', 'Links', 'OomScoreAdj', 'PidMode', 'Privileged', 'PublishAllPorts', 'ReadonlyRootfs', 'SecurityOpt', 'UTSMode',
      'UsernsMode', 'ShmSize', 'Runtime', 'ConsoleSize', 'Isolation', 'CpuShares', 'Memory', 'NanoCpus', 'CgroupParent',
      'BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps', 'BlkioDeviceReadIOps',
      'BlkioDeviceWriteIOps', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems',
      'Devices', 'DeviceCgroupRules', 'DeviceRequests', 'KernelMemory', 'KernelMemoryTCP', 'MemoryReservation', 'MemorySwap',
      'MemorySwappiness', 'OomKillDisable', 'PidsLimit', 'Ulimits', 'CpuCount', 'CpuPercent', 'IOMaximumIOps',
      'IOMaximumBandwidth', 'MaskedPaths', 'ReadonlyPaths',
    ]);
    // Docker 20.10 leaves what no flag set null, except BlkioWeightDevice; and prints GraphDriver's Data before its Name.
    const hc = inspect.HostConfig!;
    assert.deepEqual([hc.BlkioWeightDevice, hc.BlkioDeviceReadBps, hc.BlkioDeviceWriteBps, hc.BlkioDeviceReadIOps, hc.BlkioDeviceWriteIOps, hc.Ulimits],
      [[], null, null, null, null, null]);
    assert.deepEqual(Object.keys(inspect.GraphDriver!), ['Data', 'Name']);
    assert.deepEqual(Object.keys((JSON.parse(s.ok(['image', 'inspect', 'k:1'])) as Record<string, Record<string, unknown>>[])[0]!.GraphDriver!), ['Data', 'Name']);
    assert.deepEqual(Object.keys(inspect.NetworkSettings!), [
      'Bridge', 'SandboxID', 'HairpinMode', 'LinkLocalIPv6Address', 'LinkLocalIPv6PrefixLen', 'Ports', 'SandboxKey',
      'SecondaryIPAddresses', 'SecondaryIPv6Addresses', 'EndpointID', 'Gateway', 'GlobalIPv6Address', 'GlobalIPv6PrefixLen',
      'IPAddress', 'IPPrefixLen', 'IPv6Gateway', 'MacAddress', 'Networks',
    ]);
    assert.equal(s.ok(['inspect', '-f', '{{.HostConfig.NetworkMode}} {{json .HostConfig.RestartPolicy}} {{json .HostConfig.LogConfig}} {{.HostConfig.ShmSize}} {{.HostConfig.IpcMode}} {{json .HostConfig.ConsoleSize}}', 'c1']),
      'none {"Name":"no","MaximumRetryCount":0} {"Type":"json-file","Config":{}} 67108864 private [0,0]\n');
    assert.equal(s.ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'c1']),
      '{"none":{"IPAMConfig":null,"Links":null,"Aliases":null,"NetworkID":"","EndpointID":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"","GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"MacAddress":"","DriverOpts":null}}\n');
    // Docker names these files when it starts the container: a created one has none.
    assert.equal(s.ok(['inspect', '-f', '[{{.ResolvConfPath}}][{{.HostnamePath}}][{{.HostsPath}}]', 'c1']), '[][][]\n');
    // Docker's inspect: labels sorted, <, > and & as they are (its daemon writes JSON without HTML escaping).
    const json = s.ok(['inspect', 'c1']);
    assert.match(json, /"Labels": \{\n {16}"a": "b",\n {16}"amp": "a&b",\n {16}"k": "v",\n {16}"x": "<y&z>"\n/);
  });

  test('system df, its -v image and volume sizes and the prune totals print sizes to 4 digits; system df -v has one row per image, named by its first name', () => {
    kImage();
    s.ok(['tag', 'k:1', 'a:z']);
    // An untagged image: dangling:1 given to a second import.
    s.ok(['import', '-', 'dangling:1'], smallTar);
    s.ok(['import', '-', 'dangling:1'], buildTar([{ name: 'h', body: 'yy' }]));
    const df = s.ok(['system', 'df']).split('\n');
    assert.match(df[1]!, /^Images {10}3 {9}0 {9}114\.8kB   114\.8kB \(100%\)$/);
    // Docker: one row for k:1 and a:z, named by its first name (a:z); <none> <none> for the untagged one.
    const images = s.ok(['system', 'df', '-v']).split('\n\n')[1]!.split('\n');
    assert.match(images[0]!, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS$/);
    assert.deepEqual(images.slice(1).map((l) => l.split(/ {2,}/).filter((c) => !c.endsWith(' ago'))), [
      ['dangling', '1', images[1]!.slice(23, 35), '2B', '0B', '2B', '0'],
      ['<none>', '<none>', images[2]!.slice(23, 35), '1B', '0B', '1B', '0'],
      ['a', 'z', images[3]!.slice(23, 35), '114.8kB', '0B', '114.8kB', '0'],
    ]);
    // A volume's SIZE is go-units HumanSize too: 12345 bytes are 12.35kB, as Docker 20.10 prints them.
    s.ok(['volume', 'create', 'dfvol']);
    writeFileSync(join(s.root, 'volumes', 'dfvol', '_data', 'f'), Buffer.alloc(12345));
    assert.match(s.ok(['system', 'df', '-v']), /\ndfvol +0 +12\.35kB\n/);
    s.ok(['volume', 'rm', 'dfvol']);
    assert.match(s.ok(['system', 'df', '-v']), /\n\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n$/);
    assert.equal(s.ok(['system', 'df', '--format', '{{json .}}']).split('\n')[0],
      '{"Active":"0","Reclaimable":"114.8kB (100%)","Size":"114.8kB","TotalCount":"3","Type":"Images"}');
    assert.match(s.ok(['image', 'prune', '-a', '-f']), /\nTotal reclaimed space: 114\.8kB\n$/);
  });

  test('history -H=false: CREATED AT and RFC 3339 times, sizes in bytes; only tabs in CREATED BY become spaces; {{json .}} as Docker\'s', () => {
    const layers = oneFileLayers(2);
    s.ok(['load'], dockerArchive([{
      config: {
        architecture: 'amd64', os: 'linux', created: '2024-03-01T10:00:00Z',
        history: [
          { created: '2024-01-01T00:00:00Z', created_by: 'first\tstep', comment: 'one' },
          { created: '2024-03-01T10:00:00Z', created_by: '/bin/sh -c echo "a\tb" && \\\n  echo c <d>', comment: 'from history' },
        ],
      },
      layers, repoTags: ['hist:1'],
    }]));
    // Docker 20.10 on the same archive:
    assert.equal(s.ok(['history', '-H=false', 'hist:1']).replace(/^[0-9a-f]{12}/m, '<image id..>'), [
      'IMAGE          CREATED AT             CREATED BY   SIZE      COMMENT',
      '<image id..>   2024-03-01T10:00:00Z   /bin/sh -c echo "a b" && \\',
      '  echo c <d>   2                      from history',
      '<missing>      2024-01-01T00:00:00Z   first step   2         one', '',
    ].join('\n'));
    const json = s.ok(['history', '--format', '{{json .}}', 'hist:1']).split('\n');
    assert.match(json[0]!, /^\{"Comment":"from history","CreatedAt":"2024-03-01T10:00:00Z","CreatedBy":"\/bin\/sh -c echo \\"a b\\" \\u0026\\u0026 \\\\\\n  echo c \\u003cd\\u003e","CreatedSince":"\d+ years ago","ID":"[0-9a-f]{12}","Size":"2B"\}$/);
    assert.match(json[1]!, /"ID":"\\u003cmissing\\u003e"/);
    // Docker's inspect: a config without a comment shows the last history entry's.
    assert.equal(s.ok(['inspect', '-f', '{{.Comment}}', 'hist:1']), 'from history\n');
  });

  test("a field a row does not have is an error naming docker's type for that row; ps checks its format even with no containers", () => {
    kImage();
    const fails = (args: string[]): string => {
      const r = s.run(args);
      assert.equal(r.status, 1, args.join(' '));
      return r.stderr.replace(/^Error: /, '');
    };
    // Docker 20.10's messages, word for word (after strata's "Error: ").
    const at = 'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type';
    assert.equal(fails(['images', '--format', '{{.Nope}}']), `template parsing error: ${at} *formatter.imageContext\n`);
    assert.equal(fails(['history', '--format', '{{.Nope}}', 'k:1']), `template parsing error: ${at} *image.historyContext\n`);
    assert.equal(fails(['system', 'df', '--format', '{{.Nope}}']), `template parsing error: ${at} *formatter.diskUsageImagesContext\n`);
    assert.equal(fails(['ps', '-a', '--format', '{{.Nope}}']), `failed to execute template: ${at} *formatter.ContainerContext\n`);
  });
});
