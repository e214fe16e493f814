import { GeminiFake } from '../fakes/gemini.js';
import type { Watchers } from '../../src/events/watchers.js';
import type { Cache } from '../../src/infra/cache.js';
import { createTestApp, type TestApp } from './app.js';

export const TEST_GEMINI_KEY = 'test-gemini-key';

export interface AiTestApp extends TestApp {
  gemini: GeminiFake;
  /** A business with AI switched on and the given settings; returns its token. */
  business(username: string, settings?: Record<string, unknown>): Promise<string>;
}

/** A Parley app whose shared key points at a Gemini emulator on loopback. */
export async function createAiTestApp(
  env: Record<string, string> = {},
  options: { watchers?: Watchers; cache?: Cache; gemini?: GeminiFake } = {},
): Promise<AiTestApp> {
  // A given emulator is shared (as by several processes) and stays open when the app closes.
  const gemini = options.gemini ?? (await GeminiFake.start({ apiKey: TEST_GEMINI_KEY }));
  const t = await createTestApp({
    ...options,
    env: {
      GEMINI_API_KEY: TEST_GEMINI_KEY,
      GEMINI_BASE_URL: gemini.url,
      GEMINI_TIMEOUT_MS: '1000',
      GEMINI_RETRIES: '2',
      GEMINI_DEADLINE_MS: '15000',
      ...env,
    },
  });
  return {
    ...t,
    gemini,
    async business(username, settings = {}) {
      const token = await t.signUp(username);
      const response = await t.as(token, {
        method: 'PUT',
        url: '/api/v1/ai/config/',
        payload: { auto_response_enabled: true, ...settings },
      });
      if (response.statusCode !== 200) throw new Error(`config failed: ${response.body}`);
      return token;
    },
    async close() {
      await t.close();
      if (!options.gemini) await gemini.close();
    },
  };
}
