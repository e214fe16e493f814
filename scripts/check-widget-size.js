// Fails when the website widget grows past its budget (issue #16), gzipped as served: the loader every
// page of the business's site downloads, and the panel fetched when a visitor opens it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildWidget, widgetNeedsBuild } from './build.js';

const KB = 1024;
const LOADER_BUDGET = 3 * KB;
const PANEL_BUDGET = 30 * KB;

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'widget');
// Measure what widget/ builds to now, not a stale build.
if (widgetNeedsBuild()) buildWidget({ required: true });
const panels = existsSync(out) ? readdirSync(out).filter((name) => /^panel-[\w-]+\.js$/.test(name)) : [];
if (!existsSync(path.join(out, 'widget.js')) || panels.length !== 1) {
  process.stderr.write('dist/widget is not built (one widget.js, one panel-<hash>.js): run `npm run build`.\n');
  process.exit(1);
}

/** @param {string} file */
const gzipped = (file) => gzipSync(readFileSync(path.join(out, file)), { level: 9 }).length;
const loader = gzipped('widget.js');
const panel = gzipped(panels[0] ?? '');
const kb = (/** @type {number} */ bytes) => `${(bytes / KB).toFixed(1)} KB`;

process.stdout.write(
  `Website widget, gzipped: loader ${kb(loader)} of ${kb(LOADER_BUDGET)}, panel ${kb(panel)} of ${kb(PANEL_BUDGET)}\n`,
);
const over = [];
if (loader > LOADER_BUDGET) over.push(`The widget's loader is ${kb(loader)}, over ${kb(LOADER_BUDGET)}.`);
if (panel > PANEL_BUDGET) over.push(`The widget's panel is ${kb(panel)}, over ${kb(PANEL_BUDGET)}.`);
if (over.length > 0) {
  process.stderr.write(
    `${over.join('\n')}\nMove what the launcher does not need into the panel, or drop a dependency.\n`,
  );
  process.exit(1);
}
