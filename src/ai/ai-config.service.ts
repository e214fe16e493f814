import { eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { aiConfigs, conversations, users } from '../db/schema/index.js';
import { invalidateAiSettings } from './ai-settings.js';

/**
 * Switches automatic replies on or off for some businesses (all when
 * `userIds` is undefined), creating their AI config with the defaults on first
 * use. Returns the usernames changed.
 */
export async function setAutoResponse(
  db: Database,
  enabled: boolean,
  defaultModel: string,
  userIds?: string[],
): Promise<string[]> {
  const targets = await db
    .select({ id: users.id, username: users.username })
    .from(users)
    .where(userIds ? inArray(users.id, userIds) : undefined)
    .orderBy(users.username);
  if (targets.length === 0) return [];
  await db
    .insert(aiConfigs)
    .values(targets.map((user) => ({ userId: user.id, modelName: defaultModel, autoResponseEnabled: enabled })))
    .onConflictDoUpdate({
      target: aiConfigs.userId,
      set: { autoResponseEnabled: enabled, updatedAt: sql`now()` },
    });
  invalidateAiSettings(
    db,
    targets.map((user) => user.id),
  );
  return targets.map((user) => user.username);
}

export interface AiStatusRow {
  username: string;
  autoResponseEnabled: boolean;
  defaultReplyHandler: string;
  modelName: string;
  active: number;
  supportActive: number;
}

/** One row per business: the figures `ai_control status` prints. */
export async function aiStatusRows(db: Database, defaultModel: string): Promise<AiStatusRow[]> {
  const counts = db
    .select({
      userId: conversations.userId,
      active: sql<number>`count(*) filter (where ${conversations.status} = 'active')::int`.as('active'),
      supportActive: sql<number>`count(*) filter (where ${conversations.status} = 'support_active')::int`.as(
        'support_active',
      ),
    })
    .from(conversations)
    .groupBy(conversations.userId)
    .as('counts');
  const rows = await db
    .select({
      username: users.username,
      autoResponseEnabled: aiConfigs.autoResponseEnabled,
      defaultReplyHandler: users.defaultReplyHandler,
      modelName: aiConfigs.modelName,
      active: counts.active,
      supportActive: counts.supportActive,
    })
    .from(users)
    .leftJoin(aiConfigs, eq(aiConfigs.userId, users.id))
    .leftJoin(counts, eq(counts.userId, users.id))
    .orderBy(users.username);
  return rows.map((row) => ({
    username: row.username,
    autoResponseEnabled: row.autoResponseEnabled ?? false,
    defaultReplyHandler: row.defaultReplyHandler,
    modelName: row.modelName ?? defaultModel,
    active: Number(row.active ?? 0),
    supportActive: Number(row.supportActive ?? 0),
  }));
}
