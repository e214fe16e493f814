import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../db/client.js';

/**
 * Recomputes each conversation's message count and last activity from its
 * messages, fixing any that drifted (a restore, a manual edit). Idempotent.
 */
export async function reconcileConversations(db: Database): Promise<{ checked: number; updated: string[] }> {
  const result = await db.execute(sql`
    with truth as (
      select c.id, count(m.id)::int as n, max(m.created_at) as last
        from conversations c left join messages m on m.conversation_id = c.id
       group by c.id
    ), fixed as (
      update conversations c
         set message_count = t.n, last_message_at = t.last, updated_at = now()
        from truth t
       where c.id = t.id and (c.message_count <> t.n or c.last_message_at is distinct from t.last)
      returning c.id
    )
    select (select count(*)::int from truth) as checked,
           coalesce((select array_agg(id order by id) from fixed), '{}') as updated`);
  const [row] = rowsOf<{ checked: number; updated: string[] }>(result);
  return { checked: Number(row?.checked ?? 0), updated: row?.updated ?? [] };
}
