// Fails when the dashboard's JavaScript grows past its budget (issue #13), gzipped as served:
// what the inbox needs to start (the entry and what it imports up front), and everything together.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildWeb, webNeedsBuild } from './build.js';

const KB = 1024;
const INITIAL_BUDGET = 80 * KB;
const TOTAL_BUDGET = 150 * KB;

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'web');
const index = path.join(web, 'index.html');
// Measure what web/ builds to now, not a stale build.
if (webNeedsBuild()) buildWeb({ required: true });
if (!existsSync(index)) {
  process.stderr.write('dist/web is not built: run `npm run build` first.\n');
  process.exit(1);
}

/** @param {string} file */
const gzipped = (file) => gzipSync(readFileSync(path.join(web, file)), { level: 9 }).length;
const assets = readdirSync(path.join(web, 'assets')).filter((name) => name.endsWith('.js'));
const html = readFileSync(index, 'utf8');
// What index.html loads: the entry and the chunks it preloads.
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((match) => match[1] ?? '');

const initialSize = initial.reduce((sum, file) => sum + gzipped(file), 0);
const totalSize = assets.reduce((sum, file) => sum + gzipped(path.join('assets', file)), 0);
const kb = (/** @type {number} */ bytes) => `${(bytes / KB).toFixed(1)} KB`;

process.stdout.write(
  `Dashboard JavaScript, gzipped: initial ${kb(initialSize)} of ${kb(INITIAL_BUDGET)}, all ${kb(totalSize)} of ${kb(TOTAL_BUDGET)}\n`,
);
const over = [];
if (initial.length === 0) over.push('index.html loads no script: the budget cannot be checked.');
if (initialSize > INITIAL_BUDGET)
  over.push(`The inbox's initial JavaScript is ${kb(initialSize)}, over ${kb(INITIAL_BUDGET)}.`);
if (totalSize > TOTAL_BUDGET)
  over.push(`The dashboard's JavaScript is ${kb(totalSize)} in all, over ${kb(TOTAL_BUDGET)}.`);
if (over.length > 0) {
  process.stderr.write(
    `${over.join('\n')}\nLazy-load what the inbox does not need at once (import()), or drop a dependency.\n`,
  );
  process.exit(1);
}
