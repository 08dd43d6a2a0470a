import fc from 'fast-check';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock, SparkContext, StreamingContext } from '../src/index.js';
import { sorted, waitFor } from './helpers/streaming.js';

// The stateful seed WordCount on the WebAssembly kernel (the fast path) against the generic path,
// batch by batch, on random bytes read as files (lines cut by the receiver's rules): empty tokens,
// `\r\n`, multi-byte and invalid UTF-8, empty batches.

async function statefulStates(batches: Uint8Array[], fastPath: boolean): Promise<{ states: [string, number][][]; kernels: (string | undefined)[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'chispa-wasm-state-'));
  const sc = new SparkContext({ master: 'local', fastPath });
  const kernels: (string | undefined)[] = [];
  sc.addSparkListener({ onTaskEnd: (i) => void kernels.push(i.kernel) });
  const clock = new ManualClock(0);
  const ssc = new StreamingContext(sc, 1, { clock });
  ssc.checkpoint(join(dir, 'cp'));
  const updateFunc = (newValues: number[], lastSum: number | null) => newValues.reduce((a, b) => a + b, 0) + (lastSum ?? 0);
  const states: [string, number][][] = [];
  ssc.textFileStream(join(dir, 'in')).flatMap((line) => line.split(' ')).map((word) => [word, 1]).updateStateByKey(updateFunc)
    .foreachRDD(async (rdd) => void states.push(sorted(await rdd.collect())));
  mkdirSync(join(dir, 'in'));
  ssc.start();
  try {
    for (const [i, bytes] of batches.entries()) {
      writeFileSync(join(dir, `.f${i}`), bytes);
      renameSync(join(dir, `.f${i}`), join(dir, 'in', `f${i}.txt`));
      clock.advance(1000);
      await waitFor(() => states.length === i + 1, `batch ${i}`);
    }
  } finally {
    await ssc.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { states, kernels };
}

describe('the stateful WordCount on the WebAssembly kernel (property)', () => {
  it('keeps the state the generic path keeps, batch by batch, on random bytes', async () => {
    const alphabet = fc.constantFrom(0x61, 0x62, 0x20, 0x20, 0x0a, 0x0d, 0xc3, 0xb1, 0xe2, 0x82, 0xac, 0xff, 0xf0, 0x9f, 0x8e, 0x89, 0x80);
    const batch = fc.array(alphabet, { maxLength: 150 }).map((b) => Uint8Array.from(b));
    await fc.assert(
      fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 3 }), async (batches) => {
        const fast = await statefulStates(batches, true);
        const generic = await statefulStates(batches, false);
        expect(fast.states).toEqual(generic.states);
        if (batches.some((b) => b.length > 0)) expect(fast.kernels).toContain('splitCount');
        expect(generic.kernels).not.toContain('splitCount');
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
