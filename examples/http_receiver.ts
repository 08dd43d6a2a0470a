/**
 * A custom receiver for an HTTP source: it reads a streaming HTTP response of newline-delimited
 * text (the way Twitter's streaming API served tweets), stores each line, and reconnects through
 * `restart` when the server ends the response or the connection fails. The stream counts words
 * per batch.
 *
 *   npx tsx examples/http_receiver.ts http://localhost:8080/stream
 *
 * Optional arguments after the URL: batch interval and run time in seconds (defaults 1 and 60).
 */
import http from 'node:http';
import { add, Receiver, SparkContext, StreamingContext } from 'chispa';

class HttpLinesReceiver extends Receiver<string> {
  #request: http.ClientRequest | undefined;

  constructor(readonly url: string) {
    super();
  }

  onStart(): void {
    let partial = ''; // a line split across chunks
    this.#request = http.get(this.url, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        this.restart(`HTTP ${res.statusCode} from ${this.url}`, undefined, 1000);
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        if (lines.length === 0) return;
        // Backpressure: read no more until the lines are stored.
        res.pause();
        void this.store(lines).then(() => res.resume());
      });
      res.on('end', () => this.restart(`${this.url} ended the stream`, undefined, 1000));
    });
    this.#request.on('error', (e) => this.restart(`cannot read ${this.url}`, e, 1000));
  }

  onStop(): void {
    this.#request?.destroy();
  }
}

const [url = 'http://localhost:8080/stream', batch = '1', seconds = '60'] = process.argv.slice(2);

const sc = new SparkContext({ master: 'local[*]', appName: 'HttpReceiver' });
sc.setLogLevel('ERROR'); // restarts are expected here: the server ends each response
const ssc = new StreamingContext(sc, Number(batch));

ssc
  .receiverStream(new HttpLinesReceiver(url))
  .flatMap((line) => line.split(' '))
  .map((word) => [word, 1])
  .reduceByKey(add)
  .pprint();

ssc.start();
await ssc.awaitTerminationOrTimeout(Number(seconds));
await ssc.stop();
