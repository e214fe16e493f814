import { defineConfig } from 'vitest/config';

/**
 * The suite Stryker runs for `npm run test:mutation`: the embedded project only
 * (in-memory PGlite), and only the test files that exercise the mutated
 * modules (see stryker.config.json). Kept small on purpose: a mutant that
 * survives runs every test covering it, and nearly every flow stores messages,
 * so the whole suite here would cost minutes per surviving mutant. No global setup: none of these spawn the
 * built `parley` bin, so dist/ is not needed.
 */
export default defineConfig({
  test: {
    name: 'embedded',
    include: ['test/invariants/**/*.test.ts', 'src/auth/tokens.test.ts', 'src/ai/business-hours.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
