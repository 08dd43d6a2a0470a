import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { BATCH_STATUSES, batches, batchView, operations, receivers, statistics, type BatchStatus } from './api.js';
import { streamingPage } from './page.js';
import type { StreamingProgress } from './progress.js';

/** Files the page loads, served from the package (uPlot from its npm package): never a CDN. */
function staticFiles(): Map<string, { type: string; path: string }> {
  const require = createRequire(import.meta.url);
  return new Map([
    ['app.js', { type: 'text/javascript', path: new URL('./static/app.js', import.meta.url).pathname }],
    ['uPlot.iife.min.js', { type: 'text/javascript', path: require.resolve('uplot/dist/uPlot.iife.min.js') }],
    ['uPlot.min.css', { type: 'text/css', path: require.resolve('uplot/dist/uPlot.min.css') }],
  ]);
}

class NotFound extends Error {}

/**
 * The UI's routes: the page, its static files, Spark's streaming JSON API under
 * `/api/v1/streaming/` (also under Spark's `/api/v1/applications/<appId>/streaming/`), the
 * chart data at `/api/chispa/timeline`, and Prometheus text at `/metrics`.
 */
export function uiServer(p: StreamingProgress, registry: Registry): Server {
  const files = staticFiles();
  const cache = new Map<string, Buffer>();
  const api = (path: string, query: URLSearchParams): unknown => {
    if (path === 'statistics') return statistics(p);
    if (path === 'receivers') return receivers(p);
    let m = /^receivers\/(\d+)$/.exec(path);
    if (m) {
      const r = receivers(p).find((x) => x.streamId === Number(m![1]));
      if (!r) throw new NotFound(`unknown receiver: ${m[1]}`);
      return r;
    }
    if (path === 'batches') {
      const asked = query.getAll('status').flatMap((s) => s.split(','));
      const bad = asked.filter((s) => !BATCH_STATUSES.includes(s as BatchStatus));
      if (bad.length > 0) throw new NotFound(`unknown status: ${bad.join(', ')}; use ${BATCH_STATUSES.join(', ')}`);
      return batches(p, asked.length > 0 ? (asked as BatchStatus[]) : BATCH_STATUSES);
    }
    m = /^batches\/(\d+)(\/operations(?:\/(\d+))?)?$/.exec(path);
    if (m) {
      const found = p.batch(Number(m[1]));
      if (!found) throw new NotFound(`unknown batch: ${m[1]}`);
      if (!m[2]) return batchView(p, found.info, found.status);
      const ops = operations(found.info);
      if (m[3] === undefined) return ops;
      const op = ops.find((o) => o.outputOpId === Number(m![3]));
      if (!op) throw new NotFound(`unknown output operation: ${m[3]}`);
      return op;
    }
    throw new NotFound(`unknown path: ${path}`);
  };
  const timeline = () => ({
    batchDuration: p.batchDuration,
    batches: p.completed.map((b) => ({
      batchTime: b.batchTime,
      inputRate: (b.numRecords * 1000) / p.batchDuration,
      schedulingDelay: b.schedulingDelay,
      processingTime: b.processingDelay,
      totalDelay: b.totalDelay,
    })),
    stateOperators: [...p.stateOperators.values()],
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const sendJson = (body: unknown) => send(200, 'application/json', JSON.stringify(body, null, 2));
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'GET only\n');
      if (path === '/' || path === '/streaming' || path === '/streaming/') return send(200, 'text/html; charset=utf-8', streamingPage(p.ssc.sparkContext.appName));
      if (path === '/favicon.ico') return send(204, 'image/x-icon', '');
      if (path.startsWith('/static/')) {
        const f = files.get(path.slice('/static/'.length));
        if (!f) throw new NotFound(`no such file: ${path}`);
        if (!cache.has(f.path)) cache.set(f.path, readFileSync(f.path));
        return send(200, f.type, cache.get(f.path)!);
      }
      if (path === '/metrics') return send(200, registry.contentType, await registry.metrics());
      if (path === '/api/chispa/timeline') return sendJson(timeline());
      const m = /^\/api\/v1\/(?:applications\/[^/]+\/)?streaming\/(.+?)\/?$/.exec(path);
      if (m) return sendJson(api(m[1], url.searchParams));
      throw new NotFound(`unknown path: ${path}`);
    } catch (e) {
      if (e instanceof NotFound) return send(404, 'text/plain', `${e.message}\n`);
      send(500, 'text/plain', `${e instanceof Error ? e.message : String(e)}\n`);
    }
  };
  return createServer((req, res) => void handle(req, res));
}

/**
 * Listens on `port` at `host`, or on the next port when it is taken (up to `retries` more, as
 * Spark's `spark.port.maxRetries`, 16). Port 0 takes any free port.
 */
export async function listenFrom(server: Server, port: number, host: string, retries = 16): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const tryPort = port === 0 ? 0 : port + attempt;
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (e: Error) => {
          server.off('listening', onListening);
          reject(e);
        };
        const onListening = () => {
          server.off('error', onError);
          resolve();
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen(tryPort, host);
      });
      return (server.address() as AddressInfo).port;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= retries || port === 0) throw e;
    }
  }
}
