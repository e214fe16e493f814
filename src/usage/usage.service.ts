import type { Database } from '../db/client.js';
import type { UsageOutcome } from '../db/schema/index.js';
import type { ModelPrice } from '../kernel/config.js';
import type { ModelUsage } from '../model/model-provider.js';
import type { Fragment } from '../db/built-once.js';
import { insertUsageRow, usageRowInsert, type UsageDecidedBy, type UsageRow } from './usage.repo.js';

export type { UsageDecidedBy };

export type PriceTable = Record<string, ModelPrice>;

const usd = (perMillion: number) => Math.round(perMillion * 1e3) / 1e9;

/** The model's own row only: no fallback, so `toString` or a missing model is unpriced. */
const priceOf = (prices: PriceTable, model: string) => (Object.hasOwn(prices, model) ? prices[model] : undefined);

/**
 * USD for a call's tokens: cached prompt tokens at the cached rate, the rest
 * at the input rate, thinking as output. Null for a model with no price:
 * pricing it as another model would make the totals lie.
 */
export function estimateCostUsd(prices: PriceTable, model: string, usage: ModelUsage): number | null {
  const price = priceOf(prices, model);
  if (!price) return null;
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  return usd(
    (usage.promptTokens - cached) * price.input +
      cached * price.cached +
      (usage.completionTokens + usage.thoughtTokens) * price.output,
  );
}

/** What the cached tokens would have cost at the full input rate minus what they cost; null when unpriced. */
export function cacheSavingUsd(prices: PriceTable, model: string, usage: ModelUsage): number | null {
  const price = priceOf(prices, model);
  if (!price) return null;
  return usd(Math.min(usage.cachedTokens, usage.promptTokens) * (price.input - price.cached));
}

export interface UsageEntry extends Omit<UsageRow, 'estimatedCostUsd' | 'cacheSavingUsd'> {
  outcome: UsageOutcome;
}

function priced(prices: PriceTable, entry: Omit<UsageEntry, 'outcome'>): UsageRow {
  return {
    ...entry,
    estimatedCostUsd: estimateCostUsd(prices, entry.model, entry.usage),
    cacheSavingUsd: cacheSavingUsd(prices, entry.model, entry.usage),
  };
}

/** The insert for one usage row, within a statement that decides its outcome (see `UsageDecidedBy`). */
export function usageInsert(
  prices: PriceTable,
  entry: Omit<UsageEntry, 'outcome'>,
  decidedBy: UsageDecidedBy,
): Fragment {
  return usageRowInsert(priced(prices, entry), decidedBy);
}

export async function recordUsage(db: Database, prices: PriceTable, entry: UsageEntry): Promise<void> {
  const { outcome, ...rest } = entry;
  await insertUsageRow(db, priced(prices, rest), outcome);
}
