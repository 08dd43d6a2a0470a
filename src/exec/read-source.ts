import { CorruptDataError } from '../errors.js';
import { LineSegmentView } from '../memory/line-segment.js';
import { BlockSection } from '../memory/partitioned-block.js';
import { readStatePart, statePartCount } from '../memory/state-part.js';
import type { SourceDesc } from '../plan/task.js';
import { compareValues } from './compare.js';
import type { Consumer } from './pipeline.js';
import { mergeShuffle } from './shuffle-merge.js';
import { mergeSumsWasm } from './wasm-split-count.js';

/**
 * Pushes every record of a task's source partition into `out`, then ends it. With `keep`, a keyed
 * shuffle's merged partition comes back as a block for later jobs (see `mergeShuffle`).
 */
export function readSource(desc: SourceDesc, out: Consumer, keep = false): SharedArrayBuffer | undefined {
  let kept: SharedArrayBuffer | undefined;
  switch (desc.kind) {
    case 'lines':
      for (const range of desc.ranges) {
        const seg = new LineSegmentView(range.sab);
        // Offsets past the bytes only clamp in toString below; lines past the count would not end.
        if (range.from < 0 || range.from > range.to || range.to > seg.lineCount || seg.lineCount > seg.lineCapacity) {
          throw new CorruptDataError(`line range [${range.from}, ${range.to}) outside a segment of ${seg.lineCount} lines`);
        }
        seg.markRead();
        const { offsets } = seg;
        // A Buffer over the shared bytes, not a copy; each line is decoded once, here, with
        // invalid UTF-8 becoming U+FFFD.
        const buf = Buffer.from(seg.bytes.buffer, seg.bytes.byteOffset, seg.bytes.byteLength);
        for (let i = range.from; i < range.to; i++) out.push(buf.toString('utf8', offsets[i], offsets[i + 1]));
      }
      break;
    case 'block': {
      const { count, reader } = new BlockSection(desc.sab, desc.section);
      for (let i = 0; i < count; i++) out.push(reader.read());
      break;
    }
    case 'shuffle':
      kept = readShuffle(desc, out, keep);
      break;
    case 'state':
      for (const pair of readStatePart(desc.part)) out.push(pair);
      break;
    case 'records':
      for (const r of desc.records) out.push(r);
      break;
    case 'kafka':
      // runTaskAsync fetches the range first (exec/kafka-fetch.ts); a synchronous reader cannot.
      throw new Error('a Kafka range must be fetched before its task runs');
    case 'empty':
      break;
  }
  out.end();
  return kept;
}

/**
 * How many records `readSource` would push, when the source knows it without reading them (all
 * but a keyed shuffle, whose count is its distinct keys): a `count()` with no operations before
 * it then decodes nothing, as Spark counts a cached block or a state partition by its size.
 */
export function sourceCount(desc: SourceDesc): number | undefined {
  switch (desc.kind) {
    case 'lines': {
      let n = 0;
      for (const range of desc.ranges) {
        new LineSegmentView(range.sab).markRead();
        n += range.to - range.from;
      }
      return n;
    }
    case 'block':
      return new BlockSection(desc.sab, desc.section).count;
    case 'shuffle':
      if (desc.agg.kind !== 'none' && desc.agg.kind !== 'sort') return undefined;
      return desc.blocks.reduce((n, sab) => n + new BlockSection(sab, desc.section).count, 0);
    case 'state':
      return statePartCount(desc.part);
    case 'records':
      return desc.records.length;
    case 'kafka':
      return undefined;
    case 'empty':
      return 0;
  }
}

/** Reduce side of a shuffle: section `desc.section` of every map task's block. */
function readShuffle(desc: Extract<SourceDesc, { kind: 'shuffle' }>, out: Consumer, keep: boolean): SharedArrayBuffer | undefined {
  const { agg } = desc;
  const sections = desc.blocks.map((sab) => new BlockSection(sab, desc.section));
  if (agg.kind === 'none') {
    for (const { count, reader } of sections) for (let i = 0; i < count; i++) out.push(reader.read());
    return undefined;
  }
  if (agg.kind === 'sort') {
    const rows: [unknown, unknown][] = [];
    for (const { count, reader } of sections) for (let i = 0; i < count; i++) rows.push([reader.read(), reader.read()]);
    const sign = agg.ascending ? 1 : -1;
    rows.sort((a, b) => sign * compareValues(a[0], b[0]));
    for (const row of rows) out.push(row[1]);
    return undefined;
  }
  if (desc.sum) {
    const merged = mergeSumsWasm(sections);
    if (merged) {
      feedMerged(merged, out);
      return keep ? merged : undefined;
    }
  }
  return mergeShuffle(sections, agg, out, keep);
}

/**
 * Feeds a merged partition's `[key, sum]` pairs to `out` as `mergeShuffle` does: the encoded key
 * where it lies to a consumer that takes them (`pushEncoded`), else the decoded pair.
 */
function feedMerged(block: SharedArrayBuffer, out: Consumer): void {
  const { count, reader } = new BlockSection(block, 0);
  if (!out.pushEncoded) {
    for (let i = 0; i < count; i++) out.push(reader.read());
    return;
  }
  const buf = reader.buf;
  for (let i = 0; i < count; i++) {
    const key = reader.pos + 5; // past the pair's Array tag and length
    reader.pos = key;
    reader.skip();
    const end = reader.pos;
    out.pushEncoded(buf, key, end, reader.read());
  }
}
