import type { AiUnavailableReason } from '../conversations/status.service.js';
import type { Config } from '../kernel/config.js';
import type { Database } from '../db/client.js';
import { getAiSettings, type AiSettings } from './ai-settings.js';

/**
 * Whether the AI can answer this business's conversations, and if not, why:
 * the one place that decides it (status rules, the status endpoints, the
 * reply pipeline and `ai/config` all ask here).
 */
export function aiAvailability(
  config: Pick<Config, 'gemini'>,
  settings: Pick<AiSettings, 'autoResponseEnabled'>,
): AiUnavailableReason | null {
  if (!config.gemini.apiKey) return 'no_api_key';
  if (!settings.autoResponseEnabled) return 'ai_disabled';
  return null;
}

/** `aiAvailability` for a business, read from its stored settings. */
export async function businessAiAvailability(
  db: Database,
  config: Pick<Config, 'gemini'>,
  userId: string,
): Promise<AiUnavailableReason | null> {
  return aiAvailability(config, await getAiSettings(db, userId, config.gemini.defaultModel));
}

/** What to do about a missing key, in the words the server's warning and the CLI both use. */
export const NO_KEY_HELP = [
  'No Gemini API key is configured (GEMINI_API_KEY), so the AI cannot answer: new conversations go to people.',
  'Get a key at https://aistudio.google.com/apikey and restart with GEMINI_API_KEY=<your key>,',
  'or try Parley with simulated AI replies: restart with PARLEY_SIMULATED_MODEL=1 (or `parley serve --simulated`).',
];
