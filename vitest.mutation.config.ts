import { defineConfig } from 'vitest/config';

/**
 * The suite Stryker runs for `npm run test:mutation`: the embedded project only
 * (in-memory PGlite), and only the test files that exercise the mutated
 * modules (see stryker.config.json). No global setup: none of these spawn the
 * built `parley` bin, so dist/ is not needed.
 */
export default defineConfig({
  test: {
    name: 'embedded',
    include: [
      'test/invariants/**/*.test.ts',
      'src/auth/tokens.test.ts',
      'src/ai/business-hours.test.ts',
      'test/auth.test.ts',
      'test/takeover.test.ts',
      'test/conversation-status.test.ts',
      'test/message-system.test.ts',
      'test/telegram-flow.test.ts',
      'test/instagram-flow.test.ts',
      'test/usage.test.ts',
      'test/reply-pipeline.test.ts',
    ],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
