import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { IllegalArgumentError } from '../errors.js';
import { bench } from './bench.js';
import { demo } from './demo.js';
import { DEFAULT_TEXT_URL, parseRate, startFeeder, startStreamFeeder, type Feeder } from './feeder.js';
import { untilSignal } from './signals.js';
import { runWordCount } from './wordcount.js';

/**
 * The `chispa` command, on commander. Exit codes: 0 success, 1 a failed job, 2 bad usage (one
 * line on stderr saying why). Every command and the bare `chispa` take `--help`.
 */
export async function runCli(argv: readonly string[], io: CliOutput = STD_OUTPUT): Promise<number> {
  let code = 0;
  const program = new Command('chispa')
    .description("Spark Streaming for Node.js: run the seed's WordCount, feed it text, see it in the Streaming UI")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (text, write) => write(text.split('\n')[0] + '\n') });
  // Subcommands defined below inherit both: they report through `io` and exit through runCli.

  const wordcount = program
    .command('wordcount')
    .description("the seed's network WordCount: counts the words of the lines read from HOST:PORT and prints each batch as pprint")
    .option('--host <host>', 'where the text server listens', 'localhost')
    .requiredOption('--port <port>', 'its port', port(1))
    .option('--batch <seconds>', 'batch interval', positive('--batch'), 5)
    .option('--master <master>', 'local, local[N] or local[*]', 'local[*]')
    .option('--stateful', 'running counts across batches (updateStateByKey); needs --checkpoint')
    .option('--checkpoint <dir>', 'checkpoint directory; a stateful job restarted with it continues its counts')
    .option('--window <seconds>', 'count over a sliding window of this length (reduceByKeyAndWindow)', positive('--window'))
    .option('--slide <seconds>', 'the window slides this often (default: the batch interval)', positive('--slide'))
    .option('--top <n>', 'print the N most frequent words, most frequent first (default: pprint as the seed)', count('--top'))
    .option('--seconds <seconds>', 'stop after this long (default: run until SIGINT/SIGTERM, which stop gracefully)', positive('--seconds'))
    .option('--max-rate <records/s>', 'receiver.maxRate: lines per second the receiver accepts at most', positive('--max-rate'))
    .option('--backpressure', 'backpressure.enabled: the receiver rate follows what batches process (PID estimator)')
    .option('--initial-rate <records/s>', 'backpressure.initialRate: the rate before the first estimate', positive('--initial-rate'));
  jobOptions(wordcount).action(async (o) => {
    if (o.stateful && o.checkpoint === undefined) usage('--stateful needs --checkpoint DIR');
    if (o.stateful && o.window !== undefined) usage('--stateful and --window are two different jobs; give one');
    if (o.slide !== undefined && o.window === undefined) usage('--slide needs --window');
    if (o.initialRate !== undefined && !o.backpressure) usage('--initial-rate needs --backpressure');
    code = await runWordCount({
      host: o.host,
      port: o.port,
      batch: o.batch,
      master: o.master,
      stateful: o.stateful ?? false,
      checkpoint: o.checkpoint,
      window: o.window,
      slide: o.slide,
      top: o.top,
      seconds: o.seconds,
      batches: o.batches,
      events: o.events,
      conf: {
        receiver: { maxRate: o.maxRate },
        backpressure: { enabled: o.backpressure ?? false, initialRate: o.initialRate },
        gracefulStopTimeout: o.gracefulStopTimeout,
      },
      ui: o.ui ? { port: o.uiPort } : false,
    });
  });

  program
    .command('feed')
    .description('serve a text over TCP to whoever connects, like `nc -lk PORT < FILE`; `-` serves standard input')
    .argument('[file]', "text file, or - for standard input (default: the built-in KJV Genesis)")
    .option('--port <port>', 'port to listen on (0: any free port)', port(0), 9999)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--rate <rate>', 'pace: lines per second (200) or bytes per second (10MB/s); default: as fast as the client reads', rate)
    .option('--loop', 'repeat the file forever (not with -)')
    .action(async (file: string | undefined, o) => {
      if (file === '-' && o.loop) usage('--loop cannot repeat standard input');
      const pace = o.rate === undefined ? {} : o.rate.unit === 'lines' ? { linesPerSecond: o.rate.perSecond } : { bytesPerSecond: o.rate.perSecond };
      let feeder: Feeder;
      if (file === '-') {
        feeder = await startStreamFeeder({ input: process.stdin, host: o.host, port: o.port, ...pace });
      } else {
        const text = await readFile(file ?? DEFAULT_TEXT_URL).catch((e: Error) => usage(`cannot read ${file}: ${e.message}`));
        feeder = await startFeeder({ host: o.host, port: o.port, text, loop: o.loop, ...pace });
      }
      const shown = file === '-' ? 'standard input' : (file ?? fileURLToPath(DEFAULT_TEXT_URL));
      process.stderr.write(`chispa feed: serving ${shown} on ${feeder.host}:${feeder.port}\n`);
      await untilSignal();
      await feeder.close();
    });

  const demoCommand = program
    .command('demo')
    .description('the stateful network WordCount on the built-in text, with its feeder and the Streaming UI: nothing else needed')
    .option('--batch <seconds>', 'batch interval', positive('--batch'), 1)
    .option('--seconds <seconds>', 'stop after this long (default: on Ctrl-C)', positive('--seconds'))
    .option('--rate <lines/s>', 'how fast the feeder sends lines', positive('--rate'), 400)
    .option('--master <master>', 'local, local[N] or local[*]', 'local[*]');
  jobOptions(demoCommand).action(async (o) => {
    code = await demo({
      batch: o.batch,
      seconds: o.seconds,
      batches: o.batches,
      events: o.events,
      gracefulStopTimeout: o.gracefulStopTimeout,
      rate: o.rate,
      master: o.master,
      ui: o.ui ? { port: o.uiPort } : false,
    });
  });

  program
    .command('bench')
    .description('the benchmark suite, as `npm run bench` (from a clone of the repository); ARGS go to bench/run.ts (try -- --help)')
    .argument('[args...]', 'arguments for bench/run.ts')
    .allowUnknownOption()
    .action(async (args: string[]) => {
      code = await bench(args);
    });

  try {
    if (argv.length === 0) {
      io.out(program.helpInformation());
      return 0;
    }
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof IllegalArgumentError) {
      io.err(`chispa: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/** Where help and usage errors go; the jobs themselves print to stdout (pprint) and stderr. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const STD_OUTPUT: CliOutput = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

/** The options `wordcount` and `demo` share: how the job stops, what it reports, and its UI. */
function jobOptions(command: Command): Command {
  return command
    .option('--batches <n>', 'stop gracefully after N completed batches; the UI stays up until SIGINT/SIGTERM', count('--batches'))
    .option('--graceful-stop-timeout <seconds>', 'gracefulStopTimeout: how long a graceful stop may drain queued batches (default 10 x the batch interval)', positive('--graceful-stop-timeout'))
    .option('--events <file>', 'write one JSON line per completed batch (times, records, delays, output ops) to FILE, or - for stdout')
    .option('--ui-port <port>', 'Streaming UI port (default 4040, the next free one when taken)', port(0))
    .option('--no-ui', 'no Streaming UI');
}

function usage(message: string): never {
  throw new IllegalArgumentError(message);
}

/** An option parser for a port number, at least `min`. */
function port(min: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > 65535) throw new InvalidArgumentError(`a port is an integer in ${min}..65535`);
    return n;
  };
}

function positive(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!(n > 0 && Number.isFinite(n))) throw new InvalidArgumentError(`${name} takes a positive number`);
    return n;
  };
}

function count(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!(Number.isInteger(n) && n > 0)) throw new InvalidArgumentError(`${name} takes a positive integer`);
    return n;
  };
}

function rate(v: string): ReturnType<typeof parseRate> {
  try {
    return parseRate(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}
