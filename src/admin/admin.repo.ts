import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../db/client.js';
import { periodStarts } from '../db/periods.js';
import type { QuotaRow } from '../usage/quota.repo.js';
import { aiConfigs, conversations, usageQuotas, usageRecords, users, type ReplyHandler } from '../db/schema/index.js';

/** One business as the operator's overview shows it, read in one statement. */
export interface BusinessRow {
  id: string;
  username: string;
  email: string;
  isAdmin: boolean;
  createdAt: Date;
  aiEnabled: boolean;
  suspended: boolean;
  defaultReplyHandler: ReplyHandler;
  conversations: { total: number; ai: number; people: number };
  /** Caps as stored (0 for none, null where the operator's default applies), and the weight. */
  limits: QuotaRow;
  used: { today: number; month: number };
  monthRequests: number;
  monthCostUsd: number;
}

interface RawBusiness {
  id: string;
  username: string;
  email: string;
  is_admin: boolean;
  created_at: Date | string;
  ai_enabled: boolean;
  suspended: boolean;
  default_reply_handler: ReplyHandler;
  conversations: number | string;
  ai_conversations: number | string;
  people_conversations: number | string;
  daily_tokens: number | string | null;
  monthly_tokens: number | string | null;
  weight: number | string | null;
  tokens_today: number | string;
  tokens_month: number | string;
  requests_month: number | string;
  cost_month: number | string;
}

/**
 * Every business (or the one with `userId`) with its AI switch, conversations
 * by who answers them, caps, and this calendar month's use of the shared key.
 * The month's usage is read on the (user, created_at) index.
 */
export async function businessRows(db: Database, timezone: string, now: Date, userId?: string): Promise<BusinessRow[]> {
  const starts = periodStarts(timezone, now);
  const c = conversations;
  const u = usageRecords;
  const result = await db.execute(sql`
    select ${users.id} as id, ${users.username} as username, ${users.email} as email,
           ${users.isAdmin} as is_admin, ${users.createdAt} as created_at,
           coalesce(${aiConfigs.autoResponseEnabled}, false) as ai_enabled,
           ${aiConfigs.suspendedAt} is not null as suspended,
           ${users.defaultReplyHandler} as default_reply_handler,
           coalesce(conv.total, 0) as conversations,
           coalesce(conv.ai, 0) as ai_conversations,
           coalesce(conv.people, 0) as people_conversations,
           ${usageQuotas.dailyTokens}::float8 as daily_tokens,
           ${usageQuotas.monthlyTokens}::float8 as monthly_tokens,
           coalesce(${usageQuotas.weight}, 1)::float8 as weight,
           coalesce(used.today, 0) as tokens_today,
           coalesce(used.month, 0) as tokens_month,
           coalesce(used.requests, 0) as requests_month,
           coalesce(used.cost, 0) as cost_month
      from ${users}
      left join ${aiConfigs} on ${aiConfigs.userId} = ${users.id}
      left join ${usageQuotas} on ${usageQuotas.userId} = ${users.id}
      left join (
        select ${c.userId} as user_id, count(*)::int as total,
               count(*) filter (where ${c.status} = 'active')::int as ai,
               count(*) filter (where ${c.status} = 'support_active')::int as people
          from ${c}
         -- A business's "Try it" conversation is not one of its customers'.
         where not ${c.isTest} ${userId === undefined ? sql`` : sql`and ${c.userId} = ${userId}`}
         group by 1
      ) conv on conv.user_id = ${users.id}
      left join (
        select ${u.userId} as user_id,
               coalesce(sum(${u.totalTokens}) filter (where ${u.createdAt} >= ${starts.day}), 0)::float8 as today,
               sum(${u.totalTokens})::float8 as month,
               count(*)::int as requests,
               sum(${u.estimatedCostUsd})::float8 as cost
          from ${u}
         where ${u.createdAt} >= ${starts.month}
           ${userId === undefined ? sql`` : sql`and ${u.userId} = ${userId}`}
         group by 1
      ) used on used.user_id = ${users.id}
     ${userId === undefined ? sql`` : sql`where ${users.id} = ${userId}`}
     order by lower(${users.username})`);
  return rowsOf<RawBusiness>(result).map((row) => ({
    id: row.id,
    username: row.username,
    email: row.email,
    isAdmin: row.is_admin,
    createdAt: new Date(row.created_at),
    aiEnabled: row.ai_enabled,
    suspended: row.suspended,
    defaultReplyHandler: row.default_reply_handler,
    conversations: {
      total: Number(row.conversations),
      ai: Number(row.ai_conversations),
      people: Number(row.people_conversations),
    },
    limits: {
      dailyTokens: nullableNumber(row.daily_tokens),
      monthlyTokens: nullableNumber(row.monthly_tokens),
      weight: Number(row.weight ?? 1),
    },
    used: { today: Number(row.tokens_today), month: Number(row.tokens_month) },
    monthRequests: Number(row.requests_month),
    // Each row's cost is rounded to 1e-9 USD when stored; the sum is rounded back to that.
    monthCostUsd: Math.round(Number(row.cost_month) * 1e9) / 1e9,
  }));
}

const nullableNumber = (value: number | string | null) => (value === null ? null : Number(value));
