import type { Database } from '../db/client.js';
import type { ReplyHandler } from '../db/schema/index.js';
import type { EventBus } from '../events/events.js';
import type { Config } from '../kernel/config.js';
import { endWaitForAi, type Conversation } from '../conversations/conversations.service.js';
import { statusEvent } from '../conversations/conversation-events.js';
import type { AiUnavailableReason } from '../conversations/status.service.js';
import { businessesWaitingForAi } from './ai.repo.js';
import { assertModelAllowed, updateAiSettings, type AiSettings, type AiSettingsPatch } from './ai-settings.js';
import { aiAvailability } from './availability.js';

/**
 * Conversations that began while the AI was unavailable (no key, auto-response
 * off) went to people only for that reason. Once the AI can answer, and if no
 * person has touched them, they follow the business's default handler again:
 * on the next customer message, when auto-response is switched on, when a
 * server starts with a key, and on `parley ai_control handback`.
 */
export interface HandbackDeps {
  db: Database;
  events: EventBus;
  config: Pick<Config, 'gemini'>;
}

/** The status-change reason live listeners see when a waiting conversation goes back to the AI. */
export const AI_AVAILABLE = 'ai_available';

export interface HandbackReport {
  username: string;
  /** Conversations that were waiting for the AI. */
  waiting: number;
  /** Now answered by the AI. */
  returned: number;
  /** No longer waiting, and still with people: the business's default handler is Manual. */
  keptWithPeople: number;
  /** Still waiting, because the AI is still unavailable to the business. */
  stillUnavailable: AiUnavailableReason | null;
}

/** Hands back the waiting conversations of some businesses (all when `userIds` is undefined). */
export async function handBackWaiting(
  deps: HandbackDeps,
  options: { userIds?: string[]; dryRun?: boolean } = {},
): Promise<HandbackReport[]> {
  const businesses = await businessesWaitingForAi(deps.db, options.userIds);
  const reports: HandbackReport[] = [];
  for (const business of businesses) {
    const unavailable = aiAvailability(deps.config, business);
    const report: HandbackReport = {
      username: business.username,
      waiting: business.waiting,
      returned: 0,
      keptWithPeople: 0,
      stillUnavailable: unavailable,
    };
    reports.push(report);
    if (unavailable) continue;
    const toAi = business.defaultReplyHandler === 'AI';
    if (options.dryRun) {
      if (toAi) report.returned = business.waiting;
      else report.keptWithPeople = business.waiting;
      continue;
    }
    const ended = await endWaitForAi(deps.db, business.userId, toAi ? 'active' : 'support_active');
    if (!toAi) {
      report.keptWithPeople = ended.length;
      continue;
    }
    report.returned = ended.length;
    for (const { id, version } of ended) {
      deps.events.publish(business.userId, statusEvent(id, 'active', 'support_active', AI_AVAILABLE, version));
    }
  }
  return reports;
}

/** Whether a conversation waiting for the AI goes back to it now: the AI can answer and the business wants it first. */
export function goesBackToAi(
  owner: { defaultReplyHandler: ReplyHandler },
  conversation: Pick<Conversation, 'waitingForAi' | 'status'>,
  unavailable: string | null,
): boolean {
  return (
    conversation.waitingForAi &&
    conversation.status === 'support_active' &&
    owner.defaultReplyHandler === 'AI' &&
    unavailable === null
  );
}

/**
 * A customer wrote in a conversation that waits for the AI: if the AI can now
 * answer and the business wants it first, the conversation is the AI's again
 * before this message is handled.
 */
export async function resumeIfWaiting(
  deps: HandbackDeps,
  owner: { id: string; defaultReplyHandler: ReplyHandler },
  conversation: Conversation,
  settings: Pick<AiSettings, 'autoResponseEnabled' | 'suspended'>,
): Promise<Conversation> {
  if (!goesBackToAi(owner, conversation, aiAvailability(deps.config, settings))) return conversation;
  const [ended] = await endWaitForAi(deps.db, owner.id, 'active', conversation.id);
  // A person took it in the meantime: it stays theirs.
  if (!ended) return conversation;
  deps.events.publish(owner.id, statusEvent(conversation.id, 'active', 'support_active', AI_AVAILABLE, ended.version));
  return { ...conversation, status: 'active', waitingForAi: false, ownershipVersion: ended.version };
}

/** `PUT /ai/config/`: saves the settings; switching auto-response on hands the waiting conversations back. */
export async function saveAiSettings(deps: HandbackDeps, userId: string, patch: AiSettingsPatch): Promise<AiSettings> {
  if (patch.modelName !== undefined) assertModelAllowed(deps.config, patch.modelName);
  const settings = await updateAiSettings(deps.db, userId, deps.config.gemini.defaultModel, patch);
  if (patch.autoResponseEnabled === true) await handBackWaiting(deps, { userIds: [userId] });
  return settings;
}
