import { defineConfig } from 'vitest/config';

/**
 * The pure modules' suite for `npm run test:mutation:unit`: unit tests only, no
 * database, no HTTP. A mutant here costs milliseconds instead of an app start.
 */
export default defineConfig({
  test: {
    name: 'embedded',
    include: [
      'src/auth/tokens.test.ts',
      'src/ai/business-hours.test.ts',
      'test/invariants/tokens.test.ts',
      'test/invariants/business-hours.test.ts',
      'test/invariants/instagram-events.test.ts',
      'src/model/fair-share.test.ts',
      'src/model/fair-share-state.test.ts',
      'src/model/thinking.test.ts',
      'src/infra/sliding-window.test.ts',
      'src/kernel/ids.test.ts',
    ],
  },
});
