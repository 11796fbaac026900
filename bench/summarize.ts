/**
 * Summarize a benchmark run: from the raw times bench/run.sh recorded (one TSV line per timed run:
 * workload, component, engine, round, seconds), print per-workload lines and a markdown table with the
 * median time of each engine and, for each peer, the median of the per-round ratios strata/peer.
 * The ratio of medians would let one slow round of one engine skew the comparison; ratios taken within
 * a round compare runs made back to back under the same host conditions.
 *
 * Usage: bun bench/summarize.ts TIMES.tsv
 */
import { readFileSync } from 'node:fs';

type Engine = string;
/** seconds[engine][round] for one workload component. */
type Times = Map<Engine, Map<number, number>>;

interface Target {
  peer: Engine;
  /** strata/peer must be at or below this. */
  maxRatio: number;
}

/** Issue 2, item 9: import ≤ 0.7× Docker's time; create ≤ Podman's; diff and commit ≤ Docker's. */
const TARGETS: Record<string, Target> = {
  import: { peer: 'docker', maxRatio: 0.7 },
  create: { peer: 'podman', maxRatio: 1 },
  'create-warm': { peer: 'podman', maxRatio: 1 },
  'creates-100': { peer: 'podman', maxRatio: 1 },
  diff: { peer: 'docker', maxRatio: 1 },
  commit: { peer: 'docker', maxRatio: 1 },
  'diff+commit': { peer: 'docker', maxRatio: 1 },
  // Issue 12, item 9: pull ≤ 0.5× Docker's; push of a pulled image ≤ 0.3×; push of a fresh layer ≤ 0.5×.
  // The pulled image's target is on the push that moves its bytes (to a registry without the blob), where
  // keeping the pulled blob saves the recompression; a push within the same registry only mounts the blob
  // (a handful of requests, each CLI's start is most of it), reported without a target.
  pull: { peer: 'docker', maxRatio: 0.5 },
  'push-other': { peer: 'docker', maxRatio: 0.3 },
  'push-fresh': { peer: 'docker', maxRatio: 0.5 },
};

const ENGINE_ORDER = ['strata', 'docker', 'podman', 'skopeo'];
const COMPONENT_ORDER = ['import', 'create', 'create-warm', 'diff', 'commit', 'diff+commit', 'creates-100', 'pull', 'push-pulled', 'push-other', 'push-fresh'];
const rank = (order: string[], x: string): number => (order.indexOf(x) + 1 || order.length + 1);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function parse(text: string): Map<string, Times> {
  const byComponent = new Map<string, Times>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [, component, engine, round, seconds] = line.split('\t');
    if (!component || !engine || round === undefined || seconds === undefined) {
      throw new Error(`bad line in times file: ${JSON.stringify(line)}`);
    }
    let times = byComponent.get(component);
    if (!times) byComponent.set(component, (times = new Map()));
    let rounds = times.get(engine);
    if (!rounds) times.set(engine, (rounds = new Map()));
    rounds.set(Number(round), Number(seconds));
  }
  addSum(byComponent, 'diff', 'commit', 'diff+commit');
  return byComponent;
}

/** A derived component whose time in each round is the sum of two measured ones. */
function addSum(byComponent: Map<string, Times>, a: string, b: string, name: string): void {
  const ta = byComponent.get(a);
  const tb = byComponent.get(b);
  if (!ta || !tb) return;
  const sum: Times = new Map();
  for (const [engine, rounds] of ta) {
    const other = tb.get(engine);
    if (!other) continue;
    const summed = new Map<number, number>();
    for (const [round, s] of rounds) {
      const o = other.get(round);
      if (o !== undefined) summed.set(round, s + o);
    }
    sum.set(engine, summed);
  }
  byComponent.set(name, sum);
}

interface Row {
  component: string;
  medians: Map<Engine, number>;
  rounds: Map<Engine, number>;
  /** peer → sorted per-round ratios strata/peer */
  ratios: Map<Engine, number[]>;
}

function summarize(byComponent: Map<string, Times>): { rows: Row[]; engines: Engine[] } {
  const engines = new Set<Engine>();
  const rows: Row[] = [];
  for (const [component, times] of byComponent) {
    const row: Row = { component, medians: new Map(), rounds: new Map(), ratios: new Map() };
    for (const [engine, rounds] of times) {
      engines.add(engine);
      row.medians.set(engine, median([...rounds.values()]));
      row.rounds.set(engine, rounds.size);
    }
    const strata = times.get('strata');
    for (const [peer, rounds] of times) {
      if (peer === 'strata' || !strata) continue;
      const ratios = [...strata].flatMap(([round, s]) => {
        const p = rounds.get(round);
        return p === undefined ? [] : [s / p];
      });
      if (ratios.length) row.ratios.set(peer, ratios.sort((a, b) => a - b));
    }
    rows.push(row);
  }
  rows.sort((a, b) => rank(COMPONENT_ORDER, a.component) - rank(COMPONENT_ORDER, b.component));
  return { rows, engines: [...engines].sort((a, b) => rank(ENGINE_ORDER, a) - rank(ENGINE_ORDER, b)) };
}

const fmtSeconds = (s: number | undefined): string => (s === undefined ? '–' : `${s.toFixed(3)} s`);
const fmtRatio = (r: number[] | undefined): string =>
  r ? `${median(r).toFixed(2)} (${r[0]!.toFixed(2)}–${r[r.length - 1]!.toFixed(2)})` : '–';

function verdict(row: Row): string {
  const t = TARGETS[row.component];
  if (!t) return '';
  const r = row.ratios.get(t.peer);
  const goal = `≤ ${t.maxRatio.toFixed(2)}× ${t.peer}`;
  if (!r) return `${goal}: not measured`;
  return `${goal}: ${median(r) <= t.maxRatio ? 'met' : 'missed'}`;
}

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: summarize.js TIMES.tsv');
  const { rows, engines } = summarize(parse(readFileSync(file, 'utf8')));
  const peers = engines.filter((e) => e !== 'strata');
  const hasStrata = engines.includes('strata');

  for (const row of rows) {
    const times = engines.map((e) => `${e} ${fmtSeconds(row.medians.get(e))} (n=${row.rounds.get(e) ?? 0})`);
    const ratios = hasStrata ? peers.map((p) => `strata/${p} ${fmtRatio(row.ratios.get(p))}`) : [];
    const v = hasStrata ? verdict(row) : '';
    console.log(`${row.component}: ${[...times, ...ratios].join(', ')}${v ? ` [target ${v}]` : ''}`);
  }

  const header = [
    'workload',
    ...engines.map((e) => `${e} (median)`),
    ...(hasStrata ? peers.map((p) => `strata/${p} (median of per-round ratios, range)`) : []),
    ...(hasStrata ? ['target'] : []),
  ];
  console.log('');
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => ' --- ').join('|')}|`);
  for (const row of rows) {
    const cells = [
      row.component,
      ...engines.map((e) => fmtSeconds(row.medians.get(e))),
      ...(hasStrata ? peers.map((p) => fmtRatio(row.ratios.get(p))) : []),
      ...(hasStrata ? [verdict(row)] : []),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
}

main();
