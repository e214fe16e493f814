import { and, eq, inArray, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Fragment } from '../db/built-once.js';
import type { Database } from '../db/client.js';
import { rowsOf } from '../db/client.js';
import { rowFromJson } from '../db/json-rows.js';
import {
  aiConfigs,
  aiPrompts,
  channels,
  conversations,
  messages,
  users,
  type ReplyHandler,
} from '../db/schema/index.js';
import type { UsageDecidedBy } from '../usage/usage.service.js';

export type AiConfigRow = typeof aiConfigs.$inferSelect;
export type AiPromptsRow = typeof aiPrompts.$inferSelect;
export type AiConfigValues = Omit<typeof aiConfigs.$inferInsert, 'userId' | 'createdAt' | 'updatedAt'>;
export type AiPromptValues = Omit<typeof aiPrompts.$inferInsert, 'userId' | 'updatedAt'>;

export interface UserName {
  id: string;
  username: string;
}

/** A business's config and prompts; either may exist without the other. */
export async function findSettingsRows(
  db: Database,
  userId: string,
): Promise<{ config: AiConfigRow | null; prompts: AiPromptsRow | null } | undefined> {
  const [row] = await db
    .select({ config: aiConfigs, prompts: aiPrompts })
    .from(aiConfigs)
    .fullJoin(aiPrompts, eq(aiPrompts.userId, aiConfigs.userId))
    .where(sql`coalesce(${aiConfigs.userId}, ${aiPrompts.userId}) = ${userId}`)
    .limit(1);
  return row;
}

/** Writes the config, the prompts, or both, in one transaction so a half-applied patch is never seen. */
export async function saveSettings(
  db: Database,
  userId: string,
  config: AiConfigValues | undefined,
  prompts: AiPromptValues | undefined,
): Promise<void> {
  await db.transaction(async (tx) => {
    if (config) {
      await tx
        .insert(aiConfigs)
        .values({ userId, ...config })
        .onConflictDoUpdate({ target: aiConfigs.userId, set: { ...config, updatedAt: sql`now()` } });
    }
    if (prompts) {
      await tx
        .insert(aiPrompts)
        .values({ userId, ...prompts })
        .onConflictDoUpdate({ target: aiPrompts.userId, set: { ...prompts, updatedAt: sql`now()` } });
    }
  });
}

/** Businesses by id (all when `ids` is undefined), by username. */
export async function usersWithIds(db: Database, ids?: string[]): Promise<UserName[]> {
  return db
    .select({ id: users.id, username: users.username })
    .from(users)
    .where(ids ? inArray(users.id, ids) : undefined)
    .orderBy(users.username);
}

/** Businesses by username, whatever its case (all when `usernames` is undefined), by username. */
export async function usersNamed(db: Database, usernames?: string[]): Promise<UserName[]> {
  return db
    .select({ id: users.id, username: users.username })
    .from(users)
    .where(
      usernames
        ? inArray(
            sql`lower(${users.username})`,
            usernames.map((name) => sql`lower(${name})`),
          )
        : undefined,
    )
    .orderBy(users.username);
}

/** Creates each business's AI config with `defaultModel` on first use; otherwise only the switch changes. */
export async function upsertAutoResponse(
  db: Database,
  userIds: string[],
  enabled: boolean,
  defaultModel: string,
): Promise<void> {
  await db
    .insert(aiConfigs)
    .values(userIds.map((userId) => ({ userId, modelName: defaultModel, autoResponseEnabled: enabled })))
    .onConflictDoUpdate({
      target: aiConfigs.userId,
      set: { autoResponseEnabled: enabled, updatedAt: sql`now()` },
    });
}

/** Suspends (`at`) or resumes (null) businesses' AI; their own switch is left as it is. */
export async function upsertSuspension(
  db: Database,
  userIds: string[],
  at: Date | null,
  defaultModel: string,
): Promise<void> {
  await db
    .insert(aiConfigs)
    .values(userIds.map((userId) => ({ userId, modelName: defaultModel, suspendedAt: at })))
    .onConflictDoUpdate({ target: aiConfigs.userId, set: { suspendedAt: at, updatedAt: sql`now()` } });
}

function suspendedSql(userId: SQLWrapper): SQL<boolean> {
  return sql<boolean>`exists (select 1 from ${aiConfigs} where ${aiConfigs.userId} = ${userId} and ${aiConfigs.suspendedAt} is not null)`;
}

const suspendedOfPlaceholder = suspendedSql(sql.placeholder('suspended_user_id'));

/** Whether the operator has suspended the business, as a scalar to read within another statement. */
export function suspendedRead(userId: string): Fragment<boolean> {
  return { key: 'suspended', sql: suspendedOfPlaceholder, values: { suspended_user_id: userId } };
}

/** The same for the business owning the conversation that the enclosing statement reads. */
export function conversationOwnerSuspendedRead(): SQL<boolean> {
  return suspendedSql(conversations.userId);
}

const replyContextSql = sql`json_build_object('suspended', ${suspendedOfPlaceholder},
    'channel', (select row_to_json(ch) from ${channels} ch where ch.id = ${sql.placeholder('reply_channel_id')}))`;

/**
 * What a reply reads besides the conversation and its history, as a scalar within the statement
 * that stores the customer's message: whether the business is suspended, and its channel.
 */
