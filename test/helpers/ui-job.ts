import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What the fixture's StreamingListener printed for one completed batch. */
export interface ListenedBatch {
  batchTime: number;
  numRecords: number;
  schedulingDelay: number;
  processingDelay: number;
  totalDelay: number;
  failures: number;
}

/**
 * Starts `test/fixtures/programs/ui-job.ts` (a socket WordCount with the Streaming UI) as a child
 * process and follows its stdout: the UI's url, the batches its listener saw, and when it stopped.
 */
export function startUIJob(checkpointDir: string, batchSeconds = 0.5) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/programs/ui-job.ts', checkpointDir, String(batchSeconds)], {
    cwd: ROOT,
    stdio: 'pipe',
  });
  const state = { url: '', batches: [] as ListenedBatch[], stopped: -1, stderr: '', exited: false };
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.startsWith('ui ')) state.url = line.slice(3);
      else if (line.startsWith('batch ')) state.batches.push(JSON.parse(line.slice(6)));
      else if (line.startsWith('stopped ')) state.stopped = Number(line.slice(8));
    }
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => (state.stderr += c));
  child.on('exit', () => (state.exited = true));
  return {
    state,
    /** Stops the job gracefully; the UI stays up. */
    stopJob: () => child.stdin.write('stop\n'),
    /** Ends the process (stdin closed, then the UI closes). */
    close: async () => {
      child.stdin.end();
      if (!state.exited) await new Promise((r) => child.once('exit', r));
    },
    kill: () => child.kill('SIGKILL'),
  };
}
