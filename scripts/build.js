// Builds dist/ from src/ when it is missing or older than the sources.
// Shared by `npm run build` (always builds) and bin/parley.js (builds only when needed).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.build-stamp');

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

export function needsBuild() {
  if (!existsSync(stamp) || !existsSync(path.join(root, 'dist', 'cli', 'main.js'))) return true;
  const inputs = Math.max(
    newestSource(path.join(root, 'src')),
    statSync(path.join(root, 'tsconfig.json')).mtimeMs,
    statSync(path.join(root, 'tsconfig.build.json')).mtimeMs,
  );
  return inputs > statSync(stamp).mtimeMs;
}

export function build() {
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    process.stderr.write('Parley needs building, but TypeScript is not installed: run `npm ci` first.\n');
    process.exit(1);
  }
  process.stderr.write('Building Parley (TypeScript → dist/)…\n');
  // Output goes to stderr so commands whose stdout scripts read (token create) stay clean.
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: ['ignore', process.stderr, process.stderr],
  });
  if (result.status !== 0) {
    process.stderr.write('The build failed; see the errors above.\n');
    process.exit(result.status ?? 1);
  }
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}

export function buildIfNeeded() {
  if (needsBuild()) build();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) build();
