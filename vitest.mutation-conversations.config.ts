import { defineConfig } from 'vitest/config';

/**
 * The conversation modules' suite for `npm run test:mutation:conversations`:
 * status changes, the conversations and messages repositories and services, and
 * the Telegram webhook that stores into them. Nearly every test stores a message,
 * so each mutant here reruns most of these files; keeping the set to the suites
 * of these modules makes a run take about half an hour instead of hours.
 */
export default defineConfig({
  test: {
    name: 'embedded',
    include: [
      'test/invariants/inbound-and-ownership.test.ts',
      'test/invariants/first-messages.test.ts',
      'test/channels/ai-silent.test.ts',
      'test/conversations/status.test.ts',
      'test/conversations/message-system.test.ts',
      'test/conversations/reconcile.test.ts',
      'test/ai/sessions.test.ts',
      'test/ai/takeover.test.ts',
      'test/jobs/scheduled-jobs.test.ts',
    ],
    env: process.env.TEST_DATABASE_URL ? { PARLEY_TEST_DB: 'postgres' } : {},
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
