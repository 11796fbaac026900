/** The default listing formats rendered without the template engine print what the engine prints. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fieldsTable } from '../src/cli/format/columns.js';
import { formatTable } from '../src/cli/format/table.js';

const HEADERS = { ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Size: 'SIZE', Names: 'NAMES', Command: 'COMMAND' };

describe('default listing formats without the template engine', () => {
  test('the same bytes as the template engine, rows or none, wide characters included', () => {
    const rows = [
      { ID: '0123456789ab', Repository: 'acme/busybox', Tag: '1.0', Size: '1.98MB', Names: 'cow', Command: '"sh -c \'echo hi\'"' },
      { ID: 'ba9876543210', Repository: '<none>', Tag: '<none>', Size: '38B', Names: 'コンテナ,x', Command: '""' },
    ];
    for (const format of ['table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}', 'table {{.ID}}\t{{.Command}}\t{{.Names}}', 'table {{.Size}}']) {
      for (const list of [rows, []]) {
        const plain = fieldsTable(format, list, HEADERS);
        assert.equal(plain, formatTable(format, list, HEADERS), format);
      }
    }
  });

  test('anything else is left to the template engine', () => {
    const row = { ID: 'x', Size: 38, Tag: 't' };
    assert.equal(fieldsTable('table {{.ID}}\t{{.Size}}', [row], HEADERS), undefined, 'a number is formatted by the engine');
    assert.equal(fieldsTable('table {{.ID}}\t{{.Missing}}', [row], HEADERS), undefined, 'a missing field is the engine\'s error');
    assert.equal(fieldsTable('table {{.Tag}}\t{{.ID}}', [row], { ID: 'IMAGE ID' }), undefined, 'a header without a title prints <no value>');
    for (const format of ['{{.ID}}', 'table {{.ID}} {{.Tag}}', 'table {{json .ID}}', 'json', 'table {{.ID}}\\t{{.Tag}}']) {
      assert.equal(fieldsTable(format, [row], HEADERS), undefined, format);
    }
  });
});
