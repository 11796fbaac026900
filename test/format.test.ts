import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileTemplate,
  displayWidth,
  formatFloat,
  formatTable,
  humanDuration,
  humanSize,
  humanSizeWithPrecision,
  marshalJson,
  renderTable,
  renderTemplate,
  sprintf,
  tabwrite,
  timeAgo,
  truncateId,
  TemplateError,
} from '../src/cli/format/index.js';
import { listingRow } from '../src/cli/format/row.js';
import { ellipsis, goHumanSize, goTime, rfc3339 } from '../src/cli/format/units.js';

// Inspect-shaped data, as the engine hands it to the CLI (plain objects are Go maps).
const image = {
  Id: 'sha256:6fd955f66c231c1a946653170d096a7ff4b10a3e29ffcb1a0ad0bc2bda1e6e7d',
  RepoTags: ['busybox:latest', 'busybox:1.36'],
  Config: {
    Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    Cmd: ['/bin/sh', '-c', 'echo a > b && c < d'],
    Labels: { 'org.opencontainers.version': '1.36', maintainer: 'me' },
    Entrypoint: null,
  },
  RootFS: { Type: 'layers', Layers: ['sha256:aaa', 'sha256:bbb'] },
  GraphDriver: { Name: 'overlay2', Data: { LowerDir: '/l1:/l2', UpperDir: '/u' } },
  Size: 4261550,
};

const container = { Name: '/web', State: { Status: 'running', Running: true, ExitCode: 0 } };

/** A listing row, as docker's formatter contexts are: a struct with getters and methods. */
class ImageRow {
  constructor(
    readonly ID: string,
    readonly Repository: string,
    private readonly labels: Record<string, string> = {},
  ) {}
  get Size(): string {
    return '38B';
  }
  Label(name: string): string {
    return this.labels[name] ?? '';
  }
}

function execError(template: string, data: unknown, options?: Parameters<typeof renderTemplate>[2]): string {
  try {
    renderTemplate(template, data, options);
  } catch (e) {
    assert.ok(e instanceof TemplateError, `expected a TemplateError, got ${e}`);
    return e.message;
  }
  assert.fail(`${template} rendered without error`);
}

