import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

const everything = ['src/**/*.test.ts', 'test/**/*.test.ts'];
const integration = 'test/integration/**';
// The dashboard in a real browser: once, on the embedded database (the API below it is tested on both).
const browser = 'test/browser/**';

const projects: TestProjectInlineConfiguration[] = [
  // The fast suite: in-memory PGlite, in-process infrastructure. Runs everywhere.
  { extends: true, test: { name: 'embedded', include: everything, exclude: [integration, browser] } },
  { extends: true, test: { name: 'browser', include: ['test/browser/**/*.test.ts'], testTimeout: 30_000 } },
];

if (process.env.TEST_DATABASE_URL) {
  // The same HTTP and process suites again on real PostgreSQL (and Redis when TEST_REDIS_URL is set).
  projects.push({
    extends: true,
    test: {
      name: 'postgres',
      include: ['test/**/*.test.ts'],
      // The fakes' own tests touch no database.
      exclude: [integration, browser, 'test/fakes/**'],
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
  },
});
