import type { LineBatchBuilder } from '../memory/line-batch.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines on `\n`, `\r\n` or `\r`, terminators removed, feeding a
 * {@link LineBatchBuilder}. Works on bytes, never on decoded strings: a multi-byte character split
 * across two network chunks is simply appended in two pieces, and decoding (with invalid
 * sequences becoming U+FFFD) happens once, in the task that reads the line.
 */
export class LineSplitter {
  readonly #out: LineBatchBuilder;
  #afterCR = false; // a `\r` ended the last line; a `\n` right after it belongs to it

  constructor(out: LineBatchBuilder) {
    this.#out = out;
  }

  write(chunk: Uint8Array): void {
    let start = 0;
    const n = chunk.length;
    if (this.#afterCR && n > 0) {
      this.#afterCR = false;
      if (chunk[0] === LF) start = 1;
    }
    // Most streams end lines with `\n` only: then a native byte search (memchr) finds them, far
    // faster than looking at every byte in JavaScript.
    if (indexOf(chunk, CR, start) === -1) {
      for (let i = indexOf(chunk, LF, start); i !== -1; i = indexOf(chunk, LF, start)) {
        this.#out.append(chunk, start, i);
        this.#out.endLine();
        start = i + 1;
      }
      if (start < n) this.#out.append(chunk, start, n);
      return;
    }
    for (let i = start; i < n; i++) {
      const b = chunk[i];
      if (b !== LF && b !== CR) continue;
      this.#out.append(chunk, start, i);
      this.#out.endLine();
      if (b === CR) {
        if (i + 1 < n) {
          if (chunk[i + 1] === LF) i++;
        } else {
          this.#afterCR = true;
        }
      }
      start = i + 1;
    }
    if (start < n) this.#out.append(chunk, start, n);
  }

  /** The stream broke: a final unterminated line is dropped, not emitted. */
  abort(): void {
    this.#afterCR = false;
    this.#out.discardOpenLine();
  }

  /** End of stream: a final unterminated line is emitted. */
  end(): void {
    this.#afterCR = false;
    if (this.#out.hasOpenLine) this.#out.endLine();
  }
}

/** `Uint8Array.prototype.indexOf` is a plain loop in V8; Buffer's is native memchr. */
function indexOf(chunk: Uint8Array, byte: number, from: number): number {
  return Buffer.prototype.indexOf.call(chunk, byte, from);
}
