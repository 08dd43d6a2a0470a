/**
 * Turns the harness's measurements into the suite's summary, a markdown table and an SVG chart.
 *
 * Per row, over its runs: the median of MB/s (10^6 corpus bytes, terminators included, per
 * second), of lines/s, of each run's batch-processing p50 and p99 and of each run's max
 * scheduling delay; the max of peak RSS; and the batch series of the run with the median MB/s
 * (for the chart). Ratios are of medians in the same run set: each row / naive, and per mode
 * `local[2] literal / local` (parallel generic path vs one thread) and `local[2] fast / literal`
 * (the kernel's gain). The SVG is hand-written: (a) horizontal MB/s bars per row, (b) batch
 * processing time per batch over the run for the chispa rows, with the batch interval dashed.
 */
import type { Measurement, Row } from './harness.js';

export interface Summary {
  row: Row;
  runs: number;
  mbPerS: number;
  linesPerS: number;
  vsNaive: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  maxSchedMs: number | null;
  peakRssMB: number;
  correct: boolean;
  series: [number, number, number][];
}

export interface Ratio {
  name: string;
  value: number;
}

export interface Meta {
  corpus: string;
  mb: number;
  lines: number;
  batchMs: number;
  runs: number;
  cores: number;
  node: string;
  date: string;
  wallS: number;
  /** How to reproduce this run. */
  command?: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const medianOrNull = (xs: (number | null | undefined)[]): number | null => {
  const v = xs.filter((x): x is number => typeof x === 'number');
  return v.length ? median(v) : null;
};

export function summarize(rows: Row[], results: Measurement[], bad: Set<string>): Summary[] {
  const base = rows.find((r) => r.kind === 'naive');
  const out = rows.map((row): Summary => {
    const rs = results.filter((r) => r.row === row.id);
    const mbPerS = median(rs.map((r) => r.mbPerS));
    const mid = [...rs].sort((a, b) => a.mbPerS - b.mbPerS)[(rs.length - 1) >> 1];
    return {
      row,
      runs: rs.length,
      mbPerS,
      linesPerS: median(rs.map((r) => r.linesPerS)),
      vsNaive: null,
      p50Ms: medianOrNull(rs.map((r) => r.batches?.p50ProcessingMs)),
      p99Ms: medianOrNull(rs.map((r) => r.batches?.p99ProcessingMs)),
      maxSchedMs: medianOrNull(rs.map((r) => r.batches?.maxSchedulingDelayMs)),
      peakRssMB: Math.max(0, ...rs.map((r) => r.maxRssKB / 1024)),
      correct: rs.length > 0 && !bad.has(row.id),
      series: mid?.series ?? [],
    };
  });
  const naive = out.find((s) => s.row === base);
  for (const s of out) if (naive && s !== naive) s.vsNaive = s.mbPerS / naive.mbPerS;
  return out;
}

export function ratios(summary: Summary[]): Ratio[] {
  const out: Ratio[] = [];
  const find = (engine: RegExp, mode: string | undefined) => summary.find((s) => engine.test(s.row.engine) && s.row.mode === mode);
  for (const mode of ['stateless', 'stateful']) {
    const generic = find(/^local$/, mode);
    const literal = find(/^local\[[^\]]+\](-literal)?$/, mode);
    const fast = find(/^local\[[^\]]+\]-fast$/, mode);
    if (generic && literal) out.push({ name: `${mode}: ${literal.row.label} / ${generic.row.label}`, value: literal.mbPerS / generic.mbPerS });
    if (literal && fast) out.push({ name: `${mode}: ${fast.row.label} / ${literal.row.label}`, value: fast.mbPerS / literal.mbPerS });
  }
  return out;
}

const f1 = (x: number | null): string => (x === null || Number.isNaN(x) ? '–' : x.toFixed(1));
const ms = (x: number | null): string => (x === null ? '–' : `${Math.round(x)}`);

