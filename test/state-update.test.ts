import { describe, expect, it } from 'vitest';
import { add } from '../src/index.js';
import { stateUpdater } from '../src/exec/state-update.js';
import { StateBlockWriter } from '../src/memory/state-block.js';
import { readStatePart } from '../src/memory/state-part.js';
import { ValueWriter } from '../src/memory/value-codec.js';

// The state merge of a recognised summing update skips the call for keys without new values; the
// state it writes must be the one calling the function gives.

describe('updateStateByKey merge with a recognised sum', () => {
  const sumOr = (vs: number[], last: number | null) => vs.reduce((a, b) => a + b, 0) + (last || 0);
  const sumNullish = (vs: number[], last: number | null) => vs.reduce((a, b) => a + b, 0) + (last ?? 0);

  it.each([['||', sumOr], ['??', sumNullish]])('keeps idle states exactly as the call would (last %s 0)', (_, fn) => {
    const prev = new StateBlockWriter();
    for (const [k, s] of [['a', 5], ['b', -0], ['c', NaN], ['d', 0], ['e', 2.5], ['f', -7]] as const) prev.add(k, s);
    const block = prev.seal();
    const run = (combineWith: typeof add | undefined) => {
      const u = stateUpdater({ kind: 'updateState', prev: block, op: 'updateStateByKey', update: { kind: 'update', fn, combineWith } });
      u.push(['a', combineWith ? 3 : [3]]);
      u.push(['z', combineWith ? 1 : [1]]);
      u.end();
      return [...readStatePart(u.result().state)];
    };
    const called = run(undefined);
    expect(run(add)).toEqual(called);
    expect(called.map(([k, s]) => [k, Object.is(s, -0) ? '-0' : s])).toEqual(
      fn === sumOr ? [['a', 8], ['b', 0], ['c', 0], ['d', 0], ['e', 2.5], ['f', -7], ['z', 1]] : [['a', 8], ['b', 0], ['c', NaN], ['d', 0], ['e', 2.5], ['f', -7], ['z', 1]],
    );
  });
});

describe('updateStateByKey merge', () => {
  it('gives the same state whether new keys arrive decoded or encoded', () => {
    const prev = new StateBlockWriter();
    for (const [k, s] of [['a', 1], [2, 2], [['t', 1], 3], ['b', 4]] as const) prev.add(k, s);
    const block = prev.seal();
    const fn = (vs: number[], last: number | null) => (last === 4 ? null : vs.length * 10 + (last ?? 0));
    const updater = () => stateUpdater({ kind: 'updateState', prev: block, op: 'updateStateByKey', update: { kind: 'update', fn } });
    const news: [unknown, number[]][] = [[2, [1, 1]], ['new', [5]], [['t', 1], [1]], [NaN, [1]]];
    const decoded = updater();
    for (const pair of news) decoded.push(pair);
    const encoded = updater();
    for (const [k, vs] of news) {
      const w = new ValueWriter(16);
      w.write(k);
      encoded.pushEncoded!(w.buf, 0, w.length, vs);
    }
    const state = [...readStatePart(decoded.result().state)];
    expect([...readStatePart(encoded.result().state)]).toEqual(state);
    expect(state).toEqual([['a', 1], [2, 22], [['t', 1], 13], ['new', 10], [NaN, 10]]);
  });
});

