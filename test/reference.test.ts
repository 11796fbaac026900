/** Image references parse and print as Docker's do. */
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { test } from 'node:test';
import { familiarString, parseReference, parseTaggedReference, referenceString } from '../src/images/reference.js';
import { applyChanges } from '../src/images/changes.js';
import { emptyContainerConfig } from '../src/images/config.js';
import { chainIdOf, chainIds, EMPTY_LAYER_DIFF_ID } from '../src/images/digest.js';

test('references normalize as docker normalizes them', () => {
  const cases: [input: string, stored: string, familiar: string][] = [
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/library/busybox:1', 'docker.io/library/busybox:1', 'busybox:1'],
    ['acme/my-base-image:1.0', 'docker.io/acme/my-base-image:1.0', 'acme/my-base-image:1.0'],
    ['localhost:5000/foo/bar:tag', 'localhost:5000/foo/bar:tag', 'localhost:5000/foo/bar:tag'],
    ['registry.example.com/a_b/c__d/e-f:v1.2_x', 'registry.example.com/a_b/c__d/e-f:v1.2_x', 'registry.example.com/a_b/c__d/e-f:v1.2_x'],
  ];
  for (const [input, stored, familiar] of cases) {
    assert.equal(referenceString(parseTaggedReference(input)), stored);
    assert.equal(familiarString(stored), familiar);
  }
  assert.equal(parseReference('busybox@sha256:' + 'a'.repeat(64)).digest, 'sha256:' + 'a'.repeat(64));
});

test('bad references are refused', () => {
  for (const bad of ['', 'Upper', 'a//b', 'a:', ':tag', 'a:bad tag', '-lead', 'x@sha256:zz', 'a'.repeat(256)]) {
    assert.throws(() => parseReference(bad), /invalid reference format/, bad);
  }
});

test('--change instructions apply as Dockerfile instructions', () => {
  const c = applyChanges(emptyContainerConfig(), [
    'CMD /app/hello.sh', 'ENTRYPOINT ["/bin/sh", "-c"]', 'ENV A=1 B="two words"', 'ENV A 3', 'EXPOSE 80 53/udp',
    'LABEL version=1.0', 'VOLUME /chest', 'WORKDIR /app', 'USER nobody',
  ]);
  assert.deepEqual(c.Cmd, ['/bin/sh', '-c', '/app/hello.sh']);
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c']);
  assert.deepEqual(c.Env, ['A=3', 'B=two words']);
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(c.Labels, { version: '1.0' });
  assert.deepEqual(c.Volumes, { '/chest': {} });
  assert.equal(c.WorkingDir, '/app');
  assert.equal(c.User, 'nobody');
  assert.throws(() => applyChanges(emptyContainerConfig(), ['RUN make']), /: run is not a valid change command$/);
});

test('chainIDs follow the OCI definition', () => {
  const a = 'sha256:' + '1'.repeat(64);
  const b = 'sha256:' + '2'.repeat(64);
  const [c1, c2] = chainIds([a, b]);
  assert.equal(c1, a);
  // sha256("sha256:111…1 sha256:222…2"), computed independently with coreutils.
  assert.equal(c2, 'sha256:' + execSync(`printf %s '${a} ${b}' | sha256sum`).toString().split(' ')[0]);
  // One definition: a layer's chainID from its parent's (what Layers.add records) is the stack's.
  assert.equal(chainIdOf(c1!, b), c2);
  assert.equal(chainIdOf(null, a), c1);
});

test("the empty layer's diffID is the one Docker gives an empty changeset (an empty tar: two zero blocks)", () => {
  assert.equal(EMPTY_LAYER_DIFF_ID, 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef');
  // GNU tar's empty archive is more than two zero blocks (it pads to a record), so build the 1024 bytes with head.
  assert.equal(EMPTY_LAYER_DIFF_ID, 'sha256:' + execSync('head -c 1024 /dev/zero | sha256sum').toString().split(' ')[0]);
});
