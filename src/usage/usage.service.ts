import { sql, type SQL } from 'drizzle-orm';
import { randomId } from '../kernel/ids.js';
import type { Database } from '../db/client.js';
import { usageRecords, type UsageOutcome } from '../db/schema/index.js';
import type { ModelUsage } from '../model/model-provider.js';

export type PriceTable = Record<string, { input: number; output: number }>;

/** USD for a call's tokens; thinking bills as output. Unknown models use the table's `default` row. */
export function estimateCostUsd(prices: PriceTable, model: string, usage: ModelUsage): number {
  const price = prices[model] ?? prices.default ?? { input: 0, output: 0 };
  const cost = (usage.promptTokens * price.input + (usage.completionTokens + usage.thoughtTokens) * price.output) / 1e6;
  return Math.round(cost * 1e9) / 1e9;
}

export interface UsageEntry {
  userId: string;
  conversationId: string | null;
  model: string;
  outcome: UsageOutcome;
  errorClass?: string | null;
  attempts: number;
  usage: ModelUsage;
  latencyMs: number;
}

/**
 * The insert for one usage row. `outcome` is SQL so a caller can decide it in
 * the same statement (a reply is `discarded` when its message was not stored).
 */
export function usageInsert(prices: PriceTable, entry: Omit<UsageEntry, 'outcome'>, outcome: SQL): SQL {
  return sql`insert into ${usageRecords}
      (id, user_id, conversation_id, model, outcome, error_class, attempts, prompt_tokens,
       completion_tokens, thought_tokens, total_tokens, latency_ms, estimated_cost_usd)
    values (${randomId(16)}, ${entry.userId}, ${entry.conversationId}, ${entry.model}, ${outcome},
            ${entry.errorClass ?? null}, ${entry.attempts}, ${entry.usage.promptTokens},
            ${entry.usage.completionTokens}, ${entry.usage.thoughtTokens}, ${entry.usage.totalTokens},
            ${Math.round(entry.latencyMs)}, ${estimateCostUsd(prices, entry.model, entry.usage)})`;
}

export async function recordUsage(db: Database, prices: PriceTable, entry: UsageEntry): Promise<void> {
  await db.execute(usageInsert(prices, entry, sql`${entry.outcome}`));
}
