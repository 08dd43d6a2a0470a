import xxhash from 'xxhash-wasm';

/**
 * xxHash32 (seed 0), the hash of shuffle partitioning and checkpoint checksums. Two
 * implementations of the same function: short inputs (a shuffle key, hashed once per distinct
 * key per map task) in JavaScript, straight off the caller's bytes; long ones (a checkpoint file)
 * through the one xxhash-wasm instance of this thread. The WebAssembly call copies its input into
 * the module's memory and wants a view of exactly the bytes to hash, a subarray allocation per
 * key: for a word of a few bytes that overhead is most of the cost.
 *
 * Instantiating WebAssembly is async. It starts at module load but is not awaited there: a
 * top-level await would make `require('chispa')` fail (ERR_REQUIRE_ASYNC_MODULE) on Node 20.
 * Until it is ready, long inputs are hashed in JavaScript too, which gives the same hash.
 */
let api: Awaited<ReturnType<typeof xxhash>> | undefined;
void xxhash().then(
  (ready) => {
    api = ready;
  },
  // Without WebAssembly every input is hashed in JavaScript: the same function, only slower.
  () => {},
);

/** Above this, input is hashed in chunks: `h32Raw` copies its whole input into WebAssembly memory, which never shrinks. */
const CHUNK = 1 << 20;

/** Below this many bytes, hashing in JavaScript beats the call into WebAssembly. */
const SHORT = 256;

const P1 = 0x9e3779b1 | 0;
const P2 = 0x85ebca77 | 0;
const P3 = 0xc2b2ae3d | 0;
const P4 = 0x27d4eb2f | 0;
const P5 = 0x165667b1 | 0;

/** xxHash32 of `bytes`, as an unsigned 32-bit integer. */
export function h32(bytes: Uint8Array): number {
  if (bytes.length < SHORT || !api) return h32Range(bytes, 0, bytes.length);
  if (bytes.length <= CHUNK) return api.h32Raw(bytes) >>> 0;
  const h = api.create32();
  for (let off = 0; off < bytes.length; off += CHUNK) h.update(bytes.subarray(off, off + CHUNK));
  return h.digest() >>> 0;
}

/** xxHash32 of `bytes[start, end)`, unsigned, computed in JavaScript (no copy, no allocation). */
export function h32Range(bytes: Uint8Array, start: number, end: number): number {
  let p = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (P1 + P2) | 0;
    let v2 = P2;
    let v3 = 0;
    let v4 = -P1 | 0;
    for (const limit = end - 16; p <= limit; p += 16) {
      v1 = round(v1, word(bytes, p));
      v2 = round(v2, word(bytes, p + 4));
      v3 = round(v3, word(bytes, p + 8));
      v4 = round(v4, word(bytes, p + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = P5;
  }
  h = (h + (end - start)) | 0;
  for (; p + 4 <= end; p += 4) h = Math.imul(rotl((h + Math.imul(word(bytes, p), P3)) | 0, 17), P4);
  for (; p < end; p++) h = Math.imul(rotl((h + Math.imul(bytes[p], P5)) | 0, 11), P1);
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/** The little-endian 32-bit word at `p`. */
function word(b: Uint8Array, p: number): number {
  return b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
}
