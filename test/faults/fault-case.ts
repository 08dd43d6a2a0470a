import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject, it, type TestContext } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where fault cases append their outcome, one JSON line each (see summary.ts). */
    faultsDir: string;
  }
}

/** A fault case: what is done to the system, what must survive it, and how that is checked. */
export interface Fault {
  /** The fault injected, over real parts (a SIGKILLed child, a read-only mount, a reset socket…). */
  readonly fault: string;
  /** What must come through it unharmed. */
  readonly survives: string;
  /** The independent truth the outcome is compared with. */
  readonly oracle: string;
}

/** What a case's body reports: records the oracle expected and records it found. */
export interface FaultOutcome {
  readonly expected?: number;
  readonly got?: number;
}

/**
 * A test that is also a fault-suite case: it runs `body` (which asserts), then appends its outcome
 * to the run's results, so that the suite's one summary line at the end of `npm test` counts it.
 * A case survives when its body passes; records lost are the oracle's records the run did not
 * deliver (a body that asserts exact counts fails before it can report a loss).
 */
export function faultCase(f: Fault, body: (ctx: { skip(reason: string): never }) => Promise<FaultOutcome | void>, timeout?: number): void {
  it(`${f.fault} → survives: ${f.survives} (oracle: ${f.oracle})`, async (ctx: TestContext) => {
    let outcome: FaultOutcome | void = undefined;
    let survived = false;
    let skipped = false;
    try {
      outcome = await body({
        skip: (reason) => {
          // A fault this machine cannot inject is not a case run; it is reported as skipped.
          skipped = true;
          return ctx.skip(reason) as never;
        },
      });
      survived = true;
    } finally {
      const lost = outcome && outcome.expected !== undefined && outcome.got !== undefined ? Math.max(0, outcome.expected - outcome.got) : 0;
      if (!skipped) record({ ...f, survived, lost });
    }
  }, timeout);
}

function record(line: Fault & { survived: boolean; lost: number }): void {
  let dir: string | undefined;
  try {
    dir = inject('faultsDir');
  } catch {
    return; // run without the global setup (a single file under another config)
  }
  if (dir) appendFileSync(join(dir, `${process.pid}.jsonl`), JSON.stringify(line) + '\n');
}
