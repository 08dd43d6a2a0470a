// Fails when a declaration marked `@internal` reached the published .d.ts files (the build's
// `stripInternal` removes them; a tag it cannot strip stays behind as text).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const found = [];
for (const entry of readdirSync('dist', { recursive: true })) {
  const file = join('dist', String(entry));
  if (file.endsWith('.d.ts') && readFileSync(file, 'utf8').includes('@internal')) found.push(file);
}
if (found.length > 0) {
  console.error(`@internal declarations in the published types:\n  ${found.join('\n  ')}`);
  process.exit(1);
}
