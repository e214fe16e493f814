// Bundles the server (src/cli/main.ts, the embedded database's thread and initdb) into dist/server/, as
// few files with whitespace and comments left out. V8 keeps the source of every module it loads for as
// long as the process lives: as ~1,100 separate files (Parley's own ~250 with their comments, drizzle-orm's,
// zod's, Fastify's, Ajv's) they held ~3.7 MiB more of the idle main thread's heap (bench/README.md, "Memory").
// Run by scripts/build.js in a process of its own, so esbuild is never loaded into the server.
// Identifiers are not minified: stack traces keep their function names (dist/server/*.map has the rest).
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Two directories below the root, as dist/db/ and dist/app/ were: the paths src/ resolves from
// import.meta.url ('../../dist/web', '../../src/db/migrations', './pglite-worker.js') hold for both.
const out = path.join(root, 'dist', 'server');

// Left to Node to load from node_modules: packages that find their own files from __dirname or
// import.meta.url (PGlite's wasm and data, Swagger UI's static files, pino's and BullMQ's worker scripts,
// ioredis's package.json), and the ones loaded only when used (the Gemini SDK, pg, cron-parser).
const external = [
  '@electric-sql/pglite',
  '@fastify/swagger',
  '@fastify/swagger-ui',
  '@google/genai',
  'bullmq',
  'cron-parser',
  'ioredis',
  'pg',
  'pino',
];

/**
 * Drizzle's PGlite driver imports PGlite to open a database itself when given a path or options rather
 * than a client, and its session the type numbers of four date and time types. Parley always gives it a
 * client (src/db/client.ts), and on the server that client is the database's thread: without this the
 * main thread would load PGlite's ~0.5 MB of JavaScript, and V8 keep it, for four numbers.
 * @returns {import('esbuild').Plugin}
 */
function drizzlePgliteWithoutPglite() {
  return {
    name: 'drizzle-pglite-without-pglite',
    setup(build) {
      build.onResolve({ filter: /^@electric-sql\/pglite$/ }, (args) =>
        /drizzle-orm[\\/]pglite[\\/]/.test(args.importer) ? { path: 'pglite', namespace: 'drizzle-pglite' } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'drizzle-pglite' }, () => ({
        loader: 'js',
        contents: `
          // PostgreSQL's built-in type numbers (pg_type.oid), the ones drizzle-orm/pglite/session.js reads.
          export const types = { TIMESTAMP: 1114, TIMESTAMPTZ: 1184, INTERVAL: 1186, DATE: 1082 };
          export class PGlite {
            constructor() {
              throw new Error('Parley passes Drizzle an open database: this build cannot open one from its options');
            }
          }`,
      }));
    },
  };
}

const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts', 'pglite-worker': 'src/db/pglite-worker.ts', initdb: 'src/db/initdb.ts' },
  outdir: out,
  bundle: true,
  // Shared code in chunks of its own, and the dynamic import()s stay lazy.
  splitting: true,
  chunkNames: '[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  external,
  // The CommonJS packages in the bundle call require(); an ES module has none of its own.
  banner: {
    js: "import { createRequire as __parleyCreateRequire } from 'node:module'; const require = __parleyCreateRequire(import.meta.url);",
  },
  plugins: [drizzlePgliteWithoutPglite()],
  write: false,
  logLevel: 'warning',
});

/**
 * @param {string} text
 * @param {string} file
 */
function ascii(text, file) {
  return text.replace(
    /(\\?)([\u0080-\uffff])/g,
    (/** @type {string} */ _, /** @type {string} */ backslash, /** @type {string} */ c) => {
      // An escaped one (`\…`) would become a backslash and "u2026": not worth handling until it happens.
      if (backslash)
        throw new Error(`${file}: an escaped non-ASCII character (${c}); write it as \\u${hex(c)} in src/`);
      return `\\u${hex(c)}`;
    },
  );
}

/** @param {string} c */
function hex(c) {
  return c.charCodeAt(0).toString(16).padStart(4, '0');
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const file of result.outputFiles) {
  // esbuild escapes non-ASCII characters in strings but not in regular expression literals; one such
  // character makes V8 keep the whole file's source as two bytes a character (~2 MB more for main.js).
  // \uXXXX means the same in a regular expression. (Columns in the source map move on those lines.)
  writeFileSync(file.path, file.path.endsWith('.js') ? ascii(file.text, file.path) : file.text);
}