describe('Go templates: what docker users write', () => {
  const cases: [string, unknown, string][] = [
    ['{{json .Config.Env}}', image, '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]'],
    ['{{range .RootFS.Layers}}{{.}} {{end}}', image, 'sha256:aaa sha256:bbb '],
    ['{{index .RepoTags 0}}', image, 'busybox:latest'],
    ['{{.GraphDriver.Data.UpperDir}}', image, '/u'],
    ['{{.GraphDriver.Name}}:{{.RootFS.Type}}', image, 'overlay2:layers'],
    ['{{if eq .State.Status "running"}}up{{else}}down{{end}}', container, 'up'],
    ['{{if .State.Running}}yes{{end}}|{{if .State.ExitCode}}failed{{end}}', container, 'yes|'],
    ['{{.Size}}', image, '4261550'],
    ['{{.Config.Labels}}', image, 'map[maintainer:me org.opencontainers.version:1.36]'],
    ['{{.RepoTags}}', image, '[busybox:latest busybox:1.36]'],
    ['{{.Config.Entrypoint}}', image, '<nil>'],
    ['{{json .Config.Entrypoint}}', image, 'null'],
    ['{{.Config.Labels.nope}}', image, '<no value>'],
    ['{{index .Config.Labels "org.opencontainers.version"}}', image, '1.36'],
    ['{{index .Config.Labels "absent"}}|', image, '|'],
    ['{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}', image, 'maintainer=me;org.opencontainers.version=1.36;'],
    ['{{range .Config.Labels}}[{{.}}]{{end}}', image, '[me][1.36]'],
    ['{{range $i, $e := .RepoTags}}{{$i}}:{{$e}} {{end}}', image, '0:busybox:latest 1:busybox:1.36 '],
    ['{{range $e := .RepoTags}}{{$e}},{{end}}', image, 'busybox:latest,busybox:1.36,'],
    ['{{range .Nothing}}x{{else}}empty{{end}}', image, 'empty'],
    ['{{with .GraphDriver.Data}}{{.LowerDir}}{{end}}', image, '/l1:/l2'],
    ['{{with .Config.Entrypoint}}set{{else}}unset{{end}}', image, 'unset'],
    ['{{$id := .Id}}{{range .RepoTags}}{{$id}} {{end}}', image, `${image.Id} ${image.Id} `],
    ['{{range .RepoTags}}{{$.Size}} {{end}}', image, '4261550 4261550 '],
    ['{{.Config.Env | json}}', image, '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]'],
    // docker's json leaves HTML characters alone (SetEscapeHTML(false)).
    ['{{json .Config.Cmd}}', image, '["/bin/sh","-c","echo a > b && c < d"]'],
    ['{{json .RootFS}}', image, '{"Type":"layers","Layers":["sha256:aaa","sha256:bbb"]}'],
    ['{{join .RepoTags ","}}', image, 'busybox:latest,busybox:1.36'],
    ['{{split "a:b:c" ":"}}', null, '[a b c]'],
    ['{{range split .Name "/"}}<{{.}}>{{end}}', container, '<><web>'],
    ['{{lower "ABC"}} {{upper "abc"}} {{title "hello world-foo"}}', null, 'abc ABC Hello World-Foo'],
    ['{{truncate "abcdef" 3}}|{{truncate "ab" 3}}|{{truncate "abc" 3}}', null, 'abc|ab|abc'],
    ['{{pad "x" 2 1}}|{{pad "" 2 1}}|', null, '  x ||'],
    ['{{len .RepoTags}} {{len "héllo"}} {{len .Config.Labels}}', image, '2 6 2'],
    ['{{println "a" 1}}', null, 'a 1\n'],
    ['{{print 1 2 "a" 3}}', null, '1 2a3'],
    ['{{printf "%s has %d tags" .Id 2}}', { Id: 'x' }, 'x has 2 tags'],
    ['{{.Name | printf "%s-%s" "x"}}', container, 'x-/web'],
    ['{{(index .RepoTags 1) | printf "%q"}}', image, '"busybox:1.36"'],
    ['{{(index .Items 0).Name}}', { Items: [{ Name: 'first' }] }, 'first'],
    ['{{if eq .N 1}}one{{else if eq .N 2}}two{{else}}many{{end}}', { N: 2 }, 'two'],
    ['{{if eq .N 1}}one{{else if eq .N 2}}two{{else}}many{{end}}', { N: 5 }, 'many'],
    ['{{with .A}}a{{else with .B}}b={{.}}{{end}}', { B: 'x' }, 'b=x'],
    ['{{$x := "a"}}{{if true}}{{$x = "b"}}{{end}}{{$x}}', null, 'b'],
    ['{{range 3}}{{.}}{{end}}', null, '012'],
    ['{{range .L}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}', { L: [1, 2, 3, 4, 5] }, '13'],
    ['{{lt 1 2}} {{gt "b" "a"}} {{le 2 2}} {{ge 1 2}} {{ne "a" "b"}} {{eq 3 1 2 3}}', null, 'true true true false true true'],
    ['{{and 1 0 "x"}} {{or 0 "" "y"}} {{and 1 "x"}} {{not 0}}', null, '0 y x true'],
    // or stops at the first true argument: the out-of-range index is never evaluated.
    ['{{or true (index .L 9)}}', { L: [] }, 'true'],
    ['{{eq .Missing "x"}}', {}, 'false'],
    ['{{index "abc" 1}} {{slice .L 1 3}} {{slice "hello" 1 3}}', { L: [1, 2, 3, 4] }, '98 [2 3] el'],
    ['{{"a\\tb\\u00e9\\x41\\101"}}', null, 'a\tbéAA'],
    ['{{`raw\\t`}}', null, 'raw\\t'],
    ["{{'a'}} {{0x1F}} {{1_000}} {{010}} {{-2}} {{1.5}} {{true}}", null, '97 31 1000 8 -2 1.5 true'],
    ['a  {{- /* comment */ -}}  b', null, 'ab'],
    ['x {{- .A -}} \n y', { A: 1 }, 'x1y'],
    ['{{ if\n  .A }}yes{{ end }}', { A: true }, 'yes'],
    ['{{.}}', 'plain', 'plain'],
    ['{{.}}', { b: [1, 'x', null], a: true, c: 1.5, d: 1e21, e: 1234567.5 }, 'map[a:true b:[1 x <nil>] c:1.5 d:1e+21 e:1.2345675e+06]'],
    ['{{.M.k}} {{.M}} {{range $k, $v := .M}}{{$k}}{{$v}}{{end}}', { M: new Map([['k', 'v'], ['a', 'b']]) }, 'v map[a:b k:v] abkv'],
    ['{{.Created}}', { Created: new Date('2024-01-02T03:04:05.120Z') }, '2024-01-02 03:04:05.12 +0000 UTC'],
  ];
  for (const [template, data, want] of cases) {
    it(JSON.stringify(template), () => assert.equal(renderTemplate(template, data), want));
  }

  it('reads struct fields, getters and methods of class instances, as docker row contexts', () => {
    const row = new ImageRow('6fd955f66c23', 'busybox', { 'com.example': 'v1' });
    assert.equal(renderTemplate('{{.ID}} {{.Repository}} {{.Size}} {{.Label "com.example"}}|{{.Label "x"}}|', row), '6fd955f66c23 busybox 38B v1||');
    assert.equal(renderTemplate('{{.ID | printf "%.4s"}}', row), '6fd9');
  });

  it('compiles once and renders many rows', () => {
    const t = compileTemplate('{{.Name}}={{.Size}}');
    assert.deepEqual(
      [{ Name: 'a', Size: 1 }, { Name: 'b', Size: 2 }].map((r) => t.render(r)),
      ['a=1', 'b=2'],
    );
  });
});

