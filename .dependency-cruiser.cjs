/**
 * Architecture rules of DESIGN.md, checked by `npm test` (errors, not warnings).
 * Paths are matched anywhere below a `src/` so the rule test can cruise a fixture tree.
 */
const CORE = '(?:^|/)src/main/core/';
// Lower layers never import higher ones (DESIGN: dependency rules).
const LAYERS = [
  ['config'],
  ['store'],
  ['secrets', 'safety', 'privacy'],
  ['llm', 'fleet', 'mcp'],
  ['monitor', 'metrics', 'anomaly', 'alerts', 'forecast'],
  ['tools', 'approvals'],
  ['remediation'],
  ['agent'],
  // The MCP server is a face beside the HTTP server and the CLI (DESIGN: MCP).
  ['server', 'cli', 'mcp-server'],
];

const layerRules = LAYERS.flatMap((modules, level) => {
  const higher = LAYERS.slice(level + 1).flat();
  if (higher.length === 0) return [];
  return [
    {
      name: `layer-${modules.join('-')}`,
      comment: `${modules.join(', ')} must not import higher layers (${higher.join(', ')})`,
      severity: 'error',
      from: { path: `${CORE}(?:${modules.join('|')})/` },
      to: { path: `${CORE}(?:${higher.join('|')})/` },
    },
  ];
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Circular imports make layers meaningless',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-headless',
      severity: 'error',
      comment: 'src/main/core never imports electron: it runs in the CLI and the headless server',
      from: { path: CORE },
      to: { path: '^electron$|(^|/)node_modules/electron/' },
    },
    {
      name: 'nothing-imports-the-electron-shell',
      severity: 'error',
      from: { pathNot: '(?:^|/)src/main/electron/' },
      to: { path: '(?:^|/)src/main/electron/' },
    },
    {
      name: 'shared-imports-nothing-of-ours',
      severity: 'error',
      from: { path: '(?:^|/)src/shared/' },
      to: { path: '(?:^|/)src/(main|preload|renderer)/' },
    },
    {
      name: 'renderer-imports-shared-and-itself',
      severity: 'error',
      from: { path: '(?:^|/)src/renderer/' },
      to: { path: '(?:^|/)src/(main|preload)/' },
    },
    {
      name: 'core-modules-through-index',
      severity: 'error',
      comment: 'core modules import each other through their index.ts only',
      from: { path: `${CORE}([^/]+)/` },
      to: { path: `${CORE}[^/]+/`, pathNot: [`${CORE}$1/`, `${CORE}[^/]+/index\\.ts$`] },
    },
    {
      name: 'safety-and-privacy-do-no-io',
      severity: 'error',
      comment: 'safety and privacy decide from data; they do no network or process I/O (a worker thread is neither)',
      from: { path: `${CORE}(?:safety|privacy)/`, pathNot: '\\.test\\.ts$' },
      to: { path: '^(node:)?(child_process|net|http|https|http2|dgram|tls|dns|cluster)$' },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(?:^|/)out/' },
    tsConfig: { fileName: 'tsconfig.node.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
