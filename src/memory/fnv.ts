/**
 * FNV-1a, 32-bit, in plain JavaScript: for hashing many short byte runs (words, encoded keys) a JS
 * loop is far cheaper than a call into WebAssembly. Kernels that hash while they scan use the
 * constants directly; the result is a signed int32, as `Math.imul` gives it.
 */
// As an int32 too: an empty run hashes to the offset itself, and the token table compares hashes
// it keeps in an Int32Array.
export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;

export function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return h;
}