describe('Go template errors, with Go messages', () => {
  it('an unknown field of a struct is an error', () => {
    assert.equal(
      execError('{{.Nope}}', new ImageRow('a', 'b')),
      `template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type ImageRow`,
    );
  });
  it('missingkey=error makes a missing map key an error, as docker inspect does', () => {
    assert.equal(
      execError('{{.Config.Foo}}', image, { missingKey: 'error' }),
      'template: :1:9: executing "" at <.Config.Foo>: map has no entry for key "Foo"',
    );
  });
  it('names line and byte column on later lines', () => {
    assert.equal(
      execError('line1\n{{.X.Y}}', { X: 'str' }),
      `template: :2:4: executing "" at <.X.Y>: can't evaluate field Y in type string`,
    );
  });
  it("objects: 'struct' reads plain objects as structs", () => {
    assert.equal(
      execError('{{.Config.Nope}}', image, { objects: 'struct' }),
      `template: :1:9: executing "" at <.Config.Nope>: can't evaluate field Nope in type object`,
    );
    assert.equal(renderTemplate('{{.Config.Labels.maintainer}}', image, { objects: 'struct' }), 'me');
  });
  it('a field of nil', () => {
    assert.equal(execError('{{.A.B}}', { A: null }), 'template: :1:4: executing "" at <.A.B>: nil pointer evaluating interface {}.B');
  });
  it('function errors', () => {
    assert.equal(
      execError('{{index .RepoTags 5}}', image),
      'template: :1:2: executing "" at <index .RepoTags 5>: error calling index: index out of range: 5',
    );
    assert.equal(execError('{{upper}}', null), 'template: :1:2: executing "" at <upper>: wrong number of args for upper: want 1 got 0');
    assert.equal(execError('{{upper .N}}', { N: 5 }), 'template: :1:8: executing "" at <.N>: wrong type for value; expected string; got int');
    assert.equal(execError('{{printf 1}}', null), 'template: :1:9: executing "" at <1>: expected string; found 1');
    assert.equal(
      execError('{{join .L ","}}', { L: [1, 2] }),
      'template: :1:7: executing "" at <.L>: wrong type for value; expected []string; got []interface {}',
    );
    assert.equal(
      execError('{{lt 1 "a"}}', null),
      'template: :1:2: executing "" at <lt 1 "a">: error calling lt: incompatible types for comparison',
    );
    assert.equal(execError('{{range .S}}x{{end}}', { S: true }), 'template: :1:8: executing "" at <.S>: range can\'t iterate over true');
    assert.equal(execError('{{.ID 1}}', { ID: 'x' }), 'template: :1:2: executing "" at <.ID>: ID is not a method but has arguments');
  });
  it('parse errors', () => {
    const parse = (t: string): string => execError(t, {});
    assert.equal(parse('{{.Foo}'), "template: :1: bad character U+007D '}'");
    assert.equal(parse('{{if .A}}x'), 'template: :1: unexpected EOF');
    assert.equal(parse('{{end}}'), 'template: :1: unexpected {{end}}');
    assert.equal(parse('{{foo .A}}'), 'template: :1: function "foo" not defined');
    assert.equal(parse('{{$x}}'), 'template: :1: undefined variable "$x"');
    assert.equal(parse('{{.A'), 'template: :1: unclosed action');
    assert.equal(parse('{{.A\n'), 'template: :2: unclosed action started at :1');
    assert.equal(parse('{{}}'), 'template: :1: missing value for command');
    assert.equal(parse('{{.A | "x"}}'), 'template: :1: non executable command in pipeline stage 2');
    assert.equal(parse('{{.A ! .B}}'), 'template: :1: unexpected "!" in operand');
    assert.equal(parse('{{"abc}}'), 'template: :1: unterminated quoted string');
    assert.equal(parse('{{break}}'), 'template: :1: {{break}} outside {{range}}');
    assert.throws(() => compileTemplate('{{else}}'), { message: 'template: :1: unexpected {{else}}' });
  });
});

