// The layer rule of docs/architecture.md, checked by `npm run lint:layers` (part of `npm test`):
// data flows one way, and a module imports only from its own layer or the layers below it.
// From the top: cli/, ui/ → streaming/ → sources/, checkpoint/ → rdd/ → exec/ → plan/ → memory/
// → layouts/. The leaf modules in src/ itself (errors, log, functions, python-repr) may be
// imported from any layer and import only each other. A new upward import fails the build.

/** Folders above each layer: what it must never import. */
const above = {
  streaming: ['cli', 'ui'],
  sources: ['cli', 'ui', 'streaming', 'checkpoint', 'rdd', 'exec', 'plan'],
  checkpoint: ['cli', 'ui', 'streaming', 'sources', 'rdd', 'exec', 'plan'],
  rdd: ['cli', 'ui', 'streaming', 'sources', 'checkpoint'],
  exec: ['cli', 'ui', 'streaming', 'sources', 'checkpoint', 'rdd'],
  plan: ['cli', 'ui', 'streaming', 'sources', 'checkpoint', 'rdd', 'exec'],
};

const layerRules = Object.entries(above).map(([layer, forbidden]) => ({
  name: `${layer}-imports-nothing-above`,
  comment: `${layer}/ imports only itself and the layers below it, never ${forbidden.join('/, ')}/.`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${forbidden.join('|')})/` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-streaming-below',
      comment: 'Nothing below streaming/ knows DStreams or batch times: exec/, memory/, plan/ and rdd/ never import streaming/.',
      severity: 'error',
      from: { path: '^src/(exec|memory|plan|rdd)/' },
      to: { path: '^src/streaming/' },
    },
    {
      name: 'streaming-uses-the-rdd-api',
      comment: 'streaming/ builds RDDs through rdd/\'s API (RDD, SparkContext, the factories): never lineage nodes or the scheduler.',
      severity: 'error',
      from: { path: '^src/streaming/' },
      to: { path: '^src/rdd/(lineage|dag-scheduler)\\.ts$' },
    },
    {
      name: 'memory-imports-nothing-above',
      comment: 'memory/ is the bottom layer: it imports only itself, layouts/ and the error classes.',
      severity: 'error',
      from: { path: '^src/memory/' },
      to: { path: '^src/', pathNot: '^src/(memory/|layouts/|errors\\.ts$)' },
    },
    {
      name: 'layouts-import-only-layouts',
      comment: 'Generated FlatBuffers code depends on nothing of ours.',
      severity: 'error',
      from: { path: '^src/layouts/' },
      to: { path: '^src/', pathNot: '^src/layouts/' },
    },
    {
      name: 'no-cli-or-ui-below',
      comment: 'cli/ and ui/ sit on top: nothing below them imports them (src/index.ts may re-export the UI).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli/|ui/|index\\.ts$)' },
      to: { path: '^src/(cli|ui)/' },
    },
    {
      name: 'no-cli-from-ui',
      comment: 'The UI is a library the CLI uses, not the other way round.',
      severity: 'error',
      from: { path: '^src/ui/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'worker-entry-stays-below',
      comment:
        'The worker thread loads only the executor: exec/, memory/, plan/, layouts/ and the leaf modules ' +
        'they use, whatever the import chain.',
      severity: 'error',
      from: { path: '^src/exec/worker\\.ts$' },
      to: { path: '^src/', pathNot: '^src/(exec/|memory/|plan/|layouts/|[^/]+\\.ts$)', reachable: true },
    },
    {
      name: 'leaf-modules-import-only-leaves',
      comment: 'errors, log, functions and python-repr are importable from every layer, so they import no layer.',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$', pathNot: '^src/index\\.ts$' },
      to: { path: '^src/[^/]+/' },
    },
    ...layerRules,
    {
      name: 'no-circular-between-layers',
      comment: 'A cycle across folders means two layers each lean on the other.',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/', pathNot: '^src/$1/', circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a layer that names an upper layer's types depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // `.js` specifiers name the `.ts` sources (NodeNext).
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
