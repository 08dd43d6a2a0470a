import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { runExample } from './helpers/example.js';
import { waitFor } from './helpers/streaming.js';

// examples/http_receiver.ts as users run it (its own process), against a real HTTP server on
// 127.0.0.1 that streams lines and ends its first response: the receiver restarts, reconnects,
// and every word is counted once.

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
  const ex = runExample('http_receiver.ts', [url, '0.25', '60']);
  try {
    await waitFor(() => totals(ex.stdout).to === 3, `the second connection's words (stdout: ${ex.stdout}, stderr: ${ex.stderr})`, 60_000);
    expect(responses.length).toBe(2);
    expect(ex.stdout).toContain(RULE);
    expect(totals(ex.stdout)).toEqual({ to: 3, be: 2, or: 1, not: 1 });
    expect(ex.stderr).toBe('');
  } finally {
    ex.child.kill('SIGKILL');
    for (const r of responses) r.destroy();
    server.close();
  }
}, 90_000); // a child process compiles the example and starts its workers: slow on a loaded machine