describe('Go printf and float formatting', () => {
  it('verbs, flags and bad arguments print as Go does', () => {
    assert.equal(sprintf('%5.1f|%-6s|%06d|%x|%X|%t|%c|%q', [3.14159, 'ab', -42, 255, 'hi', true, 65, 'a"b']), '  3.1|ab    |-00042|ff|6869|true|A|"a\\"b"');
    assert.equal(sprintf('%d', [1.5]), '%!d(float64=1.5)');
    assert.equal(sprintf('%s %s', ['a']), 'a %!s(MISSING)');
    assert.equal(sprintf('%s', ['a', 'b']), 'a%!(EXTRA string=b)');
    assert.equal(sprintf('%v %s %d', [['a', 'b'], ['x'], [1, 2]]), '[a b] [x] [1 2]');
    assert.equal(sprintf('%.2f%%', [99.5]), '99.50%');
    assert.equal(sprintf('%T %T %T', ['a', 1, ['x']]), 'string int []interface {}');
  });
  it('rounds as strconv does: exact binary value, ties to even', () => {
    assert.equal(formatFloat(1.125, 'f', 2), '1.12');
    assert.equal(formatFloat(1.375, 'f', 2), '1.38');
    assert.equal(formatFloat(2.675, 'f', 2), '2.67');
    assert.equal(formatFloat(0.5, 'f', 0), '0');
    assert.equal(formatFloat(1.5, 'f', 0), '2');
    assert.equal(formatFloat(2.5, 'f', 0), '2');
  });
  it('%g and %e', () => {
    assert.equal(formatFloat(1e6, 'g', -1), '1e+06');
    assert.equal(formatFloat(123456, 'g', -1), '123456');
    assert.equal(formatFloat(0.0001, 'g', -1), '0.0001');
    assert.equal(formatFloat(0.00001, 'g', -1), '1e-05');
    assert.equal(formatFloat(100, 'g', 3), '100');
    assert.equal(formatFloat(1.5, 'g', 3), '1.5');
    assert.equal(formatFloat(999.999, 'g', 3), '1e+03');
    assert.equal(formatFloat(0, 'e', 2), '0.00e+00');
    assert.equal(formatFloat(12345.678, 'e', 3), '1.235e+04');
    assert.equal(formatFloat(-Infinity, 'g', -1), '-Inf');
  });
});

