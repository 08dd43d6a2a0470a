import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { IllegalArgumentError, ManualClock, SparkContext, StreamingContext, type ReceiverInfo } from '../src/index.js';
import { captureStderr } from './helpers/stderr.js';
import { sorted, waitFor } from './helpers/streaming.js';

// ZeroMQ as Spark's ZeroMQUtils.createStream, over real ZeroMQ sockets on 127.0.0.1: the seed's
// stateful WordCount fed by a PUB socket, with a publisher restart in the middle; a PUSH socket
// feeding a PULL stream through a custom bytesToObjects.

const genesis = readFileSync(new URL('../src/cli/data/genesis.txt', import.meta.url), 'utf8').split('\n').filter((l) => l !== '');
const sum = (vs: number[], s: number | null) => vs.reduce((a, b) => a + b, 0) + (s ?? 0);

function oracle(lines: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const line of lines) for (const w of line.split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
  return sorted([...counts]);
}

/** An XPUB socket bound at `endpoint`, resolved once a subscriber's subscription has arrived. */
async function publisher(endpoint: string): Promise<zmq.XPublisher> {
  const pub = new zmq.XPublisher({ sendHighWaterMark: 0, linger: 0 });
  await pub.bind(endpoint);
  const [subscription] = await pub.receive(); // 0x01 + topic: the receiver is connected and subscribed
  expect(subscription[0]).toBe(1);
  return pub;
}

describe('zeromqStream', () => {
  let sc: SparkContext;
  beforeAll(() => {
    sc = new SparkContext({ master: 'local[2]' });
  });
  afterAll(() => sc.stop());

  it('PUB → stateful WordCount gives exact counts, across a publisher restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chispa-zeromq-'));
    // A free port: bind on any, note it, and let the test's publishers bind it again.
    const probe = new zmq.Publisher();
    await probe.bind('tcp://127.0.0.1:*');
    const endpoint = probe.lastEndpoint!;
    probe.close();

    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    ssc.checkpoint(dir);
    const lines = ssc.zeromqStream(endpoint, { topics: ['lines'] });
    const states: [string, number][][] = [];
    lines
      .flatMap((line) => line.split(' '))
      .map((word) => [word, 1])
      .updateStateByKey(sum)
      .foreachRDD(async (rdd) => void states.push(sorted(await rdd.collect())));
    const receiverEvents: string[] = [];
    ssc.addStreamingListener({
      onReceiverStarted: (i: ReceiverInfo) => void receiverEvents.push(`started ${i.name}`),
      onReceiverError: (i: ReceiverInfo) => void receiverEvents.push(`error ${i.lastErrorMessage}`),
    });

    const parts = [genesis.slice(0, 500), genesis.slice(500, 1533)];
    let sent = 0;
    let last: zmq.XPublisher | undefined;
    const stderr = await captureStderr(async () => {
      ssc.start();
      try {
        for (const [i, part] of parts.entries()) {
          const pub = (last = await publisher(endpoint));
          for (const line of part) {
            await pub.send(['lines', line]);
            await pub.send(['noise', 'not subscribed']); // filtered out by the subscription
          }
          sent += part.length;
          await waitFor(() => lines.receiverStats().records === sent, `lines of part ${i}`);
          clock.advance(1000);
          await waitFor(() => states.length === i + 1, `batch ${i}`);
          if (i === parts.length - 1) break;
          pub.close(); // the receiver reconnects to the next publisher on the same endpoint
          await waitFor(() => receiverEvents.some((e) => e.startsWith('error')), 'lost connection reported');
        }
      } finally {
        await ssc.stop(false);
        last?.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
    expect(states[0]).toEqual(oracle(parts[0]));
    expect(states[1]).toEqual(oracle([...parts[0], ...parts[1]]));
    expect(receiverEvents[0]).toBe('started ZeroMQReceiver-0');
    expect(receiverEvents).toContain(`error connection to ${endpoint} lost; reconnecting`);
    expect(stderr).toMatch(/WARN.*ZeroMQReceiver-0 reported an error: connection to .* lost; reconnecting/);
  });

  it('PULL from a PUSH socket, with bytesToObjects decoding JSON', async () => {
    const push = new zmq.Push({ linger: 0 });
    await push.bind('tcp://127.0.0.1:*');
    const clock = new ManualClock(0);
    const ssc = new StreamingContext(sc, 1, { clock });
    const events = ssc.zeromqStream<{ user: string; n: number }>(push.lastEndpoint!, {
      type: 'pull',
      bytesToObjects: (frames) => frames.map((f) => JSON.parse(f.toString()) as { user: string; n: number }),
    });
    const totals: [string, number][][] = [];
    events
      .map((e) => [e.user, e.n] as [string, number])
      .reduceByKey((a, b) => a + b)
      .foreachRDD(async (rdd) => void totals.push(sorted(await rdd.collect())));
    ssc.start();
    try {
      // A PUSH socket queues until its peer connects, so nothing is lost before the receiver is up.
      for (let i = 0; i < 300; i++) await push.send(JSON.stringify({ user: `u${i % 3}`, n: i }));
      await waitFor(() => events.receiverStats().records === 300, 'messages');
      clock.advance(1000);
      await waitFor(() => totals.length === 1, 'batch');
    } finally {
      await ssc.stop(false);
      push.close();
    }
    const expected = [0, 1, 2].map((u): [string, number] => [`u${u}`, Array.from({ length: 100 }, (_, k) => 3 * k + u).reduce((a, b) => a + b)]);
    expect(totals[0]).toEqual(expected);
  });

  it('rejects a bad type, topics on a PULL socket, and an endpoint that is not an address', () => {
    const ssc = new StreamingContext(sc, 1, { clock: new ManualClock(0) });
    expect(() => ssc.zeromqStream('tcp://127.0.0.1:1', { type: 'req' as 'sub' })).toThrow(IllegalArgumentError);
    expect(() => ssc.zeromqStream('tcp://127.0.0.1:1', { type: 'pull', topics: ['a'] })).toThrow(IllegalArgumentError);
    expect(() => ssc.zeromqStream('127.0.0.1:5555')).toThrow(IllegalArgumentError);
  });
});
