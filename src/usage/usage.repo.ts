import { sql, type SQL } from 'drizzle-orm';
import { randomId } from '../kernel/ids.js';
import type { Database } from '../db/client.js';
import { usageRecords, type UsageOutcome } from '../db/schema/index.js';
import type { ModelUsage } from '../model/model-provider.js';

/** A fragment or a whole statement of SQL, for callers that compose the usage insert into their own. */
export type Sql = SQL;

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
 * The insert for one usage row. `outcome` and `messageId` are SQL so a caller
 * can decide them in the same statement (a reply is `discarded` when its
 * message was not stored, and is linked to the message when it was).
 */
export function usageRowInsert(row: UsageRow, outcome: Sql, messageId: Sql = sql`null`): Sql {
  return sql`insert into ${usageRecords}
      (id, user_id, conversation_id, message_id, model, outcome, error_class, attempts, prompt_tokens,
       completion_tokens, thought_tokens, total_tokens, cached_tokens, latency_ms, estimated_cost_usd,
       cache_saving_usd)
    values (${randomId(16)}, ${row.userId}, ${row.conversationId}, ${messageId}, ${row.model}, ${outcome},
            ${row.errorClass ?? null}, ${row.attempts}, ${row.usage.promptTokens},
            ${row.usage.completionTokens}, ${row.usage.thoughtTokens}, ${row.usage.totalTokens},
            ${row.usage.cachedTokens}, ${Math.round(row.latencyMs)}, ${row.estimatedCostUsd},
            ${row.cacheSavingUsd})`;
}

export async function insertUsageRow(db: Database, row: UsageRow, outcome: UsageOutcome): Promise<void> {
  await db.execute(usageRowInsert(row, sql`${outcome}`));
}
