import type { AiUnavailableReason } from '../conversations/status.service.js';
import type { Config } from '../kernel/config.js';
import type { Database } from '../db/client.js';
import type { ReplyHandler } from '../db/schema/index.js';
import { quotaExceeded } from '../usage/quota.service.js';
import { getAiSettings, type AiSettings } from './ai-settings.js';
import { isOpen } from './business-hours.js';

/**
 * Whether the AI can answer this business's conversations, and if not, why:
 * the one place that decides it (status rules, the status endpoints, the
 * reply pipeline and `ai/config` all ask here).
 */
export function aiAvailability(
  config: Pick<Config, 'gemini'>,
  settings: Pick<AiSettings, 'autoResponseEnabled' | 'suspended'>,
): AiUnavailableReason | null {
  if (!config.gemini.apiKey) return 'no_api_key';
  // The operator's word over the business's own switch.
  if (settings.suspended) return 'suspended';
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

/** Whether the business has its hours switched on and is closed at `now`. */
export function closedAt(settings: Pick<AiSettings, 'businessHoursEnabled' | 'businessHours'>, now: Date): boolean {
  return settings.businessHoursEnabled && settings.businessHours !== null && !isOpen(settings.businessHours, now);
}

/** Why a customer who writes now, in a new conversation, gets no AI answer (the first that applies). */
export const NEW_CONVERSATION_REASONS = [
  'no_api_key',
  'suspended',
  'ai_disabled',
  'default_handler_manual',
  'outside_business_hours',
  'quota_exceeded',
] as const;
export type NewConversationReason = (typeof NEW_CONVERSATION_REASONS)[number];

/**
 * What a new customer gets now, as the API says it: the status rule (key,
 * auto-response, default handler), then the business's hours, then its quota
 * on the shared key. The AI settings screen and "Try it" put it in words.
 */
export async function answeringNow(
  deps: { db: Database; config: Pick<Config, 'gemini' | 'timezone' | 'defaultQuota'> },
  user: { id: string; defaultReplyHandler: ReplyHandler },
  settings: Pick<AiSettings, 'autoResponseEnabled' | 'suspended' | 'businessHoursEnabled' | 'businessHours'>,
  now: Date,
): Promise<{ ai_answers: boolean; reason: NewConversationReason | null }> {
  const reason = await whyNewConversationsGoToPeople(deps, user, settings, now);
  return { ai_answers: reason === null, reason };
}

async function whyNewConversationsGoToPeople(
  deps: { db: Database; config: Pick<Config, 'gemini' | 'timezone' | 'defaultQuota'> },
  user: { id: string; defaultReplyHandler: ReplyHandler },
  settings: Pick<AiSettings, 'autoResponseEnabled' | 'suspended' | 'businessHoursEnabled' | 'businessHours'>,
  now: Date,
): Promise<NewConversationReason | null> {
  const unavailable = aiAvailability(deps.config, settings);
  if (unavailable) return unavailable;
  if (user.defaultReplyHandler !== 'AI') return 'default_handler_manual';
  if (closedAt(settings, now)) return 'outside_business_hours';
  if (await quotaExceeded(deps.db, deps.config, user.id, now)) return 'quota_exceeded';
  return null;
}
