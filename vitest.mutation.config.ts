import { defineConfig } from 'vitest/config';

/**
 * The suites Stryker runs (see stryker.config.json and the test:mutation scripts):
 * only the test files that exercise the mutated modules. Kept small on purpose: a
 * mutant reruns every test file covering it, app start included, and nearly every
 * flow signs up and stores messages. PARLEY_MUTATION_SET picks a part for a run
 * over a few modules (`npm run test:mutation:conversations`, `…:auth`); without it,
 * the whole set. No global setup: none of these spawn the built `parley` bin.
 */
const conversations = [
  'test/invariants/inbound-and-ownership.test.ts',
  'test/invariants/first-messages.test.ts',
  'test/channels/ai-silent.test.ts',
  'test/conversations/status.test.ts',
  'test/conversations/message-system.test.ts',
  'test/conversations/reconcile.test.ts',
  'test/ai/sessions.test.ts',
  'test/ai/takeover.test.ts',
  // A reply with no wait: what inbound.ts reads with the message for it.
  'test/ai/instant-reply.test.ts',
  // inbound.ts's skip rule: a conversation waiting for the AI, and one a person took just before.
  'test/ai/waiting-for-ai.test.ts',
  'test/analytics/analytics.test.ts',
  // messages.repo.ts's statements built once per shape: each shape reads what it was asked for.
  'test/conversations/message-shapes.test.ts',
  // A long conversation's history: its newest messages, reading no more than those.
  'test/conversations/long-history.test.ts',
  // A page of a long conversation (dashboard and widget): its messages, reading no more than those.
  'test/conversations/long-thread.test.ts',
  // A dashboard catching up: its business's messages since, not every business's.
  'test/conversations/sync-after.test.ts',
  // The history remembered between a customer's messages: used only while the database confirms it.
  'src/conversations/recent-history.test.ts',
  'test/conversations/recent-history.test.ts',
  'test/jobs/scheduled-jobs.test.ts',
];

const auth = [
  'src/auth/tokens.test.ts',
  'src/auth/password.test.ts',
  'test/invariants/accounts.test.ts',
  'test/invariants/tokens.test.ts',
  'test/auth/auth.test.ts',
  'test/auth/tokens.test.ts',
  'test/auth/password-upgrade.test.ts',
  // Sockets closed when their token is revoked or expires, and the heartbeat's recheck.
  'test/realtime/token-sockets.test.ts',
];

/** The shared key's economics (#15): fair share, caps' reservations, the customer limit, thinking. */
const sharedKey = [
  'src/model/fair-share.test.ts',
  'src/model/fair-share-state.test.ts',
  'src/model/thinking.test.ts',
  'src/ai/customer-limit.test.ts',
  'src/infra/sliding-window.test.ts',
  'test/usage/caps.test.ts',
  'test/usage/reservations.test.ts',
  'test/usage/fair-share.test.ts',
  'test/ai/customer-limit.test.ts',
  'test/ai/thinking.test.ts',
  // "Try it" is not limited like a customer, and over a cap it is refused like one.
  'test/ai/try-it.test.ts',
];

/** Its suites without an app start, for a quick look at quota-reservations.ts and customer-limit.ts. */
const sharedKeyFast = [
  'src/model/fair-share.test.ts',
  'src/model/fair-share-state.test.ts',
  'src/model/thinking.test.ts',
  'src/ai/customer-limit.test.ts',
  'test/usage/reservations.test.ts',
];

/** The outbox (#17): a message to a customer is sent by one sender, once, and never twice after a crash. */
const outbox = [
  'test/channels/outbox-claims.test.ts',
  'test/channels/telegram-flow.test.ts',
  'test/channels/instagram-flow.test.ts',
];

/** The statements' plumbing (#17): built once per shape, and the embedded database's prepared statements. */
const db = [
  'test/db/built-once.test.ts',
  'src/db/pglite-prepared.test.ts',
  'test/conversations/message-shapes.test.ts',
];

const SETS: Record<string, string[]> = {
  outbox,
  db,
  conversations,
  auth,
  'shared-key': sharedKey,
  'shared-key-fast': sharedKeyFast,
  all: [
    ...new Set([
      'test/invariants/**/*.test.ts',
      'src/ai/business-hours.test.ts',
      // Quotas through the usage suite.
      'test/usage/usage.test.ts',
      ...conversations,
      ...auth,
    ]),
  ],
};

const set = process.env.PARLEY_MUTATION_SET ?? 'all';
const include = SETS[set];
if (!include) throw new Error(`PARLEY_MUTATION_SET must be one of ${Object.keys(SETS).join(', ')}`);

export default defineConfig({
  test: {
    name: 'embedded',
    include,
    // On PostgreSQL when it is at hand (as on every machine of this project): a fresh database
    // per test file costs a fraction of a PGlite start, and each mutant's run starts one.
    env: process.env.TEST_DATABASE_URL ? { PARLEY_TEST_DB: 'postgres' } : {},
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
