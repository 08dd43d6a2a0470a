import { h32 } from '../memory/xxhash.js';

/**
 * The frame around every checkpoint file: a fixed header with the payload's length and checksum,
 * then the payload (a FlatBuffers buffer). FlatBuffers' JavaScript runtime has no verifier, and a
 * crash can leave a file short; the frame turns both into a clear "damaged" instead of garbage.
 * Layout in `native-layouts/README.md` ("Checkpoint frame").
 */
const MAGIC = 0x4b434843; // 'CHCK' little-endian
const VERSION = 1;
const FRAME_HEADER = 24;

export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(VERSION, 4);
  out.writeBigUInt64LE(BigInt(payload.length), 8);
  out.writeUInt32LE(h32(payload), 16);
  out.writeUInt32LE(0, 20);
  out.set(payload, FRAME_HEADER);
  return out;
}

/** The payload checksum a frame carries (not verified: `unframe` does that). */
export function frameChecksum(file: Uint8Array): number {
  return file.length < FRAME_HEADER ? -1 : Buffer.from(file.buffer, file.byteOffset, file.byteLength).readUInt32LE(16);
}

/** The payload of a framed file, or the reason it is not a sound one. */
export function unframe(file: Buffer): { payload: Uint8Array } | { damaged: string } {
  if (file.length < FRAME_HEADER) return { damaged: `truncated (${file.length} bytes)` };
  if (file.readUInt32LE(0) !== MAGIC) return { damaged: 'not a chispa checkpoint file' };
  if (file.readUInt32LE(4) !== VERSION) return { damaged: `unknown frame version ${file.readUInt32LE(4)}` };
  const length = Number(file.readBigUInt64LE(8));
  if (file.length !== FRAME_HEADER + length) return { damaged: `truncated (${file.length - FRAME_HEADER} of ${length} payload bytes)` };
  const payload = file.subarray(FRAME_HEADER);
  if (h32(payload) !== file.readUInt32LE(16)) return { damaged: 'checksum mismatch' };
  return { payload };
}
