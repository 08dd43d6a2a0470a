/**
 * A real, single-node Apache Kafka broker (KRaft: broker and controller in one JVM) on 127.0.0.1,
 * for tests and benchmarks. Its jars come from Maven Central through `pom.xml` beside this file
 * (`mvn -B -q -f test-infra/kafka/pom.xml package`, run by `.ci/run`; run here too when `lib/`
 * is missing). Each broker gets free ports and a fresh log directory, and is killed when the
 * process that started it exits, so no JVM outlives a test run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const LIB = join(HERE, 'lib');

/** A running broker. `stop()` and `restart()` keep its ports and data; `close()` removes them. */
export interface KafkaBroker {
  /** `127.0.0.1:<port>`, for `bootstrap.servers`. */
  readonly bootstrap: string;
  readonly port: number;
  /** Stops the JVM (controlled shutdown), keeping its log directory. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data after `stop()`. */
  start(): Promise<void>;
  /** Stops it and deletes its directory. */
  close(): Promise<void>;
  /** The broker's console output so far (for failure messages). */
  output(): string;
}

export interface BrokerOptions {
  /** How long to wait for the broker to serve, ms (two busy cores can take 30 s). */
  readonly startTimeoutMs?: number;
}

/** Copies the broker's jars from Maven Central (cached in ~/.m2) unless `lib/` has them. */
export function ensureBrokerJars(): string {
  if (existsSync(LIB) && readdirSync(LIB).some((f) => f.startsWith('kafka_2.13-'))) return LIB;
  const r = spawnSync('mvn', ['-B', '-q', '-Dstyle.color=never', '-f', join(HERE, 'pom.xml'), 'package'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mvn could not assemble the Kafka broker: ${r.error?.message ?? ''}${r.stdout}${r.stderr}`);
  return LIB;
}

/**
 * `n` distinct free TCP ports on 127.0.0.1: the OS picks them while all are held open, so two
 * never come out the same; they are closed again before use.
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

/** Every live broker JVM of this process, killed on exit whatever the test did. */
const live = new Set<ChildProcess>();
let exitHook = false;
function guardExit(): void {
  if (exitHook) return;
  exitHook = true;
  const killAll = () => {
    for (const c of live) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** KRaft single-node configuration: Kafka's own `config/server.properties`, made small. */
function serverProperties(port: number, controllerPort: number, logDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${logDir}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=3',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'log.cleaner.dedupe.buffer.size=4194304',
    'num.network.threads=2',
    'num.io.threads=2',
    'auto.create.topics.enable=false',
    '',
  ].join('\n');
}

const LOG4J2 = [
  'status = warn',
  'appender.console.type = Console',
  'appender.console.name = STDOUT',
  'appender.console.layout.type = PatternLayout',
  'appender.console.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = WARN',
  'rootLogger.appenderRef.stdout.ref = STDOUT',
  'logger.kafka.name = kafka.server.KafkaRaftServer',
  'logger.kafka.level = INFO',
  '',
].join('\n');

/** Resolves when `port` accepts a connection and answers a Kafka ApiVersions request. */
async function serves(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => {
      // ApiVersions v0: size, api key 18, version 0, correlation id 1, client id "ready".
      const clientId = Buffer.from('ready');
      const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
      body.writeInt16BE(18, 0);
      body.writeInt16BE(0, 2);
      body.writeInt32BE(1, 4);
      body.writeInt16BE(clientId.length, 8);
      clientId.copy(body, 10);
      const size = Buffer.alloc(4);
      size.writeInt32BE(body.length);
      socket.write(Buffer.concat([size, body]));
    });
    let got = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      // A response: size, correlation id 1, error code 0.
      if (got.length >= 10) done(got.readInt32BE(4) === 1 && got.readInt16BE(8) === 0);
    });
  });
}

function java(lib: string, args: string[], extra: string[] = []): [string, string[]] {
  return ['java', ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', ...extra, '-cp', join(lib, '*'), ...args]];
}

/** Formats a fresh log directory and starts the broker; resolves once it serves requests. */
export async function startKafkaBroker(opts: BrokerOptions = {}): Promise<KafkaBroker> {
  const lib = ensureBrokerJars();
  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  const dir = mkdtempSync(join(tmpdir(), 'chispa-kafka-'));
  const logDir = join(dir, 'data');
  mkdirSync(logDir);
  const [port, controllerPort] = await freePorts(2);
  const props = join(dir, 'server.properties');
  const log4j = join(dir, 'log4j2.properties');
  writeFileSync(props, serverProperties(port, controllerPort, logDir));
  writeFileSync(log4j, LOG4J2);
  const logFlag = `-Dlog4j2.configurationFile=${log4j}`;

  // A cluster id is 16 random bytes in base64url, not starting with '-'.
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  const [cmd, fmtArgs] = java(lib, ['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props], [logFlag]);
  const fmt = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const c = spawn(cmd, fmtArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('exit', (code) => resolve({ code, out }));
  });
  if (fmt.code !== 0) throw new Error(`kafka-storage format failed (${fmt.code}): ${fmt.out}`);

  guardExit();
  let child: ChildProcess | undefined;
  let out = '';
  const start = async () => {
    const [c, args] = java(lib, ['kafka.Kafka', props], [logFlag]);
    const proc = spawn(c, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    live.add(proc);
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    let exited = false;
    proc.on('exit', () => {
      exited = true;
      live.delete(proc);
    });
    const deadline = Date.now() + timeoutMs;
    while (!(await serves(port))) {
      if (exited) throw new Error(`the Kafka broker exited during start:\n${out}`);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`the Kafka broker did not serve on ${port} within ${timeoutMs} ms:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    // A controlled shutdown takes a few seconds; past a minute, kill it.
    const timer = setTimeout(() => c.kill('SIGKILL'), 60_000);
    await gone;
    clearTimeout(timer);
  };
  await start();
  return {
    bootstrap: `127.0.0.1:${port}`,
    port,
    start,
    stop,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    output: () => out,
  };
}
