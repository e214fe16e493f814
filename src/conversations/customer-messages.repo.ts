import { sql, type SQL } from 'drizzle-orm';
import { randomId } from '../kernel/ids.js';
import { builtOnce, shapeKey, type Fragment } from '../db/built-once.js';
import { rowsOf, type Database } from '../db/client.js';
import { rowFromJson } from '../db/json-rows.js';
import { conversations, messages } from '../db/schema/index.js';
import { historyFromJson, readColumns, touchConversation, type HistoryRow } from './messages.repo.js';
import { customerKey } from './customer-key.js';
import { recentHistoryOf } from './recent-history.js';
import type { StoredMessage } from './stored-message.js';

/** Why the model will not see a customer's message, decided from the conversation it lands in. */
export interface SkipRule {
  /** A conversation waiting for the AI goes back to it with this message (`goesBackToAi`). */
  resumes: boolean;
  /** Why a conversation still waiting for the AI keeps the message from the model. */
  whileWaiting: string;
}

/** What else a statement storing a message reads, as `insertMessage` takes it. */
export interface ReadAlongside {
  /** The latest messages before this one, up to this many. */
  historyLimit: number;
  /** A scalar read in the same statement. */
  alongside?: Fragment;
}

const storeCustomerMessage = builtOnce('store_customer_message');

/**
 * Stores a customer's message in the conversation they already have, read in the same statement
 * (as it was before this message), so a known customer's message costs one round trip; with
 * `reading`, so are the messages before it and `alongside`. No conversation: undefined. A message
 * already stored under the same channel id: no `message`.
 */
export async function insertCustomerMessage(
  db: Database,
  key: { userId: string; channel: string; customerId: string },
  input: { text: string; channelMessageId: string | null },
  rule: SkipRule,
  reading?: ReadAlongside,
): Promise<
  | {
      conversation: typeof conversations.$inferSelect;
      message: StoredMessage | undefined;
      history: StoredMessage[];
      alongside: unknown;
    }
  | undefined
> {
  const id = randomId(16);
  const historyLimit = reading?.historyLimit ?? 0;
  // Stryker disable next-line EqualityOperator: a history of limit 0 is as empty as none
  const history = historyLimit > 0;
  const alongside = reading?.alongside;
  const customer = customerKey(key);
  const recent = history ? recentHistoryOf(db) : undefined;
  const known = recent?.known(customer, historyLimit);
  const result = await storeCustomerMessage(
    db,
    shapeKey({ history }, alongside),
    () => insertCustomerMessageSql(history, alongside?.sql),
    {
      id,
      user_id: key.userId,
      channel: key.channel,
      customer_id: key.customerId,
      text: input.text,
      channel_message_id: input.channelMessageId,
      resumes: rule.resumes,
      while_waiting: rule.whileWaiting,
      history_limit: historyLimit,
      known_conversation: known?.conversationId ?? null,
      known_count: known?.messageCount ?? null,
      ...alongside?.values,
    },
  );
  const row = rowsOf<{
    conversation: Record<string, unknown> | null;
    created_at: Date | string | null;
    seq: number | string | null;
    message_count: number | null;
    history: HistoryRow[] | null;
    alongside: unknown;
  }>(result)[0];
  if (!row?.conversation) return undefined;
  const conversation = rowFromJson(conversations, row.conversation);
  const message: StoredMessage | undefined = row.created_at
    ? {
        id,
        seq: Number(row.seq),
        type: 'customer',
        text: input.text,
        createdAt: new Date(row.created_at),
        responseTimeMs: null,
      }
    : undefined;
  // No history read back: the database found the remembered one current.
  const before = known && row.history === null ? known.messages : historyFromJson(row.history);
  // With the count this statement moved it to. (A message stored already leaves what is remembered as it was.)
  if (message) recent?.remember(customer, conversation.id, Number(row.message_count), [...before, message]);
  return { conversation, message, history: before, alongside: row.alongside ?? null };
}

/** The history remembered for the conversation (`RecentHistory`) still holds: no message came since. */
const historyKnown = sql`(select c.id = ${sql.placeholder('known_conversation')}
                           and c.message_count = ${sql.placeholder('known_count')} from c)`;

/** `insertCustomerMessage`'s statement; its values are placeholders. */
function insertCustomerMessageSql(history: boolean, alongside: SQL | undefined): SQL {
  // The rule of src/channels/inbound.ts, on the row as stored: with people, the model does not see
  // the message, unless the conversation goes back to the AI with it.
  const skipped = sql`case when c.status <> 'support_active' then null
                           when c.waiting_for_ai and ${sql.placeholder('resumes')} then null
                           when c.waiting_for_ai then ${sql.placeholder('while_waiting')}
                           else 'manual_handling' end`;
  return sql`
    with c as (
      select * from ${conversations}
       where user_id = ${sql.placeholder('user_id')} and channel = ${sql.placeholder('channel')}
         and customer_id = ${sql.placeholder('customer_id')}
    ), inserted as (
      insert into ${messages} (id, conversation_id, type, text, channel_message_id, ai_skipped_reason)
      select ${sql.placeholder('id')}, c.id, 'customer', ${sql.placeholder('text')}, ${sql.placeholder('channel_message_id')}, ${skipped} from c
      on conflict do nothing
      returning id, created_at, seq
    ), touched as (
      ${touchConversation} where id = (select id from c) and exists (select 1 from inserted)
      returning message_count
    )
    select (select row_to_json(c) from c) as conversation,
           (select created_at from inserted) as created_at, (select seq from inserted) as seq,
           (select message_count from touched) as message_count,
           ${readColumns(sql`(select id from c)`, history && historyKnown, alongside)}`;
}
