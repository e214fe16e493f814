import type { AuthUser } from '../auth/auth.service.js';
import {
  deleteTestConversation,
  findTestConversation,
  openTestConversation,
} from '../conversations/conversations.service.js';
import { sessionDetail } from '../conversations/sessions.service.js';
import { getAiSettings } from './ai-settings.js';
import { outcomeView, replyToCustomer } from './ask.service.js';
import { answeringNow } from './availability.js';
import type { ReplyDeps } from './reply-deps.js';

/**
 * The dashboard's "Try it": the owner asks as a customer would, in the
 * business's one test conversation, and sees the answer (or why there is
 * none) beside what a real customer writing now would get. The model call
 * uses the shared key, so it counts in usage and quotas like any other; the
 * conversation is left out of the inbox and the chat statistics.
 */
export async function tryQuestion(deps: ReplyDeps, user: AuthUser, question: string) {
  const startedAt = performance.now();
  const settings = await getAiSettings(deps.db, user.id, deps.config.gemini.defaultModel);
  const conversation = await openTestConversation(deps.db, user.id);
  const outcome = await replyToCustomer(deps, user, conversation, settings, question, startedAt);
  return {
    ...outcomeView(outcome),
    answering_now: await answeringNow(deps, user, settings, deps.now?.() ?? new Date()),
  };
}

/** The test conversation so far (empty before the first question), for the panel to show. */
export async function testConversationView(deps: ReplyDeps, user: AuthUser) {
  const settings = await getAiSettings(deps.db, user.id, deps.config.gemini.defaultModel);
  const conversation = await findTestConversation(deps.db, user.id);
  const detail = conversation ? await sessionDetail(deps.db, conversation) : undefined;
  return {
    session_id: detail?.session_id ?? null,
    status: detail?.status ?? null,
    messages: detail?.messages ?? [],
    answering_now: await answeringNow(deps, user, settings, deps.now?.() ?? new Date()),
  };
}

/** "Start over": the test conversation and its messages go; its usage stays counted. */
export async function startOver(deps: Pick<ReplyDeps, 'db'>, user: AuthUser): Promise<void> {
  await deleteTestConversation(deps.db, user.id);
}
