// Builds the server dist/server/ from src/ (type-checked, then bundled by scripts/bundle.js), the
// dashboard dist/web/ from web/ and the website widget dist/widget/ from widget/, each when it is missing
// or older than its own sources (separate stamps: changing one never rebuilds another).
// Shared by `npm run build` (always builds) and bin/parley.js (builds only when needed).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.build-stamp');
// Outside dist/web, which Vite empties on every build.
const webStamp = path.join(root, 'dist', '.web-build-stamp');
const webOut = path.join(root, 'dist', 'web', 'index.html');
const widgetStamp = path.join(root, 'dist', '.widget-build-stamp');
const widgetOut = path.join(root, 'dist', 'widget', 'widget.js');

/** @param {string} dir @returns {number} */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** @param {string} file */
function mtime(file) {
  return statSync(file).mtimeMs;
}

export function needsBuild() {
  if (!existsSync(stamp) || !existsSync(path.join(root, 'dist', 'server', 'main.js'))) return true;
  const inputs = Math.max(
    newestSource(path.join(root, 'src')),
    statSync(path.join(root, 'tsconfig.json')).mtimeMs,
    statSync(path.join(root, 'tsconfig.build.json')).mtimeMs,
    statSync(path.join(root, 'scripts', 'bundle.js')).mtimeMs,
  );
  return inputs > statSync(stamp).mtimeMs;
}

/** @param {string} out @param {string} stampFile @param {string} sources */
function viteNeedsBuild(out, stampFile, sources) {
  if (!existsSync(stampFile) || !existsSync(out)) return true;
  const inputs = Math.max(newestSource(path.join(root, sources)), mtime(path.join(root, 'package-lock.json')));
  return inputs > mtime(stampFile);
}

export function webNeedsBuild() {
  return viteNeedsBuild(webOut, webStamp, 'web');
}

export function widgetNeedsBuild() {
  return viteNeedsBuild(widgetOut, widgetStamp, 'widget');
}

/**
 * @param {{ what: string, sources: string, stampFile: string, required: boolean }} build
 * required: fail when Vite is missing (npm run build) rather than skip.
 */
function viteBuild({ what, sources, stampFile, required }) {
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) {
    // An install without dev dependencies: the server runs, and says how to build what is missing.
    process.stderr.write(`The ${what} needs building, but Vite is not installed: run \`npm ci\` first.\n`);
    if (required) process.exit(1);
    return;
  }
  process.stderr.write(`Building the ${what} (${sources}/ → dist/${sources}/)…\n`);
  const config = `${sources}/vite.config.ts`;
  const result = spawnSync(process.execPath, [vite, 'build', '--config', config, '--logLevel', 'warn'], {
    cwd: root,
    stdio: ['ignore', process.stderr, process.stderr],
  });
  if (result.status !== 0) {
    process.stderr.write(`The ${what} build failed; see the errors above.\n`);
    process.exit(result.status ?? 1);
  }
  writeFileSync(stampFile, `${new Date().toISOString()}\n`);
}

/** @param {{ required?: boolean }} [options] */
export function buildWeb({ required = false } = {}) {
  viteBuild({ what: 'dashboard', sources: 'web', stampFile: webStamp, required });
}

/** @param {{ required?: boolean }} [options] */
export function buildWidget({ required = false } = {}) {
  viteBuild({ what: 'website widget', sources: 'widget', stampFile: widgetStamp, required });
}

export function build() {
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    process.stderr.write('Parley needs building, but TypeScript is not installed: run `npm ci` first.\n');
    process.exit(1);
  }
  process.stderr.write('Building Parley (TypeScript → dist/server/)…\n');
  for (const args of [[tsc, '-p', 'tsconfig.build.json'], [path.join(root, 'scripts', 'bundle.js')]]) {
    // Output goes to stderr so commands whose stdout scripts read (token create) stay clean.
    const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
    if (result.status !== 0) {
      process.stderr.write('The build failed; see the errors above.\n');
      process.exit(result.status ?? 1);
    }
  }
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}

export function buildIfNeeded() {
  if (needsBuild()) build();
  if (webNeedsBuild()) buildWeb();
  if (widgetNeedsBuild()) buildWidget();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  build();
  buildWeb({ required: true });
  buildWidget({ required: true });
}
