/**
 * The Kafka row of the benchmarks: WordCount over every record of a 3-partition topic on a real
 * local broker, read by a naive single-thread `consumer + Map` script and by chispa (`local`,
 * `local[2]`), each in its own process, rows interleaved, same topic, same run.
 *
 *   npm run bench:kafka [-- --mb 16 --runs 3 --batch 0.5]
 *
 * Each row first reads a 3,000-record warm-up topic; records/s then run from the start of
 * consuming the measured topic to its last record counted (chispa: the end of that batch).
 * Every row's word total and distinct words must equal the naive script's.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { startKafkaBroker } from '../test-infra/kafka/broker.js';
import { generatedCorpus } from './corpus.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const MB = Number(arg('mb', '16'));
const RUNS = Number(arg('runs', '3'));
const BATCH = arg('batch', '0.5');
const ROWS = arg('rows', 'naive,local,local[2]').split(',');
const PARTITIONS = 3;

interface Result {
  records: number;
  words: number;
  distinct: number;
  ms: number;
  maxRssKB: number;
}

const WARM = 3000;

function runRow(row: string, bootstrap: string, topic: string, records: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./kafka-consumer.ts', import.meta.url).pathname, row, bootstrap, topic, String(records), 'bench-warm', String(WARM), BATCH], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line) reject(new Error(`row ${row} exited with ${code}: ${out}`));
      else resolve(JSON.parse(line) as Result);
    });
  });
}

const corpus = generatedCorpus(MB, 42);
const lines = readFileSync(corpus.file, 'utf8').split('\n').filter((l) => l.length > 0);
const broker = await startKafkaBroker({ startTimeoutMs: 150_000 });
try {
  const topic = 'bench-wordcount';
  const admin = new Admin({ clientId: 'bench', bootstrapBrokers: [broker.bootstrap] });
  await admin.createTopics({ topics: [topic, 'bench-warm'], partitions: PARTITIONS, replicas: 1 });
  await admin.close();
  const producer = new Producer({ clientId: 'bench', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, acks: -1, idempotent: true });
  await producer.send({ messages: lines.slice(0, WARM).map((value, j) => ({ topic: 'bench-warm', value, partition: j % PARTITIONS })) });
  const tp = performance.now();
  for (let i = 0; i < lines.length; i += 2000) {
    await producer.send({ messages: lines.slice(i, i + 2000).map((value, j) => ({ topic, value, partition: (i + j) % PARTITIONS })) });
  }
  await producer.close();
  console.error(`produced ${lines.length} records (${corpus.source}, ${MB} MB) in ${((performance.now() - tp) / 1000).toFixed(1)} s`);

  const results = new Map<string, Result[]>(ROWS.map((r) => [r, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const row of ROWS) {
      const r = await runRow(row, broker.bootstrap, topic, lines.length);
      console.error(`run ${run + 1} ${row}: ${Math.round(r.records / (r.ms / 1000)).toLocaleString('en-US')} records/s`);
      results.get(row)!.push(r);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const naive = results.get('naive')?.[0];
  const naiveRate = results.has('naive') ? median(results.get('naive')!.map((r) => r.records / (r.ms / 1000))) : undefined;
  console.log(
    `WordCount over a ${PARTITIONS}-partition topic on a local Kafka 4.1.1 broker: ${lines.length.toLocaleString('en-US')} records (${corpus.source}, ${MB} MB); ` +
      `chispa batches ${BATCH} s; medians of ${RUNS} interleaved runs; Node ${process.version}.\n`,
  );
  console.log('| row | records/s | × naive | MB/s | peak RSS MB | counts = naive |\n| --- | ---: | ---: | ---: | ---: | :---: |');
  for (const [row, rs] of results) {
    const rate = median(rs.map((r) => r.records / (r.ms / 1000)));
    const same = naive ? rs.every((r) => r.records === naive.records && r.words === naive.words && r.distinct === naive.distinct) : true;
    const label = row === 'naive' ? 'naive (consumer stream + Map)' : `chispa ${row}`;
    console.log(
      `| ${label} | ${Math.round(rate).toLocaleString('en-US')} | ${naiveRate ? (rate / naiveRate).toFixed(2) : '–'} | ${((rate * corpus.bytes) / lines.length / 1e6).toFixed(1)} | ${Math.round(median(rs.map((r) => r.maxRssKB)) / 1024)} | ${same ? 'yes' : 'NO'} |`,
    );
  }
} finally {
  await broker.close();
}
