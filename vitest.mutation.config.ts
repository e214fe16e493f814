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
    include: [
      'test/invariants/**/*.test.ts',
      'src/auth/tokens.test.ts',
      'src/ai/business-hours.test.ts',
      // What a silent AI still stores: inbound messages on every path where the AI stays quiet.
      'test/channels/ai-silent.test.ts',
      // Quotas, sign-in and tokens, through the suites of those features.
      'test/usage/usage.test.ts',
      'test/auth/auth.test.ts',
      // Tokens listed, revoked and expired; old password hashes upgraded at sign-in.
      'test/auth/tokens.test.ts',
      'test/auth/password-upgrade.test.ts',
      // Status changes, handover reasons and the message system: the conversation modules' own suites.
      'test/conversations/status.test.ts',
      'test/conversations/message-system.test.ts',
      'test/conversations/reconcile.test.ts',
      // Session lists and their filters, idle-session cleanup, and takeover while the AI writes.
      'test/ai/sessions.test.ts',
      'test/jobs/scheduled-jobs.test.ts',
      'test/ai/takeover.test.ts',
    ],
    // On PostgreSQL when it is at hand (as on every machine of this project): a fresh database
    // per test file costs a fraction of a PGlite start, and each mutant's run starts one.
    env: process.env.TEST_DATABASE_URL ? { PARLEY_TEST_DB: 'postgres' } : {},
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
