import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pythonStr } from '../python-repr.js';
import { OutputError } from '../errors.js';
import { OperatorFailure } from './pipeline.js';
import type { Sink } from './sinks.js';

/**
 * The task side of `saveAsTextFile`: one partition written as a part file. The driver side, which
 * runs these tasks into a temporary directory and commits it, is `rdd/commit-text-output.ts`.
 */

/** `part-00000`, `part-00001`, …: the part file of partition `partition`, as Hadoop names it. */
function partFileName(partition: number): string {
  return `part-${String(partition).padStart(5, '0')}`;
}

/**
 * The `saveText` sink: collects the partition's records as lines and, when the partition is
 * done, writes them to `dir/part-NNNNN`, one per line. An empty partition writes an empty file.
 * The task's result is the number of lines written.
 */
export function textPartWriter(dir: string, partition: number): Sink {
  const lines: string[] = [];
  return {
    push: (x) => void lines.push(pythonStr(x)),
    end() {},
    result() {
      try {
        writeFileSync(join(dir, partFileName(partition)), lines.length === 0 ? '' : lines.join('\n') + '\n');
      } catch (e) {
        throw new OperatorFailure('saveAsTextFile', new OutputError('saveAsTextFile', join(dir, partFileName(partition)), e));
      }
      return lines.length;
    },
  };
}
