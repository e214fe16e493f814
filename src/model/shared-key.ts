import type { Config } from '../kernel/config.js';
import type { Cache } from '../infra/cache.js';
import { createGeminiProvider } from './gemini.client.js';
import type { ModelProvider } from './model-provider.js';
import { createRateGate } from './rate-limit.js';

/**
 * The shared key's model, or undefined when no key is configured (the AI is then unavailable).
 * With `cache`, calls obey GEMINI_REQUESTS_PER_MINUTE across every process sharing that cache.
 */
export function sharedKeyModel(config: Config, cache?: Cache): ModelProvider | undefined {
  if (!config.gemini.apiKey) return undefined;
  return createGeminiProvider({
    apiKey: config.gemini.apiKey,
    baseUrl: config.gemini.baseUrl,
    policy: {
      timeoutMs: config.gemini.timeoutMs,
      retries: config.gemini.retries,
      deadlineMs: config.gemini.deadlineMs,
    },
    ...(cache ? { gate: createRateGate({ cache, requestsPerMinute: config.gemini.requestsPerMinute }) } : {}),
  });
}
