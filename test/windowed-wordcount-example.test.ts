import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runExample } from './helpers/example.js';
import { waitFor } from './helpers/streaming.js';

// examples/windowed_wordcount.ts as users run it (its own process, a real TCP server in place of
// netcat), with short durations: 0.25 s batches, a 1 s window sliding every 0.5 s.

const RULE = '-------------------------------------------';

/** The records of every pprint block printed so far. */
function blocks(stdout: string): string[][] {
  return stdout
    .split(`${RULE}\nTime: `)
    .slice(1)
    .map((b) => b.split('\n').slice(2).filter((l) => l !== ''));
}

it('prints the top words of each window, most frequent first, until they leave the window', async () => {
  const clients: net.Socket[] = [];
  const server = net.createServer((s) => clients.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const cp = mkdtempSync(join(tmpdir(), 'chispa-window-example-'));
  const ex = runExample('windowed_wordcount.ts', ['127.0.0.1', String(port), '0.25', '1', '0.5', '60', cp]);
  try {
    await waitFor(() => clients.length === 1, 'the example to connect', 60_000);
    clients[0].write('b a a\nc  a\n');
    const withWords = () => blocks(ex.stdout).findIndex((b) => b.length > 0);
    await waitFor(() => withWords() >= 0, `a window with the words (stderr: ${ex.stderr})`, 60_000);
    const first = blocks(ex.stdout)[withWords()];
    expect(first[0]).toBe("('a', 3)");
    expect(first.slice(1).sort()).toEqual(["('b', 1)", "('c', 1)"]);
    // The empty word between the two spaces is filtered out; after 1 s the words leave the window.
    await waitFor(() => blocks(ex.stdout).slice(withWords()).some((b) => b.length === 0), 'the words to leave the window', 60_000);
  } finally {
    ex.child.kill('SIGKILL');
    for (const c of clients) c.destroy();
    server.close();
    rmSync(cp, { recursive: true, force: true });
  }
}, 90_000); // a child process compiles the example and starts its workers: slow on a loaded machine
