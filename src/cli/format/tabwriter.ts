// Column alignment as docker's tabwriter does it (elastic tabstops, configured as
// tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)): cells end at '\t'; each column is as wide as its
// widest cell plus 3 spaces, and at least 10; a column is a run of consecutive lines that have a
// cell there, so a line with fewer cells ends the columns to its right; the text after a line's
// last tab is not part of a column and is never padded. '\f' ends a line and all columns.
// Widths count terminal cells as docker's fork (go-runewidth) does: wide East Asian characters
// and emoji are 2, combining marks and zero-width characters 0.

const MIN_WIDTH = 10;
const PADDING = 3;

interface Cell {
  text: string;
  width: number;
}

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200f\u2060-\u2064\ufeff]$/u;

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** Printable ASCII: one terminal column a character, and none zero-width or wide. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** The number of terminal columns a string takes. */
export function displayWidth(s: string): number {
  // Most cells (IDs, names, sizes, times) are printable ASCII: counted without a look at each character,
  // nor the Unicode tables of ZERO_WIDTH, which a short command's start would otherwise compile.
  if (PRINTABLE_ASCII.test(s)) return s.length;
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || ZERO_WIDTH.test(ch)) continue;
    w += isWide(cp) ? 2 : 1;
  }
  return w;
}

function toCells(line: string): Cell[] {
  return line.split(/[\t\v]/).map((text) => ({ text, width: displayWidth(text) }));
}

/** Lay out one flushed section: lines[line0..line1) with the widths of the columns to the left. */
function layout(out: string[], lines: Cell[][], widths: number[], line0: number, line1: number): void {
  const column = widths.length;
  let start = line0;
  for (let i = line0; i < line1; i++) {
    if (column >= lines[i].length - 1) continue;
    // Line i opens a column block here: it runs while lines have a cell in this column.
    writeLines(out, lines, widths, start, i);
    start = i;
    let width = MIN_WIDTH;
    let end = i;
    for (; end < line1 && column < lines[end].length - 1; end++) {
      width = Math.max(width, lines[end][column].width + PADDING);
    }
    widths.push(width);
    layout(out, lines, widths, start, end);
    widths.pop();
    start = end;
    i = end - 1;
  }
  writeLines(out, lines, widths, start, line1);
}

function writeLines(out: string[], lines: Cell[][], widths: number[], line0: number, line1: number): void {
  for (let i = line0; i < line1; i++) {
    let s = '';
    lines[i].forEach((cell, j) => {
      s += cell.text;
      if (j < widths.length) s += ' '.repeat(widths[j] - cell.width);
    });
    out.push(s);
  }
}

/** Align tab-separated text as docker's tabwriter would. */
export function tabwrite(text: string): string {
  const out: string[] = [];
  // Each '\f' flushes: the sections are laid out independently. Only a final line without a
  // line break is left without one.
  const sections = text.split('\f');
  sections.forEach((section, k) => {
    const lines = section.split('\n').map(toCells);
    // Text not yet ended by a line break keeps a trailing cell only if it has content.
    const tail = lines[lines.length - 1];
    if (k === sections.length - 1 && tail[tail.length - 1].text === '') tail.pop();
    const rendered: string[] = [];
    layout(rendered, lines, [], 0, lines.length);
    out.push(rendered.join('\n') + (k < sections.length - 1 ? '\n' : ''));
  });
  return out.join('');
}

/** A table as docker prints its default listings: header row, then one row per entry. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return tabwrite([headers, ...rows].map((r) => r.join('\t') + '\n').join(''));
}