export function replyContextRead(userId: string, channelId: string): Fragment {
  return {
    key: 'reply_context',
    sql: replyContextSql,
    values: { suspended_user_id: userId, reply_channel_id: channelId },
  };
}

export function replyContextFromJson(value: unknown): {
  suspended: boolean;
  channel: typeof channels.$inferSelect | null;
} {
  const read = (value ?? {}) as { suspended?: boolean; channel?: Record<string, unknown> | null };
  return { suspended: read.suspended === true, channel: read.channel ? rowFromJson(channels, read.channel) : null };
}

export async function suspendedAt(db: Database, userId: string): Promise<Date | null> {
  const [row] = await db
    .select({ suspendedAt: aiConfigs.suspendedAt })
    .from(aiConfigs)
    .where(eq(aiConfigs.userId, userId));
  return row?.suspendedAt ?? null;
}

export interface WaitingBusiness {
  userId: string;
  username: string;
  defaultReplyHandler: ReplyHandler;
  autoResponseEnabled: boolean;
  suspended: boolean;
  waiting: number;
}

/** Businesses (among `userIds`, or all) with conversations waiting for the AI, and what decides their fate. */
export async function businessesWaitingForAi(db: Database, userIds?: string[]): Promise<WaitingBusiness[]> {
  const rows = await db
    .select({
      userId: users.id,
      username: users.username,
      defaultReplyHandler: users.defaultReplyHandler,
      autoResponseEnabled: aiConfigs.autoResponseEnabled,
      suspendedAt: aiConfigs.suspendedAt,
      waiting: sql<number>`count(*)::int`,
    })
    .from(conversations)
    .innerJoin(users, eq(users.id, conversations.userId))
    .leftJoin(aiConfigs, eq(aiConfigs.userId, users.id))
    .where(and(eq(conversations.waitingForAi, true), userIds ? inArray(users.id, userIds) : undefined))
    .groupBy(users.id, users.username, users.defaultReplyHandler, aiConfigs.autoResponseEnabled, aiConfigs.suspendedAt)
    .orderBy(users.username);
  return rows.map(({ suspendedAt: at, ...row }) => ({
    ...row,
    autoResponseEnabled: row.autoResponseEnabled ?? false,
    suspended: at !== null,
    waiting: Number(row.waiting),
  }));
}

export interface AiStatusCounts {
  username: string;
  autoResponseEnabled: boolean | null;
  suspendedAt: Date | null;
  defaultReplyHandler: string;
  modelName: string | null;
  active: number | null;
  supportActive: number | null;
  waitingForAi: number | null;
}

/** Every business with its AI config, if any, and its customers' conversations counted by status. */
export async function statusCounts(db: Database): Promise<AiStatusCounts[]> {
  const counts = db
    .select({
      userId: conversations.userId,
      active: sql<number>`count(*) filter (where ${conversations.status} = 'active')::int`.as('active'),
      supportActive: sql<number>`count(*) filter (where ${conversations.status} = 'support_active')::int`.as(
        'support_active',
      ),
      waitingForAi: sql<number>`count(*) filter (where ${conversations.waitingForAi})::int`.as('waiting_for_ai'),
    })
    .from(conversations)
    .where(eq(conversations.isTest, false))
    .groupBy(conversations.userId)
    .as('counts');
  return db
    .select({
      username: users.username,
      autoResponseEnabled: aiConfigs.autoResponseEnabled,
      suspendedAt: aiConfigs.suspendedAt,
      defaultReplyHandler: users.defaultReplyHandler,
      modelName: aiConfigs.modelName,
      active: counts.active,
      supportActive: counts.supportActive,
      waitingForAi: counts.waitingForAi,
    })
    .from(users)
    .leftJoin(aiConfigs, eq(aiConfigs.userId, users.id))
    .leftJoin(counts, eq(counts.userId, users.id))
    .orderBy(users.username);
}

/**
 * Channel conversations the AI still owns whose newest customer message has
 * waited over a minute with no answer and no decision: their reply job was lost
 * (the embedded queue lives in memory; a crash between storing and enqueuing).
 * Enqueuing again is safe: a reply is stored only if it moves the answered mark.
 */
export async function sweepUnanswered(db: Database): Promise<{ id: string; debounceMs: number }[]> {
  const rows = await db.execute(sql`
    select c.id, coalesce(a.reply_debounce_ms, 0) as debounce_ms
      from ${conversations} c
      left join ${aiConfigs} a on a.user_id = c.user_id
     where c.status = 'active' and c.channel_id is not null
       and c.last_message_at > now() - interval '1 day'
       and exists (select 1 from ${messages} m
                    where m.conversation_id = c.id and m.type = 'customer'
                      and m.seq > c.answered_through_seq
                      and m.created_at < now() - interval '1 minute')
     limit 500`);
  return rowsOf<{ id: string; debounce_ms: number | string }>(rows).map((row) => ({
    id: row.id,
    debounceMs: Number(row.debounce_ms),
  }));
}

/**
 * The usage outcome of a model call whose answer goes in with `addMessage`'s
 * `also`: `inserted` is that statement's step storing the answer, so a call
 * whose answer was refused (a person took over meanwhile) is counted as discarded.
 */
export const answerStoredOutcome: UsageDecidedBy = {
  key: 'answer_stored',
  outcome: sql`case when exists (select 1 from inserted) then 'success' else 'discarded' end`,
  // The reply's cost is its call's: the cost report reads it through this link.
  messageId: sql`(select id from inserted)`,
};
