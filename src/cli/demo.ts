import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_TEXT_URL, startFeeder } from './feeder.js';

/**
 * `chispa demo`: the seed's network WordCount with nothing outside the project. A built-in feeder
 * serves KJV Genesis on a free local port, and `examples/network_wordcount.ts`, the program users
 * port from PySpark, runs against it as its own process, exactly as they would run it against
 * `nc -lk 9999`.
 */
export async function demoCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { seconds: { type: 'string', default: '10' }, batch: { type: 'string', default: '1' } },
  });
  const example = fileURLToPath(new URL('../../examples/network_wordcount.ts', import.meta.url));
  if (!existsSync(example)) throw new Error('the demo runs from a clone of the chispa repository (examples/ is not installed)');
  const feeder = await startFeeder({ port: 0, text: await readFile(DEFAULT_TEXT_URL), linesPerSecond: 400, loop: true });
  process.stderr.write(`chispa demo: feeding KJV Genesis on 127.0.0.1:${feeder.port}, ${values.batch} s batches for ${values.seconds} s\n`);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', example, '127.0.0.1', String(feeder.port), values.batch, values.seconds], {
        stdio: 'inherit',
      });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`the WordCount program exited with code ${code}`);
  } finally {
    await feeder.close();
  }
}
