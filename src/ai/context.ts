import type { MessageType } from '../db/schema/index.js';
import type { Turn } from '../model/model-provider.js';

/**
 * Turns a conversation's messages into the model's `contents`: customer
 * messages are the user's turns, the business's answers (AI and agents) the
 * model's; internal system notes are left out. Consecutive messages of one
 * side become one turn. The newest turns are kept within a token budget, so
 * the cost of a reply does not grow with the length of the conversation.
 */
export const DEFAULT_CONTEXT_BUDGET_TOKENS = 6_000;

/** Roughly four characters a token for the languages Gemini sees most; enough for a budget. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function buildContents(
  history: { type: MessageType; text: string }[],
  budgetTokens = DEFAULT_CONTEXT_BUDGET_TOKENS,
): Turn[] {
  const turns: Turn[] = [];
  for (const message of history) {
    if (message.type === 'system') continue;
    const role = message.type === 'customer' ? 'user' : 'model';
    const last = turns.at(-1);
    if (last?.role === role) last.text = `${last.text}\n\n${message.text}`;
    else turns.push({ role, text: message.text });
  }

  // Walk back from the newest turn; the newest customer turn is kept whatever its size.
  const kept: Turn[] = [];
  let used = 0;
  for (let index = turns.length - 1; index >= 0; index--) {
    const turn = turns[index]!;
    const cost = estimateTokens(turn.text);
    if (kept.length > 0 && used + cost > budgetTokens) break;
    kept.unshift(turn);
    used += cost;
  }
  // A conversation the model sees must open with the customer.
  while (kept[0]?.role === 'model') kept.shift();
  return kept;
}
