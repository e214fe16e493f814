/**
 * The folders of src/ depend one way: a folder may import from the layers
 * below it, never from a layer above or from a neighbour on its own layer.
 * docs/architecture.md ("Code layout") draws the same picture; `npm test`
 * runs this check first, so a new cycle between folders fails CI.
 */
const LAYERS = [
  ['cli'], //                         the `parley` command: assembles processes
  ['app'], //                         server and worker assembly: Fastify, plugins, routes, processes
  ['admin'], //                       the operator's view: every business, creating one, the machinery's state
  ['jobs'], //                        the job catalogue and the scheduled tasks
  ['channels', 'realtime'], //        edges: channel adapters, the WebSocket endpoint
  ['ai'], //                          the reply pipeline, AI settings, prompts, business hours
  ['conversations'], //               conversations, messages, outbox, status and handover
  ['usage', 'analytics'], //          the shared key's usage and quotas; reports
  ['auth'], //                        users, tokens, request authentication
  ['events', 'metrics'], //           live events and who watches them; Prometheus metrics
  ['model'], //                       the model port and the Gemini client behind it
  ['db', 'infra'], //                 schema, migrations, connection; queue, pub/sub, cache
  ['kernel', 'emulator'], //          config, errors, ids, validation; the stand-alone Gemini emulator
];

const folder = (name) => `^src/${name}/`;
const rank = new Map(LAYERS.flatMap((names, index) => names.map((name) => [name, index])));

const layerRules = [...rank].map(([name, index]) => {
  const forbidden = [...rank].filter(([other, otherIndex]) => other !== name && otherIndex <= index).map(([o]) => o);
  return {
    name: `layer-${name}`,
    comment: `src/${name} may use only the layers below it (${LAYERS.slice(index + 1)
      .flat()
      .join(', ')}).`,
    severity: 'error',
    // Tests beside the code may assemble what they test from any layer.
    from: { path: folder(name), pathNot: '\\.test\\.ts$' },
    to: { path: `^src/(${forbidden.join('|')})/` },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'unknown-folder',
      comment: 'Every folder of src/ has a place in LAYERS (.dependency-cruiser.cjs) and in docs/architecture.md.',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${[...rank.keys()].join('|')})/` },
      to: {},
    },
    {
      name: 'emulator-stands-alone',
      comment:
        'The Gemini emulator fakes Google: it uses nothing of Parley, and only the simulated model of the CLI (`parley demo`, `serve --simulated`) uses it in src/.',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: ['^src/emulator/', '^src/cli/demo\\.ts$', '^src/cli/simulated-model\\.ts$', '\\.test\\.ts$'],
      },
      to: { path: '^src/emulator/' },
    },
    {
      name: 'schema-is-data',
      comment: 'The database schema describes tables: it imports nothing from the domains.',
      severity: 'error',
      from: { path: '^src/db/schema/' },
      to: { path: '^src/', pathNot: '^src/db/schema/' },
    },
    {
      name: 'queries-in-repositories',
      comment: "Drizzle is used in src/db and in each domain's repository (*.repo.ts) only.",
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/db/', '\\.repo\\.ts$', '\\.test\\.ts$'] },
      to: { path: 'node_modules/drizzle-orm/' },
    },
    {
      name: 'no-test-code-in-src',
      comment: "src/ never imports the test suite's fakes or helpers.",
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '^test/' },
    },
    {
      name: 'no-circular',
      comment: 'Modules do not import each other in a circle, inside a folder either.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/db/migrations/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