describe("Go's encoding/json", () => {
  it('escapes HTML by default, as the daemon API does, sorts Map keys, keeps object order', () => {
    const v = { b: '<x>&', a: [1, 1.5, null], m: new Map([['z', 1], ['a', 2]]) };
    assert.equal(marshalJson(v), '{"b":"\\u003cx\\u003e\\u0026","a":[1,1.5,null],"m":{"a":2,"z":1}}');
    assert.equal(marshalJson(v, { escapeHTML: false }), '{"b":"<x>&","a":[1,1.5,null],"m":{"a":2,"z":1}}');
  });
  it('escapes control characters and line separators as Go does', () => {
    assert.equal(marshalJson('\u0001\b\f\n\r\t\u2028"\\'), '"\\u0001\\b\\f\\n\\r\\t\\u2028\\"\\\\"');
    // Each one alone, amid plain text, with and without HTML escaping (a string without any is written as it is).
    const alone: [string, string][] = [
      ['\u0000', '\\u0000'], ['\u001f', '\\u001f'], ['\n', '\\n'], ['"', '\\"'], ['\\', '\\\\'], ['\u2029', '\\u2029'],
      // A lone surrogate is not UTF-8: Go writes U+FFFD; a pair is one character, written as it is.
      ['\ud800', '\\ufffd'], ['\udfff', '\\ufffd'], ['\ud83d\ude00', '\ud83d\ude00'], ['\u007f\u00e9', '\u007f\u00e9'],
    ];
    for (const escapeHTML of [true, false]) {
      for (const [c, out] of alone) assert.equal(marshalJson(`a ${c} b`, { escapeHTML }), `"a ${out} b"`, JSON.stringify(c));
      assert.equal(marshalJson('a <&> b', { escapeHTML }), escapeHTML ? '"a \\u003c\\u0026\\u003e b"' : '"a <&> b"');
    }
    assert.equal(marshalJson('sha256:0123 /var/lib/x é'), '"sha256:0123 /var/lib/x é"');
  });
  it('dates, bytes and numbers', () => {
    assert.equal(marshalJson(new Date('2024-01-02T03:04:05.120Z')), '"2024-01-02T03:04:05.12Z"');
    assert.equal(marshalJson(new Date('2024-01-02T03:04:05.000Z')), '"2024-01-02T03:04:05Z"');
    assert.equal(marshalJson(new Uint8Array([1, 2, 3])), '"AQID"');
    assert.equal(marshalJson([1e21, 1e-7, 0.1, -3]), '[1e+21,1e-7,0.1,-3]');
    assert.throws(() => marshalJson(NaN), { message: 'json: unsupported value: NaN' });
    // docker's json function swallows the error and prints nothing.
    assert.equal(renderTemplate('[{{json .}}]', NaN), '[]');
  });
  it('indents as json.MarshalIndent', () => {
    assert.equal(
      marshalJson([{ Id: 'x', Tags: [], Config: {}, Layers: ['a', 'b'] }], { indent: '    ' }),
      '[\n    {\n        "Id": "x",\n        "Tags": [],\n        "Config": {},\n        "Layers": [\n            "a",\n            "b"\n        ]\n    }\n]',
    );
  });
});

describe('tables as docker aligns them', () => {
  it('docker images', () => {
    assert.equal(
      renderTable(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], [['busybox', 'latest', '6fd955f66c23', '2 months ago', '4.26MB']]),
      'REPOSITORY   TAG       IMAGE ID       CREATED        SIZE\n' +
        'busybox      latest    6fd955f66c23   2 months ago   4.26MB\n',
    );
  });
  it('columns widen to the longest cell plus 3; the last column is never padded', () => {
    assert.equal(
      renderTable(
        ['CONTAINER ID', 'IMAGE', 'NAMES'],
        [
          ['0123456789ab', 'registry.example.com/team/app:1.0', 'web'],
          ['ba9876543210', 'busybox', 'a_very_long_container_name'],
        ],
      ),
      'CONTAINER ID   IMAGE                               NAMES\n' +
        '0123456789ab   registry.example.com/team/app:1.0   web\n' +
        'ba9876543210   busybox                             a_very_long_container_name\n',
    );
  });
  it('empty cells are padded; wide characters count double', () => {
    assert.equal(renderTable(['A', 'B'], [['', 'x'], ['日本', 'y']]), 'A         B\n          x\n日本      y\n');
  });
  it('terminal columns: printable ASCII one each, control characters and combining marks none, wide characters two', () => {
    assert.equal(displayWidth(''), 0);
    assert.equal(displayWidth('abc 1.5MB ~'), 11);
    assert.equal(displayWidth('a\x01b'), 2);
    assert.equal(displayWidth('a\x7fb'), 2);
    assert.equal(displayWidth('e\u0301t\u00e9'), 3);
    assert.equal(displayWidth('日本 x'), 6);
    assert.equal(displayWidth('a\u200bb\ud83d\ude00'), 4);
  });
  it('a line with fewer cells ends the columns to its right', () => {
    assert.equal(tabwrite('a\tb\nno tabs here\nccc\td\n'), 'a         b\nno tabs here\nccc       d\n');
    assert.equal(tabwrite('a\tb\tc\naaaaaaaaaaaa\tb\n'), 'a              b         c\naaaaaaaaaaaa   b\n');
  });
});