export function markdown(summary: Summary[], rs: Ratio[], meta: Meta): string {
  const lines = [
    `WordCount over a local TCP socket, fed at full speed by a separate feeder process. Corpus: ${meta.corpus}, ` +
      `${meta.mb.toFixed(1)} MB, ${meta.lines.toLocaleString('en-US')} lines. Batches ${meta.batchMs} ms. Medians of ${meta.runs} interleaved runs; ` +
      `${meta.cores} cores, Node ${meta.node}, ${meta.date}; whole suite ${Math.round(meta.wallS)} s.`,
    '',
    '| row | mode | MB/s | lines/s | × naive | batch p50 ms | batch p99 ms | max sched. delay ms | peak RSS MB | counts = naive |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |',
  ];
  for (const s of summary) {
    const mode = s.row.mode ?? (s.row.kind === 'duckdb' ? 'both (one query, file)' : 'both (baseline)');
    const vs = s.vsNaive === null ? '1.00' : s.vsNaive.toFixed(2);
    const ok = s.row.kind === 'naive' ? '–' : s.correct ? 'yes' : '**NO**';
    lines.push(`| ${s.row.label} | ${mode} | ${f1(s.mbPerS)} | ${Math.round(s.linesPerS).toLocaleString('en-US')} | ${vs} | ${ms(s.p50Ms)} | ${ms(s.p99Ms)} | ${ms(s.maxSchedMs)} | ${Math.round(s.peakRssMB)} | ${ok} |`);
  }
  if (rs.length) lines.push('', ...rs.map((r) => `- ${r.name}: **${r.value.toFixed(2)}×**`));
  lines.push(
    '',
    'MB = 10^6 corpus bytes; from the consumer\'s connect until the whole corpus is counted (chispa: up to one batch interval later, at the next tick). ' +
      'Batch columns: medians over runs of each run\'s p50 / p99 / max (rxjs: time counting each buffer, and how late the busy thread emitted it). ' +
      '"counts = naive": every line, the word total and (stateful) the distinct words equal the naive script\'s. ' +
      'DuckDB reads the corpus file (no socket): its time is its WordCount query\'s, from submission to the last row read back.',
    '',
    `Reproduce: \`${meta.command ?? 'npm run bench'}\` (options: \`npm run bench -- --help\`).`,
  );
  return lines.join('\n') + '\n';
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLORS: Record<string, string> = { naive: '#888888', rxjs: '#b5179e', duckdb: '#e9c46a', local: '#f4a261', literal: '#e76f51', fast: '#2a9d8f' };
function color(row: Row): string {
  if (row.kind !== 'chispa') return COLORS[row.kind];
  return row.fastPath ? COLORS.fast : row.master === 'local' ? COLORS.local : COLORS.literal;
}

/** The smallest 1, 2, 2.5 or 5 × 10^k at or above x. */
function niceCeil(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((v) => v >= x)!;
}

export function svg(summary: Summary[], meta: Meta): string {
  const W = 860;
  const labelW = 300;
  const barH = 22;
  const out: string[] = [];
  const text = (x: number, y: number, s: string, extra = ''): void => void out.push(`<text x="${x}" y="${y}" ${extra}>${esc(s)}</text>`);

  // (a) MB/s bars.
  let y = 30;
  text(10, y, `(a) throughput, MB/s (median of ${meta.runs} runs; ${meta.mb.toFixed(0)} MB corpus, ${meta.batchMs} ms batches)`, 'font-weight="bold"');
  y += 14;
  const maxMB = Math.max(1, ...summary.map((s) => (Number.isNaN(s.mbPerS) ? 0 : s.mbPerS)));
  const scale = (W - labelW - 80) / maxMB;
  for (const s of summary) {
    const v = Number.isNaN(s.mbPerS) ? 0 : s.mbPerS;
    const name = `${s.row.label}${s.row.mode ? ` · ${s.row.mode}` : ''}`;
    text(labelW - 8, y + 15, name, 'text-anchor="end"');
    const stateful = s.row.mode === 'stateful';
    out.push(`<rect x="${labelW}" y="${y + 2}" width="${(v * scale).toFixed(1)}" height="${barH - 4}" fill="${color(s.row)}"${stateful ? ' fill-opacity="0.55"' : ''}/>`);
    text(labelW + v * scale + 6, y + 15, `${v.toFixed(1)}${s.correct || s.row.kind === 'naive' ? '' : ' (WRONG COUNT)'}`);
    y += barH;
  }

  // (b) batch processing time per batch, chispa rows.
  y += 30;
  const chispa = summary.filter((s) => s.row.kind === 'chispa' && s.series.length > 0);
  text(10, y, '(b) chispa: processing time per batch over the run (run with the median MB/s); dashed = batch interval', 'font-weight="bold"');
  const top = y + 24;
  const plotH = 220;
  const left = 60;
  const right = W - 20;
  const maxX = Math.ceil(Math.max(1, ...chispa.flatMap((s) => s.series.map((p) => p[0]))) / 500) * 500;
  const maxY = niceCeil(Math.max(meta.batchMs * 1.2, ...chispa.flatMap((s) => s.series.map((p) => p[1]))));
  const px = (x: number): number => left + (Math.max(0, x) / maxX) * (right - left);
  const py = (v: number): number => top + plotH - (v / maxY) * plotH;
  out.push(`<line x1="${left}" y1="${top + plotH}" x2="${right}" y2="${top + plotH}" stroke="#333"/>`);
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#333"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = (maxY * i) / 4;
    text(left - 6, py(v) + 4, `${Math.round(v)}`, 'text-anchor="end" font-size="11"');
  }
  for (let i = 0; i <= 5; i++) text(px((maxX * i) / 5), top + plotH + 16, `${((maxX * i) / 5 / 1000).toFixed(1)} s`, 'text-anchor="middle" font-size="11"');
  text(left - 6, top - 12, 'ms', 'text-anchor="end" font-size="11"');
  text(right, top + plotH + 30, 'batch time, since the receiver connected', 'text-anchor="end" font-size="11"');
  out.push(`<line x1="${left}" y1="${py(meta.batchMs).toFixed(1)}" x2="${right}" y2="${py(meta.batchMs).toFixed(1)}" stroke="#999" stroke-dasharray="5,4"/>`);
  for (const s of chispa) {
    const pts = s.series.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(' ');
    const dash = s.row.mode === 'stateful' ? ' stroke-dasharray="6,3"' : '';
    out.push(`<polyline points="${pts}" fill="none" stroke="${color(s.row)}" stroke-width="2"${dash}/>`);
    for (const p of s.series) out.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="2.5" fill="${color(s.row)}"/>`);
  }
  let ly = top + plotH + 52;
  chispa.forEach((s, i) => {
    const lx = left + (i % 2) * 380;
    if (i > 0 && i % 2 === 0) ly += 18;
    const dash = s.row.mode === 'stateful' ? ' stroke-dasharray="6,3"' : '';
    out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 26}" y2="${ly - 4}" stroke="${color(s.row)}" stroke-width="2"${dash}/>`);
    text(lx + 32, ly, `${s.row.label} · ${s.row.mode}`, 'font-size="12"');
  });
  const H = ly + 16;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="13">\n` +
    `<rect width="${W}" height="${H}" fill="#fff"/>\n${out.join('\n')}\n</svg>\n`
  );
}
