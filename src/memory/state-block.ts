import { CorruptDataError } from '../errors.js';
import { ValueReader, ValueWriter } from './value-codec.js';

/**
 * A state block: one partition of a stateful operator's keyed state, as `[key, state]` pairs in
 * one SharedArrayBuffer. Keys are encoded with the value codec; states that are all numbers (the
 * WordCount case) are a float64 column, any others are encoded values. A block is immutable: a
 * batch writes a new block per partition, and the driver swaps them in only when every partition
 * of the batch has committed. Layout in `native-layouts/README.md` ("StateBlock").
 */

const MAGIC = 0x54534843; // 'CHST' little-endian
const VERSION = 1;
const HEADER_BYTES = 32;
const H_MAGIC = 0;
const H_VERSION = 1;
const H_COUNT = 2;
const H_VALUE_KIND = 3;
const H_KEY_BYTES = 4;
const H_VALUE_BYTES = 5;

const NUMBERS = 0;
const ENCODED = 1;

/** Accumulates `[key, state]` pairs and seals them into a block. */
export class StateBlockWriter {
  readonly #keys = new ValueWriter(4096);
  #numbers: Float64Array | undefined = new Float64Array(1024);
  #encoded: ValueWriter | undefined;
  #count = 0;

  get count(): number {
    return this.#count;
  }

  add(key: unknown, state: unknown): void {
    this.#keys.write(key);
    this.#addState(state);
  }

  /** Adds a pair whose key is already encoded: `src[start, end)`, copied as is. */
  addEncodedKey(src: Uint8Array, start: number, end: number, state: unknown): void {
    this.#keys.appendBytes(src, start, end);
    this.#addState(state);
  }

  #addState(state: unknown): void {
    if (this.#numbers && typeof state === 'number') {
      if (this.#count === this.#numbers.length) {
        const grown = new Float64Array(this.#numbers.length * 2);
        grown.set(this.#numbers);
        this.#numbers = grown;
      }
      this.#numbers[this.#count] = state;
    } else {
      if (this.#numbers) this.#switchToEncoded();
      this.#encoded!.write(state);
    }
    this.#count++;
  }

  /** The first state that is not a number moves every state so far to the encoded column. */
  #switchToEncoded(): void {
    const w = new ValueWriter(Math.max(1024, this.#count * 9));
    for (let i = 0; i < this.#count; i++) w.write(this.#numbers![i]);
    this.#numbers = undefined;
    this.#encoded = w;
  }

  seal(): SharedArrayBuffer {
    const keyBytes = this.#keys.length;
    const valuesAt = align8(HEADER_BYTES + keyBytes);
    const valueBytes = this.#numbers ? this.#count * 8 : this.#encoded!.length;
    const sab = new SharedArrayBuffer(valuesAt + valueBytes);
    const header = new Int32Array(sab, 0, HEADER_BYTES / 4);
    header[H_MAGIC] = MAGIC;
    header[H_VERSION] = VERSION;
    header[H_COUNT] = this.#count;
    header[H_VALUE_KIND] = this.#numbers ? NUMBERS : ENCODED;
    header[H_KEY_BYTES] = keyBytes;
    header[H_VALUE_BYTES] = valueBytes;
    const bytes = new Uint8Array(sab);
    bytes.set(this.#keys.buf.subarray(0, keyBytes), HEADER_BYTES);
    if (this.#numbers) new Float64Array(sab, valuesAt, this.#count).set(this.#numbers.subarray(0, this.#count));
    else bytes.set(this.#encoded!.buf.subarray(0, valueBytes), valuesAt);
    return sab;
  }
}

/** Number of pairs in a block. */
export function stateBlockCount(sab: SharedArrayBuffer): number {
  return checkedHeader(sab)[H_COUNT];
}

/** Bytes of the block's encoded keys, all together. */
export function stateBlockKeyBytes(sab: SharedArrayBuffer): number {
  return checkedHeader(sab)[H_KEY_BYTES];
}

/** A block opened for reading: keys in order, and each pair's state. */
function open(sab: SharedArrayBuffer) {
  const header = checkedHeader(sab);
  const count = header[H_COUNT];
  const keyBytes = header[H_KEY_BYTES];
  const valuesAt = align8(HEADER_BYTES + keyBytes);
  const buf = Buffer.from(sab);
  const keys = new ValueReader(buf, HEADER_BYTES, HEADER_BYTES + keyBytes);
  const numbers = header[H_VALUE_KIND] === NUMBERS ? new Float64Array(sab, valuesAt, count) : undefined;
  const values = numbers ? undefined : new ValueReader(buf, valuesAt, valuesAt + header[H_VALUE_BYTES]);
  return { count, buf, keys, state: (i: number): unknown => (numbers ? numbers[i] : values!.read()) };
}

/**
 * Visits every pair of a block in order with the key still encoded (`buf[start, end)`) and the
 * state decoded: a merge that only needs to match keys and carry them over never decodes them.
 */
export function scanStateBlock(sab: SharedArrayBuffer, visit: (buf: Buffer, keyStart: number, keyEnd: number, state: unknown) => void): void {
  const { count, buf, keys, state } = open(sab);
  for (let i = 0; i < count; i++) {
    const start = keys.pos;
    keys.skip();
    visit(buf, start, keys.pos, state(i));
  }
}

/** Every `[key, state]` pair of a block, in the order written. */
export function* readStateBlock(sab: SharedArrayBuffer): Generator<[unknown, unknown]> {
  const { count, keys, state } = open(sab);
  for (let i = 0; i < count; i++) yield [keys.read(), state(i)];
}

/** The header, its counts checked against the block's size (a checkpoint brings blocks from disk). */
function checkedHeader(sab: SharedArrayBuffer): Int32Array {
  if (sab.byteLength < HEADER_BYTES) throw new CorruptDataError(`not a chispa state block (${sab.byteLength} bytes)`);
  const header = new Int32Array(sab, 0, HEADER_BYTES / 4);
  if (header[H_MAGIC] !== MAGIC || header[H_VERSION] !== VERSION) throw new CorruptDataError('not a chispa state block');
  const count = header[H_COUNT];
  const keyBytes = header[H_KEY_BYTES];
  const valuesAt = align8(HEADER_BYTES + keyBytes);
  const valueBytes = header[H_VALUE_KIND] === NUMBERS ? count * 8 : header[H_VALUE_BYTES];
  const kindKnown = header[H_VALUE_KIND] === NUMBERS || header[H_VALUE_KIND] === ENCODED;
  // Every key takes at least one byte.
  if (!kindKnown || count < 0 || keyBytes < 0 || valueBytes < 0 || count > keyBytes || valuesAt + valueBytes > sab.byteLength) {
    throw new CorruptDataError(`state block header out of bounds (${count} keys, ${keyBytes} key bytes, ${valueBytes} value bytes in ${sab.byteLength} bytes)`);
  }
  return header;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
