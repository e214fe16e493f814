import { eq, sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../db/client.js';
import { periodStarts } from '../db/periods.js';
import { usageQuotas, usageRecords } from '../db/schema/index.js';

/** A business's caps as stored, in tokens (0 means no cap, null that the operator's default applies), and its fair-share weight. */
export interface QuotaRow {
  dailyTokens: number | null;
  monthlyTokens: number | null;
  weight: number;
}

const quotaColumns = {
  dailyTokens: usageQuotas.dailyTokens,
  monthlyTokens: usageQuotas.monthlyTokens,
  weight: usageQuotas.weight,
};

/** Undefined when the business never had a cap set. */
export async function findQuotaRow(db: Database, userId: string): Promise<QuotaRow | undefined> {
  const [row] = await db.select(quotaColumns).from(usageQuotas).where(eq(usageQuotas.userId, userId)).limit(1);
  return row;
}

/** Creates the row with `initial` where there is none, else changes only what is in `patch`. */
export async function upsertQuotaRow(
  db: Database,
  userId: string,
  initial: QuotaRow,
  patch: Partial<QuotaRow>,
): Promise<QuotaRow | undefined> {
  const [row] = await db
    .insert(usageQuotas)
    .values({ userId, ...initial, ...patch })
    .onConflictDoUpdate({ target: usageQuotas.userId, set: { ...patch, updatedAt: sql`now()` } })
    .returning(quotaColumns);
  return row;
}

/**
 * Tokens used today and this month: one query on the (user, created_at)
 * index. With `monthToo` false only today's rows are read (and the month's
 * figure is today's).
 */
export async function tokensUsed(
  db: Database,
  userId: string,
  timezone: string,
  now: Date,
  monthToo: boolean,
): Promise<{ today: number; month: number }> {
  const starts = periodStarts(timezone, now);
  const result = await db.execute(sql`
    select coalesce(sum(${usageRecords.totalTokens}) filter (where ${usageRecords.createdAt} >= ${starts.day}), 0)::float8 as today,
           coalesce(sum(${usageRecords.totalTokens}), 0)::float8 as month
      from ${usageRecords}
     where ${usageRecords.userId} = ${userId}
       and ${usageRecords.createdAt} >= ${monthToo ? starts.month : starts.day}`);
  const [row] = rowsOf<{ today: number | string; month: number | string }>(result);
  return { today: Number(row?.today ?? 0), month: Number(row?.month ?? 0) };
}
