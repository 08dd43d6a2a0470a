import { CorruptDataError } from '../errors.js';
import { deserialize, serialize } from 'node:v8';

/**
 * The record codec: how a JavaScript value is laid out as bytes in a partitioned block (shuffle
 * output, parallelized data). Tags and widths are drawn in `native-layouts/README.md`
 * ("Value encoding"). Equal keys always encode to equal bytes (the hash partitioner relies on it),
 * so `-0` is written as `0` and every well-formed string as UTF-8.
 *
 * Why not `v8.serialize` for everything: it costs a header and a call per value, and its bytes for
 * equal strings differ between one- and two-byte representations, which would break hashing.
 * It remains the fallback for values with no tag of their own (Map, Set, Date, typed arrays…).
 */
const Tag = {
  Null: 0,
  Undefined: 1,
  False: 2,
  True: 3,
  Int32: 4,
  Float64: 5,
  String: 6,
  Array: 7,
  Object: 8,
  BigInt: 9,
  V8: 10,
  String16: 11,
} as const;

/** A growable byte buffer that values are encoded into. */
export class ValueWriter {
  buf: Buffer;
  length = 0;

  constructor(initial = 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  reset(): void {
    this.length = 0;
  }

  ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  /** Appends another writer's bytes (used to move an encoded key into its partition). */
  appendBytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    if (n <= 32) {
      // Keys are short: a loop beats allocating a subarray view per copy.
      const buf = this.buf;
      let at = this.length;
      for (let i = start; i < end; i++) buf[at++] = src[i];
    } else {
      this.buf.set(src.subarray(start, end), this.length);
    }
    this.length += n;
  }

  write(v: unknown): void {
    switch (typeof v) {
      case 'string':
        return this.#string(v);
      case 'number':
        if ((v | 0) === v) {
          // `v | 0` also turns -0 into 0, so the two equal keys encode alike.
          this.ensure(5);
          this.buf[this.length] = Tag.Int32;
          this.buf.writeInt32LE(v | 0, this.length + 1);
          this.length += 5;
        } else {
          this.ensure(9);
          this.buf[this.length] = Tag.Float64;
          this.buf.writeDoubleLE(v, this.length + 1);
          this.length += 9;
        }
        return;
      case 'boolean':
        return this.#tag(v ? Tag.True : Tag.False);
      case 'undefined':
        return this.#tag(Tag.Undefined);
      case 'bigint': {
        this.#tag(Tag.BigInt);
        return this.#raw(v.toString());
      }
      case 'object':
        if (v === null) return this.#tag(Tag.Null);
        if (Array.isArray(v)) {
          this.ensure(5);
          this.buf[this.length] = Tag.Array;
          this.buf.writeUInt32LE(v.length, this.length + 1);
          this.length += 5;
          for (let i = 0; i < v.length; i++) this.write(v[i]);
          return;
        }
        if (isPlainObject(v)) {
          const keys = Object.keys(v);
          this.ensure(5);
          this.buf[this.length] = Tag.Object;
          this.buf.writeUInt32LE(keys.length, this.length + 1);
          this.length += 5;
          for (const k of keys) {
            this.#raw(k);
            this.write((v as Record<string, unknown>)[k]);
          }
          return;
        }
        return this.#v8(v);
      default:
        // Functions and symbols cannot cross threads; v8.serialize raises the clear DataCloneError.
        return this.#v8(v);
    }
  }

  /**
   * Appends the string whose UTF-8 bytes are `src[start, end)`, which must be valid UTF-8: the
   * very bytes `write` gives for the decoded string, without decoding it (the splitCount kernel's
   * keys, which are byte ranges of the batch).
   */
  writeUtf8(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(5);
    this.buf[this.length] = Tag.String;
    this.buf.writeUInt32LE(n, this.length + 1);
    this.length += 5;
    this.appendBytes(src, start, end);
  }

  /**
   * Appends an array of `n` copies of the primitive `v`: the very bytes `write` gives for that
   * array, with `v` encoded once and its bytes copied (a grouped key's run of equal values).
   */
  writeRepeated(v: unknown, n: number): void {
    this.ensure(5);
    this.buf[this.length] = Tag.Array;
    this.buf.writeUInt32LE(n, this.length + 1);
    this.length += 5;
    if (n === 0) return;
    const at = this.length;
    this.write(v);
    const size = this.length - at;
    this.ensure(size * (n - 1));
    // Doubling copies: log2(n) calls, not n.
    let done = 1;
    while (done < n) {
      const k = Math.min(done, n - done);
      this.buf.copyWithin(at + done * size, at, at + k * size);
      done += k;
    }
    this.length = at + n * size;
  }