describe('docker listing formats', () => {
  const headers = { ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Size: 'SIZE' };
  const rows = [new ImageRow('6fd955f66c23', 'busybox'), new ImageRow('0123456789ab', '<none>')];

  it('table: header from the column titles, rows aligned', () => {
    assert.equal(
      formatTable('table {{.Repository}}\\t{{.ID}}\\t{{.Size}}', rows, headers),
      'REPOSITORY   IMAGE ID       SIZE\nbusybox      6fd955f66c23   38B\n<none>       0123456789ab   38B\n',
    );
  });
  it('table with no rows prints the header alone', () => {
    assert.equal(formatTable('table {{.ID}}', [], headers), 'IMAGE ID\n');
  });
  it('header rows keep titles intact through lower/upper/json/truncate, but not pad', () => {
    assert.equal(
      formatTable('table {{.ID | lower}}\t{{truncate .Repository 3}}\t{{pad .Size 1 0}}', rows.slice(0, 1), headers),
      'IMAGE ID       REPOSITORY    SIZE\n6fd955f66c23   bus           38B\n',
    );
  });
  it('without table: one line per row, not aligned; nothing for no rows', () => {
    assert.equal(formatTable('{{.ID}}: {{.Size}}', rows), '6fd955f66c23: 38B\n0123456789ab: 38B\n');
    assert.equal(formatTable('{{.ID}}\\t{{.Size}}', rows.slice(0, 1)), '6fd955f66c23\t38B\n');
    assert.equal(formatTable('{{.ID}}', []), '');
  });
  it('json: one object per line', () => {
    assert.equal(formatTable('json', [{ ID: 'a', Size: '1kB' }, { ID: 'b', Size: '2kB' }]), '{"ID":"a","Size":"1kB"}\n{"ID":"b","Size":"2kB"}\n');
  });
  it('errors read as docker prints them', () => {
    assert.throws(() => formatTable('table {{.Nope}}', rows, headers), {
      name: 'TemplateError',
      message: `template parsing error: template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type ImageRow`,
    });
    assert.throws(() => formatTable('{{.ID', rows), { message: 'template parsing error: template: :1: unclosed action' });
    // Plain-object rows are structs too.
    assert.throws(() => formatTable('{{.ID}} {{.Nope}}', [{ ID: 'a' }]), {
      message: `template parsing error: template: :1:10: executing "" at <.Nope>: can't evaluate field Nope in type object`,
    });
  });
});

