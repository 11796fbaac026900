/** The engine's timestamps are what Date.prototype.toISOString writes, without its time-zone load. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoNow } from '../src/engine/clock.js';

test('isoNow writes the current time exactly as toISOString does', () => {
  const before = Date.now();
  const now = isoNow();
  const after = Date.now();
  assert.match(now, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const t = Date.parse(now);
  assert.ok(t >= before && t <= after, `${now} is between ${before} and ${after}`);
  assert.equal(new Date(t).toISOString(), now, 'the same text toISOString gives for that instant');
});
