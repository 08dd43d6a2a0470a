/**
 * Runs `f` with process.stderr captured (nothing reaches the terminal) and returns what was
 * written, so a test can assert the log lines it expects instead of letting them print.
 */
export async function captureStderr(f: () => Promise<unknown>): Promise<string> {
  const chunks: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  }) as typeof process.stderr.write;
  try {
    await f();
  } finally {
    process.stderr.write = write;
  }
  return chunks.join('');
}
