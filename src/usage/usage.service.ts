import type { Database } from '../db/client.js';
import type { UsageOutcome } from '../db/schema/index.js';
import type { ModelUsage } from '../model/model-provider.js';
import { insertUsageRow, usageRowInsert, type Sql, type UsageRow } from './usage.repo.js';

export type PriceTable = Record<string, { input: number; output: number }>;

/** USD for a call's tokens; thinking bills as output. Unknown models use the table's `default` row. */
export function estimateCostUsd(prices: PriceTable, model: string, usage: ModelUsage): number {
  const price = prices[model] ?? prices.default ?? { input: 0, output: 0 };
  const cost = (usage.promptTokens * price.input + (usage.completionTokens + usage.thoughtTokens) * price.output) / 1e6;
  return Math.round(cost * 1e9) / 1e9;
}

export interface UsageEntry extends Omit<UsageRow, 'estimatedCostUsd'> {
  outcome: UsageOutcome;
}

function priced(prices: PriceTable, entry: Omit<UsageEntry, 'outcome'>): UsageRow {
  return { ...entry, estimatedCostUsd: estimateCostUsd(prices, entry.model, entry.usage) };
}

/**
 * The insert for one usage row. `outcome` is SQL so a caller can decide it in
 * the same statement (a reply is `discarded` when its message was not stored).
 */
export function usageInsert(prices: PriceTable, entry: Omit<UsageEntry, 'outcome'>, outcome: Sql): Sql {
  return usageRowInsert(priced(prices, entry), outcome);
}

export async function recordUsage(db: Database, prices: PriceTable, entry: UsageEntry): Promise<void> {
  const { outcome, ...rest } = entry;
  await insertUsageRow(db, priced(prices, rest), outcome);
}
