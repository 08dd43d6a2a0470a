/**
 * Modules a shipped function uses (`{ imports: { createHash: 'node:crypto#createHash' } }`),
 * resolved on the main thread when the operator is defined, so that a worker (whose own module
 * lives inside chispa) imports exactly the file the caller's module would, and a typo fails at
 * definition rather than in every task.
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FunctionSourceError } from '../errors.js';

/** One import, resolved: the module's URL (or `node:` name) and the export bound (none: the namespace). */
export interface ResolvedImport {
  readonly url: string;
  readonly name?: string;
}

/**
 * Resolves `spec` (`'node:crypto#createHash'`, `'zod'`, `'./ops.js#parse'`, a `file:` URL) from
 * `base`, the caller's module URL or directory (default: the working directory).
 *
 * @throws FunctionSourceError naming `operator` when the module cannot be found.
 */
export function resolveImport(spec: string, base: string | URL | undefined, operator: string): ResolvedImport {
  const hash = spec.lastIndexOf('#');
  // `#` also starts package-internal imports (`#internal`): only a `#` after the first char splits.
  const [specifier, name] = hash > 0 ? [spec.slice(0, hash), spec.slice(hash + 1)] : [spec, undefined];
  if (name !== undefined && name.length === 0) throw new FunctionSourceError(operator, `import '${spec}' names no export after '#'`);
  const from = baseURL(base);
  let url: string;
  try {
    url = resolveSpecifier(specifier, from);
  } catch (e) {
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new FunctionSourceError(operator, `cannot resolve import '${specifier}' from ${from}: ${why}`);
  }
  return name === undefined || name === '*' ? { url } : { url, name };
}

function baseURL(base: string | URL | undefined): string {
  if (base === undefined) return pathToFileURL(join(process.cwd(), 'index.js')).href;
  const s = String(base);
  if (s.startsWith('file:')) return s;
  // A directory or file path: resolve as if from a module inside it.
  return pathToFileURL(existsSync(s) && !s.endsWith('.js') && !s.endsWith('.ts') ? join(s, 'index.js') : s).href;
}

function resolveSpecifier(specifier: string, from: string): string {
  if (specifier.startsWith('node:')) return specifier;
  if (builtinModules.includes(specifier)) return `node:${specifier}`;
  if (specifier.startsWith('file:') || specifier.startsWith('/') || specifier.startsWith('./') || specifier.startsWith('../')) {
    const url = specifier.startsWith('/') ? pathToFileURL(specifier) : new URL(specifier, from);
    if (!existsSync(url)) throw new Error(`no such file ${url.pathname}`);
    return url.href;
  }
  try {
    return pathToFileURL(createRequire(from).resolve(specifier)).href;
  } catch (e) {
    // An ESM-only package (exports with an `import` condition only) is not require-resolvable.
    const found = resolveEsmPackage(specifier, from);
    if (found) return found;
    throw e;
  }
}

/** The file an `import` of a bare specifier loads, by the package's `exports` (import condition). */
function resolveEsmPackage(specifier: string, from: string): string | undefined {
  const parts = specifier.split('/');
  const pkgName = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  const subpath = '.' + specifier.slice(pkgName.length);
  for (let dir = dirname(new URL(from).pathname); ; dir = dirname(dir)) {
    const pkgDir = join(dir, 'node_modules', pkgName);
    const pkgJson = join(pkgDir, 'package.json');
    if (existsSync(pkgJson)) {
      const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { exports?: unknown; module?: string; main?: string };
      const target = pkg.exports !== undefined ? exportTarget(pkg.exports, subpath) : subpath === '.' ? (pkg.module ?? pkg.main ?? 'index.js') : subpath;
      return target === undefined ? undefined : pathToFileURL(join(pkgDir, target)).href;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function exportTarget(exports: unknown, subpath: string): string | undefined {
  if (typeof exports === 'string') return subpath === '.' ? exports : undefined;
  if (exports === null || typeof exports !== 'object') return undefined;
  const map = exports as Record<string, unknown>;
  const entry = Object.keys(map).some((k) => k.startsWith('.')) ? map[subpath] : subpath === '.' ? map : undefined;
  return conditionTarget(entry);
}

function conditionTarget(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (Array.isArray(entry)) return entry.map(conditionTarget).find((t) => t !== undefined);
  if (entry === null || typeof entry !== 'object') return undefined;
  const map = entry as Record<string, unknown>;
  for (const cond of ['import', 'node', 'default']) {
    const t = conditionTarget(map[cond]);
    if (t !== undefined) return t;
  }
  return undefined;
}
