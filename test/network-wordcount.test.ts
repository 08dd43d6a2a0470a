import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add, ManualClock, SparkContext, StreamingContext } from '../src/index.js';
import { MASTERS, sorted, waitFor } from './helpers/streaming.js';

// The seed's stateless network WordCount, over a real TCP socket, checked batch by batch against a
// single-thread oracle (split + Map) over the same lines.

const genesis = readFileSync(new URL('../src/cli/data/genesis.txt', import.meta.url), 'utf8').split('\n').filter((l) => l !== '');
const batches: string[][] = [
  genesis.slice(0, 400),
  ['el niño comió ñandú', 'el  niño', ' ', 'emoji 🎉 🎉', ''], // a lone \r never precedes an empty line: '\r\n' would be one terminator
  [],
  genesis.slice(400, 1533),
];

function oracle(lines: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const line of lines) for (const w of line.split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts];
}

describe.each(MASTERS)('network WordCount under %s', (master) => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master, appName: 'Mi app' });
  });
  afterAll(() => sc.stop());

  it('gives the oracle counts for every batch', async () => {
    const clients: net.Socket[] = [];
    const server = net.createServer((s) => clients.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;

    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 5, { clock });
    const lines = ssc.socketTextStream('localhost', port);
    const counts = lines.flatMap((line) => line.split(' ')).map((word) => [word, 1]).reduceByKey(add);
    const outputs: [string, number][][] = [];
    counts.foreachRDD(async (rdd) => void outputs.push(await rdd.collect()));
    ssc.start();
    try {
      await waitFor(() => clients.length === 1, 'receiver to connect');
      let sent = 0;
      for (const [i, batch] of batches.entries()) {
        // Mixed terminators, as netcat users type them: \n, \r\n and a lone \r.
        const text = batch.map((l, j) => l + ['\n', '\r\n', '\r'][j % 3]).join('');
        // Split writes mid-character so the receiver must reassemble UTF-8 across chunks.
        const bytes = Buffer.from(text);
        for (let off = 0; off < bytes.length; off += 997) clients[0].write(bytes.subarray(off, off + 997));
        sent += batch.length;
        await waitFor(() => lines.receiverStats().lines === sent, `lines of batch ${i}`);
        clock.advance(5000);
        await waitFor(() => outputs.length === i + 1, `batch ${i}`);
      }
    } finally {
      await ssc.stop(false);
      for (const c of clients) c.destroy();
      await new Promise((r) => server.close(r));
    }
    expect(outputs.map(sorted)).toEqual(batches.map((b) => sorted(oracle(b))));
  });
});
