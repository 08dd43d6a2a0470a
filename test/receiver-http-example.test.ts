import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { waitFor } from './helpers/streaming.js';

// examples/http_receiver.ts as users run it (its own process), against a real HTTP server on
// 127.0.0.1 that streams lines and ends its first response: the receiver restarts, reconnects,
// and every word is counted once.

const root = fileURLToPath(new URL('..', import.meta.url));
const RULE = '-------------------------------------------';

/** Word totals over every pprint block printed so far. */
function totals(stdout: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of stdout.matchAll(/^\('(.*)', (\d+)\)$/gm)) out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
  return out;
}

it('counts the words of a streaming HTTP response, across a reconnect', async () => {
  const responses: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    responses.push(res);
    res.writeHead(200, { 'content-type': 'text/plain' });
    if (responses.length === 1) {
      res.write('to be or\nnot to');
      res.end(' be\n'); // a line split across chunks; then the server ends the stream
    } else {
      res.write('to\n'); // the second connection stays open
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stream`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/http_receiver.ts', url, '0.25', '60'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  try {
    await waitFor(() => totals(stdout).to === 3, `the second connection's words (stdout: ${stdout}, stderr: ${stderr})`, 30_000);
    expect(responses.length).toBe(2);
    expect(stdout).toContain(RULE);
    expect(totals(stdout)).toEqual({ to: 3, be: 2, or: 1, not: 1 });
    expect(stderr).toBe('');
  } finally {
    child.kill('SIGKILL');
    for (const r of responses) r.destroy();
    server.close();
  }
});
