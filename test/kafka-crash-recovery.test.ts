import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, produce, startBroker, type KafkaBroker } from './helpers/kafka.js';
import { latestState, launchProgram, sumOf } from './helpers/child-program.js';
import { waitFor } from './helpers/streaming.js';

// The stateful WordCount over a direct Kafka stream, SIGKILLed mid-batch and mid-checkpoint-write
// and restarted with getOrCreate each time: it resumes from the offset ranges in its checkpoint,
// so the final counts equal a single-thread oracle over every record produced. Nothing lost,
// nothing counted twice.

const root = fileURLToPath(new URL('..', import.meta.url));
const genesis = readFileSync(join(root, 'src/cli/data/genesis.txt'), 'utf8').split('\n').filter((l) => l.length > 0);

/** Batches that read at least one record. */
const fullBatches = (r: { lines: string[] }) => r.lines.filter((l) => /^done \d+ [1-9]/.test(l)).length;

describe('crash recovery of the stateful WordCount over a direct Kafka stream', () => {
  let broker: KafkaBroker;
  let base: string;
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'chispa-kafka-crash-'));
    broker = await startBroker();
  }, 180_000);
  afterAll(async () => {
    await broker?.close();
    rmSync(base, { recursive: true, force: true });
  }, 90_000);

  it('SIGKILL during a batch and during a checkpoint write: counts equal the oracle', async () => {
    const topic = await createTopic(broker.bootstrap, 3);
    const [cp, out] = ['cp', 'out'].map((d) => join(base, d));
    mkdirSync(out, { recursive: true });
    const oracle = new Map<string, number>();
    let at = 0;
    /** Produces the next `n` lines of Genesis over the 3 partitions and counts them in the oracle. */
    const send = async (n: number) => {
      const lines = genesis.slice(at % genesis.length, (at % genesis.length) + n);
      at += n;
      for (const l of lines) for (const w of l.split(' ')) oracle.set(w, (oracle.get(w) ?? 0) + 1);
      await produce(broker.bootstrap, topic, lines.map((value, i) => ({ value, partition: i % 3 })));
    };
    const args = [broker.bootstrap, topic, cp, out, 'local[2]', '0.5'];

    // Run 1: killed while a batch with records is running.
    await send(200);
    let run = launchProgram('kafka-stateful.ts', args);
    await waitFor(() => fullBatches(run) > 0, 'a batch with records', 90_000);
    await send(300);
    const started = run.lines.filter((l) => l.startsWith('started')).length;
    await waitFor(() => run.lines.filter((l) => l.startsWith('started')).length > started, 'a batch to start', 60_000);
    run.child.kill('SIGKILL');
    await run.exited;

    // Runs 2..: killed the moment a checkpoint's temporary directory appears, until one kill lands
    // while it still exists (mid-write).
    let midWrite = false;
    for (let attempt = 0; attempt < 8 && !midWrite; attempt++) {
      run = launchProgram('kafka-stateful.ts', args);
      const killer = watch(cp, (_event, name) => {
        if (name && String(name).startsWith('.checkpoint-')) run.child.kill('SIGKILL');
      });
      await send(50);
      await run.exited;
      killer.close();
      midWrite = readdirSync(cp).some((n) => n.startsWith('.checkpoint-'));
    }
    expect(midWrite).toBe(true);

    // Final run: the rest, and everything is counted exactly once.
    run = launchProgram('kafka-stateful.ts', args);
    await send(250);
    const total = sumOf(oracle);
    await waitFor(() => sumOf(latestState(out)) >= total, 'every record to be counted', 180_000);
    run.child.kill('SIGKILL');
    await run.exited;
    const state = latestState(out);
    expect(sumOf(state)).toBe(total);
    expect(new Map([...state].sort())).toEqual(new Map([...oracle].sort()));
  }, 420_000);
});
