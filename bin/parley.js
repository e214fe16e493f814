#!/usr/bin/env node
// The `parley` command. Builds dist/ first when the sources changed, so a fresh
// clone works with `npm ci && npm start` and `npx parley …`.
import { buildIfNeeded } from '../scripts/build.js';

buildIfNeeded();
await import('../dist/cli/main.js');
