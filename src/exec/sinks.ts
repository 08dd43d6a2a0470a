import { NotAPairError } from '../errors.js';
import { sealBlock } from '../memory/partitioned-block.js';
import { ValueWriter } from '../memory/value-codec.js';
import type { Aggregator, Partitioner, SinkDesc } from '../plan/task.js';
import { createCombiner } from './aggregate.js';
import { stateUpdater } from './state-update.js';
import { windowMerger } from './window-merge.js';
import { textPartWriter } from './text-part-writer.js';
import { compareValues } from './compare.js';
import { partitionOfEncoded } from './partition-hash.js';
import { OperatorFailure, PartitionDone, type Consumer } from './pipeline.js';

/** The end of a task's chain: consumes records and produces the task's result value. */
export interface Sink extends Consumer {
  result(): unknown;
}

export function createSink(desc: SinkDesc, partition: number): Sink {
  switch (desc.kind) {
    case 'collect': {
      const rows: unknown[] = [];
      return { push: (x) => void rows.push(x), end() {}, result: () => rows };
    }
    case 'materialize': {
      const records = new ValueWriter(4096);
      let n = 0;
      return {
        push(x) {
          records.write(x);
          n++;
        },
        end() {},
        result: () => sealBlock([records], [n]),
      };
    }
    case 'count': {
      // Taking keys encoded spares a reduce partition the decoding of keys nobody reads.
      let n = 0;
      return { push: () => void n++, pushEncoded: () => void n++, end() {}, result: () => n };
    }
    case 'take': {
      const rows: unknown[] = [];
      return {
        push(x) {
          if (rows.length >= desc.n) throw new PartitionDone();
          rows.push(x);
        },
        end() {},
        result: () => rows,
      };
    }
    case 'sampleKeys': {
      const keys: unknown[] = [];
      return {
        push: (x) => void keys.push((x as [unknown, unknown])[0]),
        end() {},
        result() {
          const sign = desc.ascending ? 1 : -1;
          keys.sort((a, b) => sign * compareValues(a, b));
          if (keys.length <= desc.n) return keys;
          return Array.from({ length: desc.n }, (_, i) => keys[Math.floor(((i + 0.5) * keys.length) / desc.n)]);
        },
      };
    }
    case 'shuffle':
      return new ShuffleWriter(desc.partitioner, desc.agg, partition);
    case 'updateState':
      return stateUpdater(desc);
    case 'mergeWindow':
      return windowMerger(desc);
    case 'saveText':
      return textPartWriter(desc.dir, partition);
  }
}

/**
 * Map side of a shuffle. Keyed aggregators combine first, so only distinct keys are hashed and
 * written; each key is encoded once, hashed, and its bytes copied to its section of the block.
 */
class ShuffleWriter implements Sink {
  readonly #partitioner: Partitioner;
  readonly #agg: Aggregator;
  readonly #combiner;
  readonly #sections: ValueWriter[];
  readonly #counts: Int32Array;
  #next: number; // round-robin cursor

  constructor(partitioner: Partitioner, agg: Aggregator, partition: number) {
    this.#partitioner = partitioner;
    this.#agg = agg;
    const n = partitioner.kind === 'range' ? partitioner.bounds.length + 1 : partitioner.partitions;
    this.#sections = Array.from({ length: n }, () => new ValueWriter(4096));
    this.#counts = new Int32Array(n);
    this.#next = partition % n;
    this.#combiner = agg.kind === 'none' || agg.kind === 'sort' ? undefined : createCombiner(agg);
  }

  push(x: unknown): void {
    if (this.#combiner) {
      if (!Array.isArray(x) || x.length !== 2) throw new OperatorFailure(this.#agg.op, new NotAPairError(this.#agg.op, x));
      this.#combiner.add(x[0], x[1]);
    } else if (this.#agg.kind === 'sort') {
      const [key, row] = x as [unknown, unknown];
      this.#write(this.#rangeOf(key), key, row);
    } else {
      const r = this.#next;
      this.#next = (r + 1) % this.#sections.length;
      this.#sections[r].write(x);
      this.#counts[r]++;
    }
  }

  end(): void {
    if (!this.#combiner) return;
    const key = new ValueWriter(256);
    const value = new ValueWriter(256);
    this.#combiner.forEachEncoded(value, (k) => {
      key.reset();
      key.write(k);
      this.#keyed(key.buf, 0, key.length).appendBytes(value.buf, 0, value.length);
    });
  }

  pushEncoded(bytes: Uint8Array, start: number, end: number, value: unknown): void {
    this.#keyed(bytes, start, end).write(value);
  }

  /** The section of the encoded key `bytes[start, end)`, with the key appended and the record counted: its value goes next. */
  #keyed(bytes: Uint8Array, start: number, end: number): ValueWriter {
    const r = partitionOfEncoded(bytes, start, end, this.#sections.length);
    this.#counts[r]++;
    const section = this.#sections[r];
    section.appendBytes(bytes, start, end);
    return section;
  }

  result(): SharedArrayBuffer {
    return sealBlock(this.#sections, this.#counts);
  }

  #write(r: number, a: unknown, b: unknown): void {
    this.#sections[r].write(a);
    this.#sections[r].write(b);
    this.#counts[r]++;
  }

  #rangeOf(key: unknown): number {
    const p = this.#partitioner as Extract<Partitioner, { kind: 'range' }>;
    const sign = p.ascending ? 1 : -1;
    let lo = 0;
    let hi = p.bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sign * compareValues(key, p.bounds[mid]) > 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