  /** Appends the pair `[key, value]` whose key is already encoded: `src[start, end)`, copied as is. */
  writeEncodedPair(src: Uint8Array, start: number, end: number, value: unknown): void {
    this.ensure(5);
    this.buf[this.length] = Tag.Array;
    this.buf.writeUInt32LE(2, this.length + 1);
    this.length += 5;
    this.appendBytes(src, start, end);
    this.write(value);
  }

  #tag(t: number): void {
    this.ensure(1);
    this.buf[this.length++] = t;
  }

  #string(s: string): void {
    if (!s.isWellFormed()) {
      // A lone surrogate (an emoji cut by slice) has no UTF-8 form; keep its UTF-16 units as they are.
      this.ensure(5 + s.length * 2);
      this.buf[this.length] = Tag.String16;
      const n = this.buf.write(s, this.length + 5, 'utf16le');
      this.buf.writeUInt32LE(n, this.length + 1);
      this.length += 5 + n;
      return;
    }
    this.ensure(5 + s.length * 3);
    this.buf[this.length] = Tag.String;
    const n = s.length <= 24 ? writeShort(this.buf, s, this.length + 5) : this.buf.write(s, this.length + 5, 'utf8');
    this.buf.writeUInt32LE(n, this.length + 1);
    this.length += 5 + n;
  }

  /** A length-prefixed UTF-8 string with no tag (object keys, bigint digits). */
  #raw(s: string): void {
    this.ensure(4 + s.length * 3);
    const n = this.buf.write(s, this.length + 4, 'utf8');
    this.buf.writeUInt32LE(n, this.length);
    this.length += 4 + n;
  }

  #v8(v: unknown): void {
    const bytes = serialize(v);
    this.ensure(5 + bytes.length);
    this.buf[this.length] = Tag.V8;
    this.buf.writeUInt32LE(bytes.length, this.length + 1);
    this.buf.set(bytes, this.length + 5);
    this.length += 5 + bytes.length;
  }
}

/**
 * Whether the encoded key at `buf[pos]` can be matched by its bytes alone, as equal to another
 * exactly when the bytes are equal, with a `Map`'s SameValueZero: strings, integers, bigints,
 * booleans, null and undefined. Not other numbers (NaNs with different bit patterns are one key),
 * nor arrays and objects (a KeyMap compares those by their re-encoding, and lists them last).
 */
export function isPlainEncodedKey(buf: Uint8Array, pos: number): boolean {
  const tag = buf[pos];
  return tag !== Tag.Float64 && tag !== Tag.Array && tag !== Tag.Object && tag !== Tag.V8;
}

/**
 * Whether `v` decodes as exactly what was encoded, a primitive that is neither -0 (it is written
 * as 0) nor a symbol; objects may come back as something else (a class instance as a plain object).
 */
export function roundTrips(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'undefined':
    case 'bigint':
      return true;
    case 'number':
      return !Object.is(v, -0);
    default:
      return v === null;
  }
}

