/**
 * Windowed WordCount: every 10 s, the top words of the last 30 s, from a socket. The window is
 * kept incrementally: each slide adds the batches that enter it and subtracts, with the inverse
 * function, those that leave, so its cost does not grow with the window's length.
 *
 *   nc -lk 9999                                                # in one terminal, then type lines
 *   npx tsx examples/windowed_wordcount.ts localhost 9999
 *
 * Optional arguments after the port: batch interval, window and slide in seconds (defaults 1, 30
 * and 10), run time in seconds (default 120), and the checkpoint directory (default /tmp/cpdir-window).
 */
import { add, SparkContext, StreamingContext } from 'chispa';

const [host = 'localhost', port = '9999', batch = '1', windowSeconds = '30', slideSeconds = '10', seconds = '120', cpdir = '/tmp/cpdir-window'] =
  process.argv.slice(2);

const sc = new SparkContext({ master: 'local[*]', appName: 'WindowedWordCount' });
sc.setLogLevel('WARN');

const ssc = new StreamingContext(sc, Number(batch));
ssc.checkpoint(cpdir); // the window's state is checkpointed, as any state

const lines = ssc.socketTextStream(host, Number(port));

const windowCounts = lines
  .flatMap((line) => line.split(' '))
  .filter((word) => word !== '')
  .map((word) => [word, 1])
  .reduceByKeyAndWindow(add, (a, b) => a - b, Number(windowSeconds), Number(slideSeconds), undefined, ([, n]) => n > 0);

// The top 10 words of each window, most frequent first.
windowCounts.transform((rdd) => rdd.sortBy(([, n]) => n, false)).pprint(10);

ssc.start();
await ssc.awaitTerminationOrTimeout(Number(seconds));
await ssc.stop();
