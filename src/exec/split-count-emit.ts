import { ValueWriter, utf8Slice } from '../memory/value-codec.js';
import type { Consumer } from './pipeline.js';

/** A splitCount kernel's distinct tokens, in first-occurrence order, where their bytes lie. */
export interface CountedTokens {
  readonly size: number;
  /** Some token is not valid UTF-8: two such byte sequences may decode to one string (U+FFFD). */
  readonly invalidUtf8: boolean;
  /** Token `i` is `bytes(i)[start(i), end(i))`. */
  bytes(i: number): Buffer;
  start(i: number): number;
  end(i: number): number;
  count(i: number): number;
}

/**
 * Feeds a splitCount kernel's result to `out` as `[token, count × value]` pairs, the same for the
 * JavaScript and the WebAssembly kernels. When every token is valid UTF-8 the words go to the
 * shuffle writer still as bytes (`pushEncoded`): its encoding is a tag, a length and those bytes,
 * so no word is decoded, combined or re-encoded on the map side. Otherwise each distinct token is
 * decoded and pushed, and the writer's combiner merges byte sequences that decode to the same
 * string (two invalid sequences both becoming U+FFFD, or one and a real U+FFFD).
 */
export function emitTokens(out: Consumer, value: number, tokens: CountedTokens): void {
  const { size } = tokens;
  if (!tokens.invalidUtf8 && out.pushEncoded) {
    // Distinct valid UTF-8 byte sequences decode to distinct strings: the tokens are the
    // partition's distinct keys already, and their bytes are their encoding.
    const key = new ValueWriter(256);
    for (let i = 0; i < size; i++) {
      key.reset();
      key.writeUtf8(tokens.bytes(i), tokens.start(i), tokens.end(i));
      out.pushEncoded(key.buf, 0, key.length, tokens.count(i) * value);
    }
  } else {
    for (let i = 0; i < size; i++) out.push([utf8Slice(tokens.bytes(i), tokens.start(i), tokens.end(i)), tokens.count(i) * value]);
  }
  out.end();
}
