/**
 * events.log rotation: the file stays bounded, a reader following it misses nothing across a rotation,
 * and a reader asking for everything gets what is kept, oldest first (engine/events.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Events } from '../src/engine/events.js';

test('events.log is rotated past its bound; a following reader and a reader from the start stay correct', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-events-'));
  try {
    const max = 2000;
    const writer = new Events(dir, max);
    // Another process's view of the same store: it reads what the writer appends and rotates.
    const reader = new Events(dir, max);
    let cursor = reader.end();
    const seen: string[] = [];
    for (let i = 0; i < 40; i++) {
      writer.record('volume', 'create', `vol${i}`, { driver: 'local' });
      if (i % 3 === 0) {
        const next = reader.readFrom(cursor);
        cursor = next.cursor;
        seen.push(...next.events.map((e) => e.Actor.ID));
      }
      // Bounded: never more than the bound and the line that crossed it.
      const size = existsSync(writer.file) ? statSync(writer.file).size : 0; // just rotated: none yet
      assert.ok(size <= max + 400, `events.log is ${size} bytes`);
    }
    const rest = reader.readFrom(cursor);
    seen.push(...rest.events.map((e) => e.Actor.ID));
    assert.deepEqual(seen, Array.from({ length: 40 }, (_, i) => `vol${i}`));
    assert.ok(statSync(writer.previous).size > 0, 'a rotation happened');
    // From the start: what both files keep, oldest first, ending with the newest.
    const kept = reader.readFrom(reader.start()).events.map((e) => Number(e.Actor.ID.slice(3)));
    assert.ok(kept.length > 5 && kept.length < 40, `kept ${kept.length}`);
    assert.deepEqual(kept, Array.from({ length: kept.length }, (_, i) => 40 - kept.length + i));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
