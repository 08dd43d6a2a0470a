/**
 * The modules this thread has imported for shipped functions, by URL. Importing is async and
 * compiling a shipped function is not: a runner imports what a task's functions need
 * ({@link loadModules}) before it runs the task, and `compileFunction` then reads them here.
 * Each module is imported once per thread, as Node caches it anyway.
 */
import { FunctionSourceError } from '../errors.js';

const loaded = new Map<string, Record<string, unknown>>();
const loading = new Map<string, Promise<void>>();

/** Imports every URL not imported yet on this thread. */
export async function loadModules(urls: Iterable<string>): Promise<void> {
  const waits: Promise<void>[] = [];
  for (const url of urls) {
    if (loaded.has(url)) continue;
    let p = loading.get(url);
    if (!p) {
      p = import(url).then(
        (ns: Record<string, unknown>) => {
          loaded.set(url, ns);
        },
        (e: unknown) => {
          loading.delete(url);
          const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
          throw new FunctionSourceError(`import '${url}'`, `the module failed to load on this thread (${why})`);
        },
      );
      loading.set(url, p);
    }
    waits.push(p);
  }
  await Promise.all(waits);
}

/** The export `name` of an imported module (the namespace without a name), or undefined if not imported. */
export function importedValue(url: string, name: string | undefined): { value: unknown } | undefined {
  const ns = loaded.get(url);
  if (!ns) return undefined;
  if (name === undefined) return { value: ns };
  if (!(name in ns)) throw new FunctionSourceError(`import '${url}#${name}'`, `the module has no export '${name}'`);
  return { value: ns[name] };
}
