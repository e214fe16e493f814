import type { Database } from '../db/client.js';
import { statusCounts, upsertAutoResponse, usersWithIds } from './ai.repo.js';
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
  const targets = await usersWithIds(db, userIds);
  if (targets.length === 0) return [];
  await upsertAutoResponse(
    db,
    targets.map((user) => user.id),
    enabled,
    defaultModel,
  );
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
  const rows = await statusCounts(db);
  return rows.map((row) => ({
    username: row.username,
    autoResponseEnabled: row.autoResponseEnabled ?? false,
    defaultReplyHandler: row.defaultReplyHandler,
    modelName: row.modelName ?? defaultModel,
    active: Number(row.active ?? 0),
    supportActive: Number(row.supportActive ?? 0),
  }));
}
