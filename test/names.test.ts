/** File names are bytes: the name codec keeps every byte, and tar headers carry them unchanged. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeName, encodeName, fsPath, joinNames, readNames } from '../src/archive/names.js';
import { encodeHeader, parseHeader, parsePax, applyPax, TYPE, BLOCK } from '../src/archive/tarformat.js';

const bytes = (...b: number[]): Buffer => Buffer.from(b);

describe('file names as bytes', () => {
  test('valid UTF-8 decodes as text and encodes back to the same bytes', () => {
    for (const s of ['etc/passwd', 'café', '日本語/ファイル', 'emoji 😀', '']) {
      assert.equal(decodeName(Buffer.from(s)), s);
      assert.deepEqual(encodeName(s), Buffer.from(s));
    }
  });

  test('bytes that are not UTF-8 survive a round trip, and different bytes stay different names', () => {
    const cases = [
      bytes(0x61, 0xff), bytes(0x61, 0xfe), bytes(0xc0, 0xaf), bytes(0xed, 0xa0, 0x80), bytes(0xf4, 0x90, 0x80, 0x80),
      bytes(0xe2, 0x82), bytes(0x80), Buffer.concat([Buffer.from('ok-😀-'), bytes(0xff), Buffer.from('-é')]),
    ];
    const names = cases.map(decodeName);
    assert.equal(new Set(names).size, cases.length);
    cases.forEach((b, i) => assert.deepEqual(encodeName(names[i]!), b));
    assert.equal(names[0], 'a\udcff');
  });

  test('a surrogate pair whose low half looks like an escaped byte is text, not a byte', () => {
    const s = '\ud800\udc80'; // U+10080
    assert.deepEqual(encodeName(s), Buffer.from(s, 'utf8'));
    assert.equal(decodeName(Buffer.from(s, 'utf8')), s);
    assert.equal(fsPath(`/x/${s}`), `/x/${s}`);
  });

  test('the filesystem sees the bytes: two names differing only in invalid bytes are two files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-names-'));
    try {
      const a = decodeName(bytes(0x61, 0xff));
      const b = decodeName(bytes(0x61, 0xfe));
      writeFileSync(fsPath(joinNames(dir, a)), '1');
      writeFileSync(fsPath(joinNames(dir, b)), '2');
      assert.deepEqual(readNames(dir).sort(), [a, b].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('joinNames keeps escaped bytes (Bun\'s node:path join turns them into U+FFFD) and joins as join does', () => {
    const a = decodeName(bytes(0x61, 0xff));
    assert.deepEqual(encodeName(joinNames('/x', a, 'b')), Buffer.concat([Buffer.from('/x/'), bytes(0x61, 0xff), Buffer.from('/b')]));
    for (const parts of [['/r', 'etc/passwd'], ['/r/', 'etc'], ['/r', '/etc/x'], ['/r', ''], ['', 'a'], ['/'], ['/', 'a']]) {
      assert.equal(joinNames(...parts), join(...parts), JSON.stringify(parts));
    }
  });

  test('tar headers write and read names byte for byte (ustar field and pax path)', () => {
    const header = (name: string) => ({
      name, mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, type: TYPE.file, linkname: decodeName(bytes(0x6c, 0xfe)),
      devmajor: 0, devminor: 0, xattrs: new Map<string, Buffer>(),
    });
    const raw = decodeName(bytes(0x61, 0xff));
    const block = encodeHeader(header(raw));
    // A name that is not printable ASCII goes in a pax record, as Go's writer puts it.
    assert.equal(block[156], TYPE.pax.charCodeAt(0));
    const size = parseHeader(block, 0).size;
    const pax = parsePax(block.subarray(BLOCK, BLOCK + size));
    assert.deepEqual(pax.get('path'), bytes(0x61, 0xff));
    const h = parseHeader(block, BLOCK + Math.ceil(size / BLOCK) * BLOCK);
    applyPax(h, pax);
    assert.equal(h.name, raw);
    assert.equal(h.linkname, decodeName(bytes(0x6c, 0xfe)));
    // A raw ustar name field with such bytes (as GNU tar writes it) reads back the same.
    const plain = Buffer.alloc(BLOCK);
    bytes(0x62, 0xff).copy(plain, 0);
    assert.equal(parseHeader(plain, 0).name, decodeName(bytes(0x62, 0xff)));
  });
});
