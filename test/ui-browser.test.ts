import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { BatchEvent } from '../src/cli/events.js';
import { runChispa, waitForStderr } from './helpers/cli.js';

// The Streaming UI in a real headless Chromium (Debian's `chromium`, installed by .ci/run), on
// `chispa demo` started as a user starts it (a child process). `--batches` stops the job after N
// batches while its UI stays up, so nothing moves while the page and the API are checked;
// `--events` writes what a StreamingListener in that job saw of every batch, to compare with.

const CHROMIUM = '/usr/bin/chromium';
const OUT = fileURLToPath(new URL('../test-output/', import.meta.url));
const METRICS = ['inputRate', 'schedulingDelay', 'processingTime', 'totalDelay'] as const;

describe('Streaming UI in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chispa-ui-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('charts real batches of `chispa demo`, and its API and /metrics agree with a StreamingListener in the same job', { timeout: 480_000 }, async () => {
    const eventsFile = join(dir, 'events.jsonl');
    const run = runChispa(['demo', '--ui-port', '0', '--master', 'local[2]', '--batch', '0.5', '--batches', '6', '--events', eventsFile, '--graceful-stop-timeout', '600']);
    let browser: BrowserContext | undefined;
    try {
      const [, url] = await waitForStderr(run, /chispa: Streaming UI at (http:\/\/127\.0\.0\.1:\d+\/)\n/, 'the UI address');

      browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        viewport: { width: 1200, height: 1150 },
      });
      const page = browser.pages()[0] ?? (await browser.newPage());
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => void (m.type() === 'error' && errors.push(`console: ${m.text()}`)));
      page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
      page.on('response', (r) => void (r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`)));
      // Nothing may come from outside the UI (the charts are served from the package).
      await page.route('**/*', (route) => (route.request().url().startsWith(url) ? route.continue() : route.abort()));
      // Opened while the job runs; it keeps refreshing after the job stopped.
      await page.goto(url);
      expect(await page.title()).toBe('Streaming Statistics');
      await expect(page.locator('h1').textContent()).resolves.toBe('Streaming Statistics chispa demo · chispa');

      // The job stops itself after 6 batches and says so once every event is written; the UI stays
      // up until SIGTERM. The stop is graceful: every batch already queued drains first. On a busy
      // machine the first batch (the workers starting) takes long enough for dozens to queue, so
      // the graceful stop may take as long as it needs (--graceful-stop-timeout), never cancelling
      // a batch half done.
      const [, stoppedAfter] = await waitForStderr(run, /chispa demo: stopped after (\d+) batches/, 'the job to stop after --batches', 300_000);
      await waitForStderr(run, /the Streaming UI stays up at /, 'the UI to stay up');
      const listened = readFileSync(eventsFile, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as BatchEvent);
      const n = listened.length;
      expect(n).toBe(Number(stoppedAfter));
      expect(n).toBeGreaterThanOrEqual(6);
      const records = listened.reduce((a, b) => a + b.numRecords, 0);
      expect(records).toBeGreaterThan(0);
      for (const b of listened) expect(b.outputOps).toEqual({ succeeded: 1, total: 1 });

      const points = () =>
        page.evaluate((keys) => {
          const charts = (globalThis as any).chispaCharts;
          return keys.map((k) => ({
            key: k,
            timeline: charts[k].timeline.data[1].filter((v: unknown) => v !== null).length,
            histogram: charts[k].histogram.data[1].reduce((a: number, b: number) => a + b, 0),
            interval: charts[k].timeline.data[2]?.[0],
          }));
        }, METRICS as unknown as string[]);
      // Two refreshes after the stop: the page shows the final figures.
      const refreshed = await page.evaluate(() => Number((globalThis as any).document.body.dataset.refreshed));
      await page.waitForFunction((r) => Number((globalThis as any).document.body.dataset.refreshed) > r + 1, refreshed, { timeout: 30_000 }).catch(async (e) => {
        const shown = await page.evaluate(() => ({ refreshed: (globalThis as any).document.body.dataset.refreshed, error: (globalThis as any).document.getElementById('error').textContent }));
        throw new Error(`${(e as Error).message}\npage: ${JSON.stringify(shown)}\npage errors: ${JSON.stringify(errors)}`);
      });

      for (const c of await points()) {
        expect(c.timeline, `${c.key} timeline points`).toBe(n);
        expect(c.histogram, `${c.key} histogram: batches counted`).toBe(n);
      }
      expect((await points())[2].interval).toBe(500); // the batch interval drawn on processing time
      await expect(page.locator('#error').textContent()).resolves.toBe('');
      await expect(page.locator('#completed-batches').textContent()).resolves.toBe(String(n));
      await expect(page.locator('#total-records').textContent()).resolves.toBe(String(records));
      await expect(page.locator('#batch-interval').textContent()).resolves.toBe('500 ms');
      await expect(page.locator('#receivers').textContent()).resolves.toContain('SocketReceiver-0');
      await expect(page.locator('#state').textContent()).resolves.toContain('updateStateByKey#0');
      expect(await page.locator('#completed-batches-table tr').count()).toBe(Math.min(n, 100));
      mkdirSync(OUT, { recursive: true });
      await page.screenshot({ path: join(OUT, 'ui.png') });
      expect(errors).toEqual([]);

      const get = async (path: string) => {
        const r = await fetch(new URL(path, url));
        expect(r.status, path).toBe(200);
        return r as Omit<Response, 'json'> & { json(): Promise<any> };
      };
      const avg = (xs: number[]) => Math.trunc(xs.reduce((a, b) => a + b, 0) / xs.length);
      const stats = await (await get('api/v1/streaming/statistics')).json();
      expect(stats).toMatchObject({
        batchDuration: 500,
        numReceivers: 1,
        numActiveReceivers: 0,
        numInactiveReceivers: 1,
        numTotalCompletedBatches: n,
        numRetainedCompletedBatches: n,
        numActiveBatches: 0,
        numProcessedRecords: records,
        numReceivedRecords: records,
        avgSchedulingDelay: avg(listened.map((b) => b.schedulingDelay)),
        avgProcessingTime: avg(listened.map((b) => b.processingDelay)),
        avgTotalDelay: avg(listened.map((b) => b.totalDelay)),
      });
      expect(stats.avgInputRate).toBeCloseTo(listened.reduce((a, b) => a + b.numRecords * 2, 0) / n, 6);
      expect(stats.startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}GMT$/);

      const batches = await (await get('api/v1/streaming/batches')).json();
      const completed = await (await get('api/v1/streaming/batches?status=COMPLETED')).json();
      expect(completed).toEqual(batches);
      expect(await (await get('api/v1/streaming/batches?status=QUEUED&status=PROCESSING')).json()).toEqual([]);
      const fields = (b: any) => [b.batchId, b.inputSize, b.schedulingDelay, b.processingTime, b.totalDelay, b.numCompletedOutputOps, b.numTotalOutputOps, b.status];
      expect(batches.map(fields)).toEqual(
        [...listened].reverse().map((b) => [b.batchTime, b.numRecords, b.schedulingDelay, b.processingDelay, b.totalDelay, b.outputOps.succeeded, b.outputOps.total, 'COMPLETED']),
      );
      for (const b of batches) expect(b).toMatchObject({ batchDuration: 500, numFailedOutputOps: 0, numActiveOutputOps: 0 });
      const one = listened[1];
      expect(await (await get(`api/v1/streaming/batches/${one.batchTime}`)).json()).toEqual(batches.find((b: any) => b.batchId === one.batchTime));
      const ops = await (await get(`api/v1/streaming/batches/${one.batchTime}/operations`)).json();
      expect(ops).toHaveLength(1);
      expect(ops[0]).toMatchObject({ outputOpId: 0, name: 'pprint', jobIds: [] });
      // A description is where the *program* registered the output; the CLI's own WordCount is inside
      // the package, whose frames are skipped, so it has none.
      expect(ops[0].description).toBe('');
      const receivers = await (await get('api/v1/streaming/receivers')).json();
      expect(receivers).toHaveLength(1);
      expect(receivers[0]).toMatchObject({ streamId: 0, streamName: 'SocketReceiver-0', isActive: false, executorId: 'driver' });
      expect(receivers[0].eventRates.map(([t]: [number]) => t)).toEqual(listened.map((b) => b.batchTime));
      expect(await (await get('api/v1/streaming/receivers/0')).json()).toEqual(receivers[0]);
      expect((await fetch(new URL('api/v1/streaming/batches/12345', url))).status).toBe(404);

      const metricsRes = await get('metrics');
      expect(metricsRes.headers.get('content-type')).toContain('text/plain');
      const families = new Map(parsePrometheusTextFormat(await metricsRes.text()).map((f) => [f.name, f]));
      const value = (name: string) => Number(families.get(name)!.metrics[0].value);
      expect(value('chispa_streaming_batches_completed_total')).toBe(n);
      expect(value('chispa_streaming_records_total')).toBe(stats.numProcessedRecords);
      expect(families.get('chispa_streaming_processing_time_seconds')!.type).toBe('HISTOGRAM');
      expect(Number(families.get('chispa_streaming_processing_time_seconds')!.metrics[0].count)).toBe(n);
      expect(Number(families.get('chispa_receiver_lines_total')!.metrics[0].value)).toBeGreaterThanOrEqual(stats.numProcessedRecords);
      expect(families.get('chispa_state_keys')!.metrics[0].labels).toEqual({ operator: 'updateStateByKey#0', kind: 'updateStateByKey' });
      expect(Number(families.get('chispa_state_keys')!.metrics[0].value)).toBeGreaterThan(0); // Genesis's distinct words so far
      expect(Number(families.get('chispa_checkpoint_write_seconds')!.metrics[0].count)).toBeGreaterThan(0);
      expect(value('chispa_checkpoint_size_bytes')).toBeGreaterThan(0);
      expect(value('chispa_pool_threads')).toBe(2);
      expect(value('chispa_pool_utilization')).toBeGreaterThan(0);
    } catch (e) {
      // What the job said is the first thing to read when this fails.
      if (e instanceof Error) e.message += `\n--- chispa demo's stderr:\n${run.stderr()}`;
      throw e;
    } finally {
      await browser?.close();
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
    expect(run.stderr()).not.toMatch(/ERROR|WARN/);
  });
});
