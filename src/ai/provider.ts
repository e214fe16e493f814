import type { Config } from '../app/config.js';
import { createGeminiProvider } from './gemini.client.js';
import type { ModelProvider } from './model-provider.js';

/** The shared key's model, or undefined when no key is configured (the AI is then unavailable). */
export function modelProvider(config: Config): ModelProvider | undefined {
  if (!config.gemini.apiKey) return undefined;
  return createGeminiProvider({
    apiKey: config.gemini.apiKey,
    baseUrl: config.gemini.baseUrl,
    policy: {
      timeoutMs: config.gemini.timeoutMs,
      retries: config.gemini.retries,
      deadlineMs: config.gemini.deadlineMs,
    },
  });
}
