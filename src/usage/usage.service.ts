import { randomId } from '../app/ids.js';
import type { Database } from '../db/client.js';
import { usageRecords, type UsageOutcome } from '../db/schema/index.js';
import type { ModelUsage } from '../ai/model-provider.js';

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

export async function recordUsage(db: Database, prices: PriceTable, entry: UsageEntry): Promise<void> {
  await db.insert(usageRecords).values({
    id: randomId(16),
    userId: entry.userId,
    conversationId: entry.conversationId,
    model: entry.model,
    outcome: entry.outcome,
    errorClass: entry.errorClass ?? null,
    attempts: entry.attempts,
    promptTokens: entry.usage.promptTokens,
    completionTokens: entry.usage.completionTokens,
    thoughtTokens: entry.usage.thoughtTokens,
    totalTokens: entry.usage.totalTokens,
    latencyMs: Math.round(entry.latencyMs),
    estimatedCostUsd: estimateCostUsd(prices, entry.model, entry.usage),
  });
}
