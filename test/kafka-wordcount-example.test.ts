import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { committedOffsets, createTopic, endOffsets, produce, readTopic, startBroker, type KafkaBroker } from './helpers/kafka.js';

// examples/kafka_wordcount.ts as users run it (its own process) against a real broker: lines in
// one topic, per-batch word counts out to another through an idempotent producer, offsets
// committed after each batch's write.

const root = fileURLToPath(new URL('..', import.meta.url));
const genesis = readFileSync(new URL('../src/cli/data/genesis.txt', import.meta.url), 'utf8').split('\n').filter((l) => l.length > 0);

let broker: KafkaBroker;
beforeAll(async () => {
  broker = await startBroker();
}, 180_000);
afterAll(async () => {
  await broker?.close();
}, 90_000);

/** Sums the per-batch counts written so far, per word. */
async function totals(topic: string): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const [k, v] of await readTopic(broker.bootstrap, topic)) m.set(k!, (m.get(k!) ?? 0) + Number(v));
  return m;
}

it('writes each batch’s word counts to a topic and commits the batch’s offsets', async () => {
  const input = await createTopic(broker.bootstrap, 3, 'lines');
  const output = await createTopic(broker.bootstrap, 1, 'wordcounts');
  const oracle = new Map<string, number>();
  const send = async (lines: string[]) => {
    for (const l of lines) for (const w of l.split(' ')) oracle.set(w, (oracle.get(w) ?? 0) + 1);
    await produce(broker.bootstrap, input, lines.map((value, i) => ({ value, partition: i % 3 })));
  };
  await send(genesis.slice(0, 300));
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/kafka_wordcount.ts', broker.bootstrap, input, output, '0.5', '300'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const total = () => [...oracle.values()].reduce((a, b) => a + b, 0);
  const poll = async (what: string) => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const got = await totals(output);
      if ([...got.values()].reduce((a, b) => a + b, 0) >= total()) return got;
      if (child.exitCode !== null) throw new Error(`the example exited (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  try {
    await poll('the first lines to be counted');
    await send(genesis.slice(300, 500));
    const got = await poll('all lines to be counted');
    expect(new Map([...got].sort())).toEqual(new Map([...oracle].sort()));
    // Every output record names the batch it came from.
    for (const [, , headers] of await readTopic(broker.bootstrap, output)) expect(Number(headers.batchTime) % 500).toBe(0);
    // The group's offsets reach the end of the input once the last batch is written.
    const ends = await endOffsets(broker.bootstrap, input);
    const deadline = Date.now() + 60_000;
    while (JSON.stringify(await committedOffsets(broker.bootstrap, 'kafka_wordcount', input, 3)) !== JSON.stringify(ends)) {
      if (Date.now() > deadline) throw new Error('offsets were not committed');
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  expect(stderr).toBe('');
}, 300_000);
