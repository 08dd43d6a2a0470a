/**
 * chispa embedded in an HTTP service: every request the service answers is pushed into a stream,
 * a windowed aggregation on worker threads (local[2]) keeps per-route latency (count, mean, max)
 * over the last `window` seconds, and `GET /stats` serves the latest window as JSON. SIGTERM stops
 * it cleanly: no new connections, the records already accepted are processed, then the workers stop.
 *
 *   npx tsx examples/embedded-service.ts [port=8080] [batchSeconds=1] [windowSeconds=30] [slideSeconds=batch]
 *   curl localhost:8080/users/42 ; curl localhost:8080/stats
 */
import { createServer } from 'node:http';
import { posix } from 'node:path';
import { SparkContext, StreamingContext } from 'chispa';

const [port = 8080, batch = 1, window = 30, slide = batch] = process.argv.slice(2).map(Number);

interface Request {
  readonly method: string;
  readonly path: string;
  readonly ms: number;
}
/** Requests, total latency and slowest latency of one route in the window. */
type Latency = [count: number, totalMs: number, maxMs: number];

const sc = new SparkContext({ master: 'local[2]', appName: 'embedded-service' });
sc.setLogLevel('WARN');
// Spark's default graceful-stop timeout is 10 batch intervals (2.5 s at 0.25 s batches): a service
// on a busy machine may have more queued than that, so it gets 30 s to drain them before exiting.
const ssc = new StreamingContext(sc, batch, { gracefulStopTimeout: 30 });
const requests = ssc.pushStream<Request>({ maxPendingRecords: 50_000 });

// `posix` runs on the worker threads: the worker imports node:path once and binds it by name.
const perRoute = requests
  .map(
    (r: Request): [string, Latency] => {
      const route = posix
        .normalize(r.path.split('?')[0])
        .split('/')
        .map((s) => (/^\d+$/.test(s) ? ':id' : s))
        .join('/');
      return [`${r.method} ${route}`, [1, r.ms, r.ms]];
    },
    { imports: { posix: 'node:path#posix' } },
  )
  .reduceByKeyAndWindow((a: Latency, b: Latency): Latency => [a[0] + b[0], a[1] + b[1], Math.max(a[2], b[2])], null, window, slide);

let latest: { windowEnd: string | null; routes: Record<string, { count: number; meanMs: number; maxMs: number }> } = {
  windowEnd: null,
  routes: {},
};
perRoute.foreachRDD(async (rdd, time) => {
  const routes: (typeof latest)['routes'] = {};
  for (const [route, [count, total, max]] of (await rdd.collect()).sort()) {
    routes[route] = { count, meanMs: Math.round((total / count) * 1000) / 1000, maxMs: Math.round(max * 1000) / 1000 };
  }
  latest = { windowEnd: new Date(time).toISOString(), routes };
});

const server = createServer((req, res) => {
  if (req.url === '/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(latest));
    return;
  }
  const start = performance.now();
  res.on('finish', () => {
    // Waits while the job is behind its bound; rejects only once the stream stopped.
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', ms: performance.now() - start }).catch(() => {});
  });
  res.setHeader('content-type', 'text/plain');
  res.end(`hello from ${req.url}\n`);
});

ssc.start();
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`);
});

process.once('SIGTERM', () => {
  server.close();
  server.closeIdleConnections();
  // Graceful: the requests already pushed are processed before the workers stop.
  void ssc.stop(true, true).then(() => console.log('stopped'));
});
