import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * Vitest global setup of the fault suite: gives the cases a directory to report into, and once the
 * whole run is over prints the suite's one summary line, `faults: N cases, N survived, 0 records
 * lost` (nothing when no fault case ran).
 */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'chispa-faults-'));
  project.provide('faultsDir', dir);
  return () => {
    const lines = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
    rmSync(dir, { recursive: true, force: true });
    if (lines.length === 0) return;
    const cases = lines.map((l) => JSON.parse(l) as { survived: boolean; lost: number });
    const survived = cases.filter((c) => c.survived).length;
    const lost = cases.reduce((n, c) => n + c.lost, 0);
    process.stdout.write(`faults: ${cases.length} cases, ${survived} survived, ${lost} records lost\n`);
  };
}
