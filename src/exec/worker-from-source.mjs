// Worker entry used only when chispa runs from its TypeScript sources (tests, `tsx`): Node 20
// does not apply a parent's `--import tsx` to a worker's modules, so the worker registers tsx
// itself before loading the real entry. The build uses the compiled worker.js directly.
import { register } from 'tsx/esm/api';

register();
const { default: runTask } = await import('./worker.ts');
export default runTask;