/** Reads values back from a byte range (usually a Buffer over a SharedArrayBuffer). */
export class ValueReader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start: number, end: number) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /**
   * The next value. Bytes that are not a value (a tag unknown, a length or count past `end`) are
   * a CorruptDataError, raised before anything is allocated on their word: every element takes at
   * least one byte, so a count larger than the bytes left cannot be honest.
   */
  read(): unknown {
    const b = this.buf;
    const tag = b[this.pos++];
    switch (tag) {
      case Tag.Null:
        return null;
      case Tag.Undefined:
        return undefined;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.Int32: {
        this.#need(4);
        const v = b.readInt32LE(this.pos);
        this.pos += 4;
        return v;
      }
      case Tag.Float64: {
        this.#need(8);
        const v = b.readDoubleLE(this.pos);
        this.pos += 8;
        return v;
      }
      case Tag.String: {
        const n = this.#length();
        const s = utf8Slice(b, this.pos + 4, this.pos + 4 + n);
        this.pos += 4 + n;
        return s;
      }
      case Tag.String16: {
        const n = this.#length();
        const s = b.toString('utf16le', this.pos + 4, this.pos + 4 + n);
        this.pos += 4 + n;
        return s;
      }
      case Tag.Array: {
        const n = this.#count(1);
        const out = new Array(n);
        for (let i = 0; i < n; i++) out[i] = this.#element();
        return out;
      }
      case Tag.Object: {
        const n = this.#count(5);
        const out: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const k = this.#raw();
          const v = this.read();
          // An own '__proto__' key must stay data: assignment would set the prototype instead.
          if (k === '__proto__') Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
          else out[k] = v;
        }
        return out;
      }
      case Tag.BigInt: {
        const text = this.#raw();
        try {
          return BigInt(text);
        } catch {
          throw corrupt(`a bigint that is not a number (${JSON.stringify(text.slice(0, 20))})`, this.pos);
        }
      }
      case Tag.V8: {
        const n = this.#length();
        let v: unknown;
        try {
          v = deserialize(b.subarray(this.pos + 4, this.pos + 4 + n));
        } catch (e) {
          throw corrupt(`a structured-clone value that does not deserialize (${e instanceof Error ? e.message : String(e)})`, this.pos);
        }
        this.pos += 4 + n;
        return v;
      }
      default:
        throw corrupt(`unknown value tag ${tag}`, this.pos - 1);
    }
  }

  /**
   * If the value at `pos` is an array, appends its elements to `target` (decoded as `read` would,
   * without building the array first: a grouped key's values from one more map task) and returns
   * true; otherwise moves nothing and returns false.
   */
  appendArray(target: unknown[]): boolean {
    if (this.buf[this.pos] !== Tag.Array) return false;
    this.pos++;
    const n = this.#count(1);
    for (let i = 0; i < n; i++) target.push(this.#element());
    return true;
  }

  /** An array element: as `read`, with the commonest, a 32-bit integer, decoded in line. */
  #element(): unknown {
    const b = this.buf;
    const p = this.pos;
    if (b[p] === Tag.Int32 && p + 5 <= this.end) {
      this.pos = p + 5;
      return b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16) | (b[p + 4] << 24);
    }
    return this.read();
  }

  /** `k` more bytes are there. */
  #need(k: number): void {
    if (this.pos + k > this.end) throw corrupt(`a value runs past the end (${k} bytes needed, ${this.end - this.pos} left)`, this.pos);
  }

  /** A u32 byte length at `pos` whose bytes follow within the range. */
  #length(): number {
    this.#need(4);
    const n = this.buf.readUInt32LE(this.pos);
    this.#need(4 + n);
    return n;
  }

  /** A u32 element count, each element at least `min` bytes; `pos` moves past it. */
  #count(min: number): number {
    this.#need(4);
    const n = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    if (n * min > this.end - this.pos) throw corrupt(`${n} elements cannot fit in the ${this.end - this.pos} bytes left`, this.pos - 4);
    return n;
  }

  /** Moves past one value without building it (to copy encoded bytes as they are). */
  skip(): void {
    const b = this.buf;
    const tag = b[this.pos++];
    switch (tag) {
      case Tag.Null:
      case Tag.Undefined:
      case Tag.False:
      case Tag.True:
        return;
      case Tag.Int32:
        this.#need(4);
        this.pos += 4;
        return;
      case Tag.Float64:
        this.#need(8);
        this.pos += 8;
        return;
      case Tag.String:
      case Tag.String16:
      case Tag.BigInt:
      case Tag.V8:
        this.pos += 4 + this.#length();
        return;
      case Tag.Array: {
        const n = this.#count(1);
        for (let i = 0; i < n; i++) this.skip();
        return;
      }
      case Tag.Object: {
        const n = this.#count(5);
        for (let i = 0; i < n; i++) {
          this.pos += 4 + this.#length();
          this.skip();
        }
        return;
      }
      default:
        throw corrupt(`unknown value tag ${tag}`, this.pos - 1);
    }
  }

  #raw(): string {
    const n = this.#length();
    const s = this.buf.toString('utf8', this.pos + 4, this.pos + 4 + n);
    this.pos += 4 + n;
    return s;
  }
}

function corrupt(what: string, at: number): CorruptDataError {
  return new CorruptDataError(`corrupt record block: ${what} at byte ${at}`);
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Words are short and mostly ASCII: copying their code units in JavaScript is several times
 * cheaper than a call into Buffer's native UTF-8 codec. Anything else goes to the codec.
 */
function writeShort(buf: Buffer, s: string, at: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return buf.write(s, at, 'utf8');
    buf[at + i] = c;
  }
  return s.length;
}

/** `buf[start, end)` decoded as UTF-8 (invalid sequences as U+FFFD), quickest for short ASCII. */
export function utf8Slice(buf: Buffer, start: number, end: number): string {
  if (end - start > 24) return buf.toString('utf8', start, end);
  let s = '';
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b >= 0x80) return buf.toString('utf8', start, end);
    s += String.fromCharCode(b);
  }
  return s;
}
