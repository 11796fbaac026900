/**
 * `--filter` on images, ps, image prune and container prune, as Docker 20.10 answers on the same input
 * (each case was run side by side with `docker` on images imported from the same tars, with the same
 * labels): which rows, which names, and the error, message and exit status for what Docker refuses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { timeNs, timestampNs } from '../src/engine/times.js';
import { testStore, type TestStore } from './lib/strata.js';
import { buildTar } from './lib/tarbuild.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const lines = (out: string): string[] => out.split('\n').filter(Boolean);

describe('filters', () => {
  let s: TestStore;
  /** Image IDs by name. */
  const id: Record<string, string> = {};
  const tarA = buildTar([{ name: 'f', body: 'hi\n' }]);
  const tarB = buildTar([{ name: 'g', body: 'ho\n' }, { name: 'f', body: 'hi\n' }]);

  /** `images --filter …` as REPOSITORY:TAG lines. */
  const images = (...filters: string[]): string[] =>
    lines(s.ok(['images', ...filters.flatMap((f) => ['--filter', f]), '--format', '{{.Repository}}:{{.Tag}}']));
  const ps = (...args: string[]): string[] => lines(s.ok(['ps', ...args, '--format', '{{.Names}}']));
  /** Exit status and stderr of a command Docker refuses. */
  const refused = (args: string[]): [number | null, string] => {
    const r = s.run(args);
    return [r.status, r.stderr];
  };

  before(async () => {
    s = testStore('overlay2');
    // Created in this order, apart enough to tell their times apart.
    id.a = s.ok(['import', '-c', 'LABEL engt=1', '-c', 'LABEL color=red', '-', 'engine-a:1.0'], tarA).trim();
    await sleep(20);
    id.b = s.ok(['import', '-c', 'LABEL engt=1', '-c', 'LABEL color=blue', '-', 'engine-b:1.0'], tarB).trim();
    await sleep(20);
    id.c = s.ok(['import', '-c', 'LABEL engt=1', '-', 'engine-c:2.0'], tarA).trim();
    s.ok(['tag', 'engine-a:1.0', 'engine-a:latest']);
    // A dangling image: its name moved to another image.
    id.old = s.ok(['import', '-', 'engine-d:1'], tarB).trim();
    await sleep(20);
    id.d = s.ok(['import', '-c', 'LABEL x=y', '-', 'engine-d:1'], tarB).trim();
    // engine-child is built on engine-a (a commit of one of its containers).
    s.ok(['create', '--name', 'engine-c1', '-l', 'engt=1', 'engine-a:1.0', '/f']);
    id.child = s.ok(['commit', 'engine-c1', 'engine-child:1']).trim();
    await sleep(20);
    s.ok(['create', '--name', 'engine-c2', '-l', 'color=red', 'engine-child:1', '/f']);
    await sleep(20);
    s.ok(['create', '--name', 'engine-c3', 'engine-b:1.0', '/g']);
  });
  after(() => s.cleanup());

  describe('images', () => {
    test('reference= is a glob on the name with or without its tag; only the names it matches are listed', () => {
      assert.deepEqual(images('reference=engine-a*'), ['engine-a:1.0', 'engine-a:latest']);
      // `*` stops at `:`, so `*:1.0` matches a tag, and engine-a:latest is not listed beside engine-a:1.0.
      assert.deepEqual(images('reference=*:1.0'), ['engine-b:1.0', 'engine-a:1.0']);
      assert.deepEqual(images('reference=engine-?:[0-1].*'), ['engine-b:1.0', 'engine-a:1.0']);
      assert.deepEqual(images('reference=engine-[^a-b]:*'), ['engine-d:1', 'engine-c:2.0']);
      // Several patterns: any of them. An untagged image is never listed under a reference filter.
      assert.deepEqual(images('reference=engine-c', 'reference=engine-d'), ['engine-d:1', 'engine-c:2.0']);
      // The REPOSITORY[:TAG] argument is one more reference filter.
      assert.deepEqual(lines(s.ok(['images', 'engine-a', '--format', '{{.Tag}}'])), ['1.0', 'latest']);
      assert.deepEqual(lines(s.ok(['images', 'engine-*:1.0', '-q'])), [id.b!.slice(7, 19), id.a!.slice(7, 19)]);
    });

    test('dangling=true lists only untagged images, dangling=false only tagged ones; other values are refused', () => {
      assert.deepEqual(lines(s.ok(['images', '--filter', 'dangling=true', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'])), [`${id.old!.slice(7, 19)} <none>:<none>`]);
      assert.ok(!images('dangling=false').includes('<none>:<none>'));
      assert.ok(images().includes('<none>:<none>'));
      // Docker's images takes true and false only (its prune takes 1 and 0 too).
      assert.deepEqual(refused(['images', '--filter', 'dangling=1']), [1, "Error: Invalid filter 'dangling=[1]'\n"]);
      assert.deepEqual(refused(['images', '--filter', 'dangling=maybe']), [1, "Error: Invalid filter 'dangling=[maybe]'\n"]);
    });

    test('label=KEY and label=KEY=VALUE: the image has the label (with that value); several must all hold', () => {
      assert.deepEqual(images('label=engt'), ['engine-child:1', 'engine-c:2.0', 'engine-b:1.0', 'engine-a:1.0', 'engine-a:latest']);
      assert.deepEqual(images('label=color=red'), ['engine-child:1', 'engine-a:1.0', 'engine-a:latest']);
      assert.deepEqual(images('label=engt', 'label=color=blue'), ['engine-b:1.0']);
      assert.deepEqual(images('label=color=red', 'label=color=blue'), []);
      assert.deepEqual(images('label=x=y'), ['engine-d:1']);
    });

    test('since= and before= an image: those created after (before) it, not itself; an unknown image is an error', () => {
      assert.deepEqual(images('since=engine-b:1.0', 'label=engt'), ['engine-child:1', 'engine-c:2.0']);
      assert.deepEqual(images('before=engine-c:2.0'), ['engine-b:1.0', 'engine-a:1.0', 'engine-a:latest']);
      assert.deepEqual(images('since=engine-a:1.0', `before=${id.c!.slice(7, 15)}`), ['engine-b:1.0']);
      assert.deepEqual(refused(['images', '--filter', 'since=nosuch']), [1, 'Error: No such image: nosuch:latest\n']);
    });

    test('an unknown key, a bad pattern and a filter without `=` are refused as Docker refuses them', () => {
      assert.deepEqual(refused(['images', '--filter', 'bogus=1']), [1, "Error: Invalid filter 'bogus'\n"]);
      // label!= is prune's only.
      assert.deepEqual(refused(['images', '--filter', 'label!=engt']), [1, "Error: Invalid filter 'label!'\n"]);
      assert.deepEqual(refused(['images', '--filter', 'reference=[']), [1, 'Error: syntax error in pattern\n']);
      assert.deepEqual(refused(['images', '--filter', 'reference=a\\']), [1, 'Error: syntax error in pattern\n']);
      assert.deepEqual(refused(['images', '--filter', 'noeq']),
        [125, 'invalid argument "noeq" for "-f, --filter" flag: bad format of filter (expected name=value)\nSee \'strata images --help\'.\n']);
    });
  });

  describe('ps', () => {
    test('ancestor= matches the containers of the image by any of its names or its ID, and of every image built on it', () => {
      for (const name of ['engine-a', 'engine-a:latest', 'engine-a:1.0', id.a!.slice(7, 15), id.a!]) {
        assert.deepEqual(ps('-a', '--filter', `ancestor=${name}`), ['engine-c2', 'engine-c1'], name);
      }
      assert.deepEqual(ps('-a', '--filter', 'ancestor=engine-child:1'), ['engine-c2']);
      assert.deepEqual(ps('-a', '--filter', 'ancestor=engine-child:1', '--filter', 'ancestor=engine-b:1.0'), ['engine-c3', 'engine-c2']);
      // An image that does not exist, or a name that cannot be one, matches no container, and is no error.
      assert.deepEqual(ps('-a', '--filter', 'ancestor=nosuch:9'), []);
      assert.deepEqual(ps('-a', '--filter', 'ancestor=UPPER'), []);
    });

    test('status= looks at every container (without -a too); a state Docker does not know is an error, with or without -a', () => {
      assert.deepEqual(ps('--filter', 'status=created'), ['engine-c3', 'engine-c2', 'engine-c1']);
      assert.deepEqual(ps('--filter', 'status=exited'), []);
      for (const all of [[], ['-a']]) {
        assert.deepEqual(refused(['ps', ...all, '--filter', 'status=bogus']), [1, "Error: Invalid filter 'status=bogus'\n"]);
        assert.deepEqual(refused(['ps', ...all, '--filter', 'bogus=1']), [1, "Error: Invalid filter 'bogus'\n"]);
      }
    });

    test('name= is a regular expression on the name, with or without its "/"; label=, before=, since= as for images', () => {
      assert.deepEqual(ps('-a', '--filter', 'name=^engine-c2$'), ['engine-c2']);
      assert.deepEqual(ps('-a', '--filter', 'name=^/engine-c2$'), ['engine-c2']);
      assert.deepEqual(ps('-a', '--filter', 'name=c[13]'), ['engine-c3', 'engine-c1']);
      // A pattern that is no regular expression matches nothing, as in Docker.
      assert.deepEqual(ps('-a', '--filter', 'name=['), []);
      // A container's labels are its image's and its own.
      assert.deepEqual(ps('-a', '--filter', 'label=color=red'), ['engine-c2', 'engine-c1']);
      assert.deepEqual(ps('-a', '--filter', 'label=engt', '--filter', 'label=color=blue'), ['engine-c3']);
      assert.deepEqual(ps('-a', '--filter', 'before=engine-c3'), ['engine-c2', 'engine-c1']);
      assert.deepEqual(ps('-a', '--filter', 'since=engine-c1'), ['engine-c3', 'engine-c2']);
      assert.deepEqual(ps('-a', '--filter', `id=${s.ok(['inspect', '-f', '{{.Id}}', 'engine-c2']).slice(0, 6)}`), ['engine-c2']);
    });
  });

  describe('prune', () => {
    test('unknown keys, a bad or second until= are refused before anything is removed', () => {
      for (const verb of ['image', 'container']) {
        const refusedPrune = (...filters: string[]): [number | null, string] => refused([verb, 'prune', '-f', ...filters.flatMap((f) => ['--filter', f])]);
        assert.deepEqual(refusedPrune('bogus=1'), [1, "Error: Invalid filter 'bogus'\n"]);
        assert.deepEqual(refusedPrune('reference=x'), [1, "Error: Invalid filter 'reference'\n"]);
        assert.deepEqual(refusedPrune('until=bogus'), [1, 'Error: failed to parse value as time or duration: "bogus"\n']);
        assert.deepEqual(refusedPrune('until=12h3'), [1, 'Error: failed to parse value as time or duration: "12h3"\n']);
        assert.deepEqual(refusedPrune('until=2026-13-01'), [1, 'Error: parsing time "2026-13-01": month out of range\n']);
        assert.deepEqual(refusedPrune('until=2026-11-30T25:00:00Z'), [1, 'Error: parsing time "2026-11-30T25:00:00Z": hour out of range\n']);
        assert.deepEqual(refusedPrune('until=10m', 'until=1h'), [1, 'Error: more than one until filter specified\n']);
        // Prunes have no -f for --filter (-f is --force), and Docker's CLI names the flag so.
        assert.deepEqual(refusedPrune('noeq'), [125, `invalid argument "noeq" for "--filter" flag: bad format of filter (expected name=value)\nSee 'strata ${verb} prune --help'.\n`]);
      }
      // container prune takes no dangling=; image prune does.
      assert.deepEqual(refused(['container', 'prune', '-f', '--filter', 'dangling=true']), [1, "Error: Invalid filter 'dangling'\n"]);
      assert.equal(ps('-a').length, 3);
      assert.equal(images().length, 7);
    });

    test('container prune: label= must all hold, label!= must not all hold; until= keeps what was created later', () => {
      // engine-c1 and engine-c2 carry color=red (engine-a's label): only engine-c3 goes.
      const out = s.ok(['container', 'prune', '-f', '--filter', 'label=engt', '--filter', 'label!=color=red']);
      const c3 = s.run(['inspect', '-f', '{{.Id}}', 'engine-c3']);
      assert.equal(c3.status, 1, 'engine-c3 was pruned');
      assert.match(out, /^Deleted Containers:\n[a-f0-9]{64}\n\nTotal reclaimed space: /);
      assert.deepEqual(ps('-a'), ['engine-c2', 'engine-c1']);
      // until= a time before engine-c2 was created, in RFC 3339 to the millisecond: engine-c1 only.
      const c2Created = s.ok(['inspect', '-f', '{{.Created}}', 'engine-c2']).trim();
      const justBefore = new Date(Date.parse(c2Created) - 1).toISOString();
      s.ok(['container', 'prune', '-f', '--filter', `until=${justBefore}`]);
      assert.deepEqual(ps('-a'), ['engine-c2']);
      // A duration counts back from now: nothing is an hour old.
      s.ok(['container', 'prune', '-f', '--filter', 'until=1h']);
      assert.deepEqual(ps('-a'), ['engine-c2']);
    });

    test('image prune: until= removes what was created no later than the time; label= and label!= narrow it', () => {
      // engine-b was created at exactly this time: "until" includes it (Docker prunes all but what is after).
      const bCreated = s.ok(['inspect', '-f', '{{.Created}}', 'engine-b:1.0']).trim();
      const out = s.ok(['image', 'prune', '-a', '-f', '--filter', 'label=engt', '--filter', `until=${bCreated}`]);
      // engine-a has a child image (engine-child), engine-c was created later: only engine-b goes.
      assert.match(out, /^Deleted Images:\nuntagged: engine-b:1\.0\ndeleted: sha256:/);
      assert.ok(!images().includes('engine-b:1.0'));
      assert.ok(images().includes('engine-c:2.0'));
      // label!=: images without the label (engine-d, and the dangling one with no labels at all) go.
      s.ok(['image', 'prune', '-a', '-f', '--filter', 'label!=engt']);
      assert.deepEqual(images('reference=engine-[cd]'), ['engine-c:2.0']);
      assert.deepEqual(images('dangling=true'), []);
      // A negative duration is a time in the future: everything unused was created before it.
      s.ok(['image', 'prune', '-a', '-f', '--filter', 'until=-1h', '--filter', 'label=engt']);
      assert.deepEqual(images('reference=engine-[cd]'), []);
    });
  });
});

test("until= values read as Docker's daemon reads them (GetTimestamp), to the nanosecond", () => {
  const now = new Date('2026-11-30T08:40:15.712Z');
  const ns = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;
  // A Go duration back from now, in whole seconds.
  assert.equal(timestampNs('10m', now), ns('2026-11-30T08:30:15Z'));
  assert.equal(timestampNs('1h30m', now), ns('2026-11-30T07:10:15Z'));
  assert.equal(timestampNs('-1.5h', now), ns('2026-11-30T10:10:15Z'));
  // Unix seconds, with a fraction; "0" is the epoch, not a duration.
  assert.equal(timestampNs('1.5', now), 1_500_000_000n);
  assert.equal(timestampNs('0', now), 0n);
  // RFC 3339 with a zone, nanoseconds kept; Docker's created times compare to the nanosecond.
  assert.equal(timestampNs('2026-11-30T08:40:15.712640758Z', now), ns('2026-11-30T08:40:15.712Z') + 640758n);
  assert.equal(timeNs('2026-11-30T08:40:15.712640758Z'), timestampNs('2026-11-30T08:40:15.712640758Z', now));
  assert.equal(timestampNs('2026-11-30T10:40:15+02:00', now), ns('2026-11-30T08:40:15Z'));
  assert.equal(timestampNs('2026-11-30Z', now), ns('2026-11-30T00:00:00Z'));
  // No zone: local time, to the hour, minute or second, or a date.
  assert.equal(timestampNs('2026-11-30T08', now), BigInt(new Date(2026, 10, 30, 8).getTime()) * 1_000_000n);
  assert.equal(timestampNs('2026-11-30T08:40', now), BigInt(new Date(2026, 10, 30, 8, 40).getTime()) * 1_000_000n);
  assert.equal(timestampNs('2026-11-30', now), BigInt(new Date(2026, 10, 30).getTime()) * 1_000_000n);
  assert.throws(() => timestampNs('2026-02-30', now), /parsing time "2026-02-30": day out of range/);
});

