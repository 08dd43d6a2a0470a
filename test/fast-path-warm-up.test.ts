import { describe, expect, it } from 'vitest';
import { warmUp, warmUpText } from '../src/exec/warm-up.js';

// A pool worker runs a whole fast-path WordCount batch when it starts (warm-up.ts): the kernel's
// map tasks, the reduce tasks keeping their merged partitions, and a read of those. It must be a
// real batch: its counts are the seed's program's on the same text.
describe('the fast-path warm-up', () => {
  it('runs map, merge, read and the state merge over its own text, counting what split(" ") counts', () => {
    const expected = new Map<string, number>();
    for (const line of warmUpText()) for (const w of line.split(' ')) expected.set(w, (expected.get(w) ?? 0) + 1);
    const { counts, state } = warmUp();
    expect(counts.size).toBe(expected.size);
    expect(new Map([...counts].sort())).toEqual(new Map([...expected].sort()));
    // Two batches of the same text into the state: every count doubled.
    expect(new Map([...state].sort())).toEqual(new Map([...expected].sort().map(([w, n]) => [w, 2 * n])));
    // It is large enough to be worth running: thousands of distinct words, multi-byte and \r among them.
    expect(expected.size).toBeGreaterThan(1500);
    expect([...expected.keys()].some((w) => w.endsWith('ñ'))).toBe(true);
    expect([...expected.keys()].some((w) => w.endsWith('\r'))).toBe(true);
  });
});
