import type { LineBatch } from '../../src/memory/line-batch.js';

const dec = new TextDecoder();

/** Every line of a batch, decoded (invalid UTF-8 as U+FFFD), in order. */
export function readLines(batch: LineBatch): string[] {
  const out: string[] = [];
  for (const view of batch.segments) {
    for (let i = 0; i < view.lineCount; i++) {
      out.push(dec.decode(view.bytes.subarray(view.offsets[i], view.offsets[i + 1])));
    }
  }
  return out;
}
