/**
 * strata.db's handle: statements compiled once and kept, WAL so readers never wait for the writer, a busy
 * timeout so concurrent commands queue, and write transactions that take the write lock when they begin.
 */
import assert from 'node:assert/strict';
import { Database } from 'bun:sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Metadata } from '../src/metadata/index.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-meta-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a statement is prepared once per database handle and reused by every call', () => {
  const a = new Metadata(join(dir, 'a.db'));
  const b = new Metadata(join(dir, 'a.db'));
  try {
    const sql = 'SELECT * FROM layers WHERE chain_id = ?';
    assert.equal(a.db.prepare(sql), a.db.prepare(sql), 'the same statement, not a new one');
    assert.notEqual(a.db.prepare(sql), b.db.prepare(sql), 'each handle has its own');
    // The cached statement still answers what the table holds now.
    assert.equal(a.getLayer('sha256:x'), undefined);
    a.tx(() => a.insertLayer({ chainId: 'sha256:x', diffId: 'sha256:x', parent: null, snapshot: 's', size: 1, tarSize: 2, createdAt: 'now' }));
    assert.equal(a.getLayer('sha256:x')?.snapshot, 's');
    assert.equal(b.getLayer('sha256:x')?.size, 1);
  } finally {
    a.close();
    b.close();
  }
});

test('WAL, a busy timeout, and IMMEDIATE write transactions', () => {
  const meta = new Metadata(join(dir, 'b.db'));
  const other = new Database(join(dir, 'b.db'));
  try {
    assert.deepEqual(meta.db.prepare('PRAGMA journal_mode').get(), { journal_mode: 'wal' });
    assert.deepEqual(meta.db.prepare('PRAGMA busy_timeout').get(), { timeout: 30000 });
    other.exec('PRAGMA busy_timeout = 0');
    meta.tx(() => {
      // Nothing written yet, and still another writer is refused: the lock was taken at BEGIN.
      assert.throws(() => other.exec('BEGIN IMMEDIATE'), /locked|busy/i);
      // Readers are not (WAL).
      assert.deepEqual(other.query('SELECT count(*) AS n FROM layers').get(), { n: 0 });
    });
    other.exec('BEGIN IMMEDIATE');
    other.exec('ROLLBACK');
  } finally {
    other.close();
    meta.close();
  }
});
