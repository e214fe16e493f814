import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../db/client.js';
import { conversations } from '../db/schema/index.js';

// Conversations are src/conversations' table; this one statement stays beside
// the job that runs it until that domain's repository offers it.

/** Marks conversations without a message for over `idleDays` days inactive; returns how many. */
export async function deactivateIdleConversations(db: Database, idleDays: number): Promise<number> {
  const result = await db.execute(sql`
    update ${conversations} set is_active = false, updated_at = now()
     where is_active and coalesce(last_message_at, created_at) < now() - make_interval(days => ${idleDays})
    returning id`);
  return rowsOf<{ id: string }>(result).length;
}
