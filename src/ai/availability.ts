import type { AiUnavailableReason } from '../conversations/status.service.js';
import type { Config } from '../kernel/config.js';
import type { AiSettings } from './ai-settings.js';

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
