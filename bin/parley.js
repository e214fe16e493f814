#!/usr/bin/env node
// The `parley` command. Builds dist/server/ first when the sources changed, so a fresh
// clone works with `npm ci && npm start` and `npx parley …`.
import v8 from 'node:v8';
import { buildIfNeeded } from '../scripts/build.js';

// The embedded database is PostgreSQL compiled to WebAssembly. V8's optimising
// tier recompiles its hot functions at a cost of ~50 MB resident for a ~4%
// speed-up; the baseline compiler alone keeps the embedded server small.
// Must be set before any WebAssembly is compiled.
v8.setFlagsFromString('--liftoff-only');
// Lets the embedded database's thread run a full collection once it is idle
// (src/db/pglite-worker.ts): about 7 MiB less resident while nothing happens.
v8.setFlagsFromString('--expose-gc');

buildIfNeeded();
await import('../dist/server/main.js');
