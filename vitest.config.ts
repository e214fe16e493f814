import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

const everything = ['src/**/*.test.ts', 'test/**/*.test.ts'];
const integration = 'test/integration/**';
// The dashboard in a real browser: once, on the embedded database (the API below it is tested on both).
const browser = 'test/browser/**';

/**
 * What the `postgres` project does not run again: suites whose subject is not
 * the database, so PostgreSQL could only repeat what PGlite already showed.
 * Everything that stores or reads through the repos stays on both: the HTTP
 * suites over the data layer, jobs, migrations, the CLI's database commands.
 * A suite that adds SQL (a new repo, a migration) belongs on both; add a file
 * here only with the reason it touches no database in a way that differs.
 */
const sameOnEveryDatabase = [
  // The fakes' own tests and the dashboard's and the widget's own logic (web/src, widget/src) touch no database.
  'test/fakes/**',
  'test/web/**',
  'test/widget/**',
  // Pure functions: token format and hashes, opening hours, Meta's event shapes.
  'test/invariants/tokens.test.ts',
  'test/invariants/business-hours.test.ts',
  'test/invariants/instagram-events.test.ts',
  // HTTP plumbing, answered before any query: socket timeouts, 405s and 404s, a JSON body sent as a form,
  // request ids, OpenAPI and log redaction, the dashboard's static files.
  'test/app/timeouts.test.ts',
  'test/app/method-not-allowed.test.ts',
  'test/app/json-as-form.test.ts',
  'test/app/conventions.test.ts',
  'test/app/dashboard.test.ts',
  // Counters kept in memory or Redis, never in the database: request, sign-in and WebSocket limits.
  'test/app/rate-limits.test.ts',
  'test/realtime/limits.test.ts',
  // Who may read /readyz and /metrics (its readiness checks are stand-ins), and PUBLIC_URL's checks.
  'test/metrics/operator-token.test.ts',
  'test/channels/public-url.test.ts',
  // Processes that always use an embedded database of their own (`parley demo`, a data dir's modes),
  // or stop before opening one (a port in use).
  'test/cli/demo.test.ts',
  'test/cli/local-files.test.ts',
  'test/cli/busy-port.test.ts',
];

const projects: TestProjectInlineConfiguration[] = [
  // The fast suite: in-memory PGlite, in-process infrastructure. Runs everywhere.
  { extends: true, test: { name: 'embedded', include: everything, exclude: [integration, browser] } },
  { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], testTimeout: 30_000 } },
];

if (process.env.TEST_DATABASE_URL) {
  // The HTTP and process suites again on real PostgreSQL (and Redis when TEST_REDIS_URL is set).
  projects.push({
    extends: true,
    test: {
      name: 'postgres',
      include: ['test/**/*.test.ts'],
      exclude: [integration, browser, ...sameOnEveryDatabase],
      env: { PARLEY_TEST_DB: 'postgres' },
    },
  });
}

if (process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL) {
  // What only real servers can show: Redis outages, several processes on one database.
  projects.push({ extends: true, test: { name: 'integration', include: [integration] } });
}

export default defineConfig({
  test: {
    projects,
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default on 2 cores is 1 worker, which idles while a test waits on a subprocess,
    // a socket or a timer. Two keep both cores busy; three were no faster and made process tests time out.
    maxWorkers: 2,
    // A worker keeps its modules from one file to the next instead of importing Fastify, Drizzle,
    // zod and PGlite again for each (about a third of the suite's CPU time). Files share no state
    // through them: every test app sets the password cost, the one process-wide setting, itself.
    isolate: false,
  },
});