describe('sizes, durations and IDs as docker prints them', () => {
  it('humanSize: decimal units, 3 significant digits', () => {
    const cases: [number, string][] = [
      [38, '38B'],
      [0, '0B'],
      [1000, '1kB'],
      [1125, '1.12kB'],
      [1980000, '1.98MB'],
      [4261550, '4.26MB'],
      [123456789, '123MB'],
      [1.5e9, '1.5GB'],
      [999999, '1000kB'],
      [1.5e24, '1.5YB'],
      [1e30, '1000000YB'],
    ];
    for (const [n, want] of cases) assert.equal(humanSize(n), want, String(n));
    assert.equal(humanSizeWithPrecision(1234567, 4), '1.235MB');
  });
  it("humanDuration: go-units' thresholds", () => {
    const s = 1000;
    const m = 60 * s;
    const h = 60 * m;
    const d = 24 * h;
    const cases: [number, string][] = [
      [-5 * s, 'Less than a second'],
      [999, 'Less than a second'],
      [1999, '1 second'],
      [2 * s, '2 seconds'],
      [59 * s + 999, '59 seconds'],
      [60 * s, 'About a minute'],
      [2 * m - 1, 'About a minute'],
      [2 * m, '2 minutes'],
      [h - 1, '59 minutes'],
      [h, 'About an hour'],
      [1.5 * h - 1, 'About an hour'],
      [1.5 * h, '2 hours'],
      [47.4 * h, '47 hours'],
      [47.5 * h, '2 days'],
      // Days, weeks, months and years are cut down, as Docker 20.10 shows images 3.5 and 13.5 days, 20.9 days,
      // 700 and 1004 days old: 3 days, 13 days, 2 weeks, 23 months, 2 years (checked side by side).
      [3.5 * d, '3 days'],
      [13.5 * d, '13 days'],
      [20.9 * d, '2 weeks'],
      [700 * d, '23 months'],
      [1004 * d, '2 years'],
      [14 * d, '2 weeks'],
      [59 * d, '8 weeks'],
      [60 * d, '2 months'],
      [729 * d, '24 months'],
      [730 * d, '2 years'],
    ];
    for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, String(ms));
  });
  it('timeAgo as the CREATED column', () => {
    assert.equal(timeAgo(new Date('2024-01-01T00:00:00Z'), new Date('2024-01-01T00:01:30Z')), 'About a minute ago');
    assert.equal(timeAgo('2024-01-01T00:00:00Z', Date.parse('2024-01-15T00:00:00Z')), '2 weeks ago');
  });
  it("ellipsis: docker's formatter.Ellipsis, by terminal columns", () => {
    assert.equal(ellipsis("sh -c 'echo hello world'", 20), "sh -c 'echo hello w…");
    assert.equal(ellipsis("sh -c 'echo a b'", 20), "sh -c 'echo a b'");
    assert.equal(ellipsis('12345678901234567890', 20), '12345678901234567890');
    // Wide characters take two columns: 9 of them and the ellipsis fill 19 of 20.
    assert.equal(ellipsis('コンテナコンテナコンテナ', 20), 'コンテナコンテナコ…');
    assert.equal(ellipsis('abc', 1), 'a');
    assert.equal(ellipsis('abc', 0), '');
  });
  it("times as Go prints a whole second: String() and RFC 3339, Go's zero time included", () => {
    assert.equal(goTime(Date.parse('2026-11-30T04:58:22Z') / 1000), '2026-11-30 04:58:22 +0000 UTC');
    assert.equal(goTime(-62135596800), '0001-01-01 00:00:00 +0000 UTC');
    assert.equal(rfc3339(Date.parse('2026-11-30T04:58:22Z') / 1000), '2026-11-30T04:58:22Z');
  });
  it('goHumanSize: go-units HumanSize, 4 digits', () => {
    assert.equal(goHumanSize(114_800), '114.8kB');
    assert.equal(goHumanSize(198_900_000), '198.9MB');
    assert.equal(goHumanSize(1_982_348), '1.982MB');
    assert.equal(goHumanSize(0), '0B');
  });
  it("a listing row's {{json .}}: sorted keys, HTML escaped, methods left out, as docker's marshalMap", () => {
    const row = listingRow('*formatter.test', { Z: 'a<b', A: null, M: '&', Label: (k: unknown) => `label ${String(k)}` });
    assert.equal(formatTable('{{json .}}', [row]), '{"A":null,"M":"\\u0026","Z":"a\\u003cb"}\n');
    assert.equal(formatTable('{{json .Z}} {{.Label "x"}}', [row]), '"a<b" label x\n');
    assert.equal(formatTable('table {{.Z}}', [row], { Z: 'ZED' }), 'ZED\na<b\n');
  });
  it('truncateId', () => {
    assert.equal(truncateId(image.Id), '6fd955f66c23');
    assert.equal(truncateId('0123456789abcdef'), '0123456789ab');
    assert.equal(truncateId('abc'), 'abc');
  });
});
