import { sql, type SQL } from 'drizzle-orm';
import { randomId } from '../kernel/ids.js';
import { builtOnce, type Fragment } from '../db/built-once.js';
import type { Database } from '../db/client.js';
import { usageRecords, type UsageOutcome } from '../db/schema/index.js';
import type { ModelUsage } from '../model/model-provider.js';

/** One model call as stored, its cost already priced. */
export interface UsageRow {
  userId: string;
  conversationId: string | null;
  model: string;
  errorClass?: string | null;
  attempts: number;
  usage: ModelUsage;
  latencyMs: number;
  /** Null when the model has no price. */
  estimatedCostUsd: number | null;
  cacheSavingUsd: number | null;
}

/**
 * How the usage row's `outcome` and `message_id` are decided in the statement it goes in with
 * (a reply is `discarded` when its message was not stored, and is linked to the message when
 * it was). One `key` per pair of SQL, as `Fragment` asks.
 */
export interface UsageDecidedBy {
  key: string;
  outcome: SQL;
  messageId: SQL;
}

/** The usage insert's SQL, its values placeholders named `usage_*`. */
function usageRowSql(decidedBy: UsageDecidedBy): SQL {
  const value = (name: string) => sql.placeholder(`usage_${name}`);
  return sql`insert into ${usageRecords}
      (id, user_id, conversation_id, message_id, model, outcome, error_class, attempts, prompt_tokens,
       completion_tokens, thought_tokens, total_tokens, cached_tokens, latency_ms, estimated_cost_usd,
       cache_saving_usd)
    values (${value('id')}, ${value('user_id')}, ${value('conversation_id')}, ${decidedBy.messageId}, ${value('model')},
            ${decidedBy.outcome}, ${value('error_class')}, ${value('attempts')}, ${value('prompt_tokens')},
            ${value('completion_tokens')}, ${value('thought_tokens')}, ${value('total_tokens')},
            ${value('cached_tokens')}, ${value('latency_ms')}, ${value('estimated_cost_usd')},
            ${value('cache_saving_usd')})`;
}

function usageRowValues(row: UsageRow): Record<string, unknown> {
  return {
    usage_id: randomId(16),
    usage_user_id: row.userId,
    usage_conversation_id: row.conversationId,
    usage_model: row.model,
    usage_error_class: row.errorClass ?? null,
    usage_attempts: row.attempts,
    usage_prompt_tokens: row.usage.promptTokens,
    usage_completion_tokens: row.usage.completionTokens,
    usage_thought_tokens: row.usage.thoughtTokens,
    usage_total_tokens: row.usage.totalTokens,
    usage_cached_tokens: row.usage.cachedTokens,
    usage_latency_ms: Math.round(row.latencyMs),
    usage_estimated_cost_usd: row.estimatedCostUsd,
    usage_cache_saving_usd: row.cacheSavingUsd,
  };
}

const usageSqlByDecider = new Map<string, SQL>();

/** The insert for one usage row, as a fragment of the statement that decides its outcome. */
export function usageRowInsert(row: UsageRow, decidedBy: UsageDecidedBy): Fragment {
  let rowSql = usageSqlByDecider.get(decidedBy.key);
  if (!rowSql) {
    rowSql = usageRowSql(decidedBy);
    usageSqlByDecider.set(decidedBy.key, rowSql);
  }
  return { key: `usage:${decidedBy.key}`, sql: rowSql, values: usageRowValues(row) };
}

const insertUsage = builtOnce('usage_row');
const outcomeGiven: UsageDecidedBy = {
  key: 'given',
  outcome: sql`${sql.placeholder('usage_outcome')}`,
  messageId: sql`null`,
};

export async function insertUsageRow(db: Database, row: UsageRow, outcome: UsageOutcome): Promise<void> {
  await insertUsage(db, 'row', () => usageRowSql(outcomeGiven), { ...usageRowValues(row), usage_outcome: outcome });
}
