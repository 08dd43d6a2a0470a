import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { waitFor } from './helpers/streaming.js';

// examples/embedded-service.ts as users run it: its own process, real HTTP requests in, the
// windowed per-route aggregates out as JSON, and SIGTERM stopping it cleanly (exit code 0).

const root = fileURLToPath(new URL('..', import.meta.url));

interface Stats {
  windowEnd: string | null;
  routes: Record<string, { count: number; meanMs: number; maxMs: number }>;
}

it('aggregates request latency per route over a window, serves it as JSON, and stops on SIGTERM', async () => {
  // Port 0: a free port; 0.25 s batches; a 60 s window (nothing leaves it during the test).
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/embedded-service.ts', '0', '0.25', '60'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitFor(() => /listening on (http:\S+)/.test(stdout), `the service to listen (stderr: ${stderr})`, 60_000);
    const base = /listening on (http:\S+)/.exec(stdout)![1];
    const paths = ['/users/1', '/users/2', '/users/33', '/health', '/users/4?x=1', '/health', '/orders/7/items'];
    for (const p of paths) expect((await fetch(base + p)).status).toBe(200);
    const post = await fetch(base + '/orders/8/items', { method: 'POST', body: 'x' });
    expect(post.status).toBe(200);

    let stats: Stats = { windowEnd: null, routes: {} };
    const total = () => Object.values(stats.routes).reduce((n, r) => n + r.count, 0);
    // Polls /stats until a window holds every request (a condition, not a sleep).
    const deadline = Date.now() + 60_000;
    while (total() < paths.length + 1) {
      if (Date.now() > deadline) throw new Error(`timed out; last stats ${JSON.stringify(stats)}; stderr ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
      stats = (await (await fetch(base + '/stats')).json()) as Stats;
    }
    expect(Object.fromEntries(Object.entries(stats.routes).map(([route, r]) => [route, r.count]))).toEqual({
      'GET /users/:id': 4,
      'GET /health': 2,
      'GET /orders/:id/items': 1,
      'POST /orders/:id/items': 1,
    });
    for (const r of Object.values(stats.routes)) {
      expect(r.maxMs).toBeGreaterThanOrEqual(r.meanMs);
      expect(r.meanMs).toBeGreaterThan(0);
    }
    expect(Date.parse(stats.windowEnd!)).toBeGreaterThan(0);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('stopped');
    expect(stderr).toBe('');
  } finally {
    child.kill('SIGKILL');
  }
}, 180_000);
