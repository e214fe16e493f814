import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { rowsOf } from '../db/client.js';
import { channels, usageRecords } from '../db/schema/index.js';

/**
 * The two first-run steps that are facts rather than settings: whether the
 * business has ever asked the AI anything (a model call recorded, whatever its
 * outcome), and whether it has a channel. Read here, as existence checks on
 * their tables, because the channels domain sits above the AI's.
 */
export async function firstRunFacts(db: Database, userId: string): Promise<{ asked: boolean; connected: boolean }> {
  const [row] = rowsOf<{ asked: boolean; connected: boolean }>(
    await db.execute(sql`select
      exists (select 1 from ${usageRecords} where ${usageRecords.userId} = ${userId}) as asked,
      exists (select 1 from ${channels} where ${channels.userId} = ${userId}) as connected`),
  );
  return { asked: Boolean(row?.asked), connected: Boolean(row?.connected) };
}
