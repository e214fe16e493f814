/**
 * The yardstick for Telegram's webhook (issue #17): `POST /webhooks/telegram/{channel_id}/`
 * as a careful hand-written Fastify + pg handler would do it, on Parley's own
 * tables, with nothing cached: look the channel up, check the secret, find or
 * create the conversation, store the customer's message once, answer
 * `{ ok: true }`. No replies, no events, no queue: bench:webhook runs its load
 * with the business's AI off. Not product code; it answers the bench's
 * private text messages and acknowledges anything else unread.
 *
 * Env: PORT, DATABASE_URL (Parley's database, with the business and its bot
 * already connected through Parley's API); optional POOL_SIZE (default 10, as Parley).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const port = Number(env('PORT'));
const SECRET_HEADER = 'x-telegram-bot-api-secret-token';
/** Telegram's own limit; Parley cuts there too. */
const MAX_TEXT = 4_096;

const pool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: Number(process.env.POOL_SIZE ?? 10) });
pool.on('error', () => undefined);

// Named statements: pg prepares each once per connection, as a careful handler would ask it to.
// A disconnected channel's row is deleted, so finding it is finding a connected one.
const CHANNEL = {
  name: 'bare_webhook_channel',
  // The owner's default handler and AI switches come with the channel in the same round trip.
  text: `select ch.user_id, ch.webhook_secret_hash, u.default_reply_handler,
                coalesce(a.auto_response_enabled, false) as auto_response_enabled,
                a.suspended_at is not null as suspended
           from channels ch
           join users u on u.id = ch.user_id
           left join ai_configs a on a.user_id = ch.user_id
          where ch.id = $1 and ch.type = 'telegram'`,
};
const CREATE_CONVERSATION = {
  name: 'bare_webhook_create_conversation',
  text: `insert into conversations (id, user_id, channel, channel_id, customer_id, customer_name, status, waiting_for_ai)
         values ($1, $2, 'telegram', $3, $4, $5, $6, $7)
         on conflict (user_id, channel, customer_id) do nothing
         returning id, status, waiting_for_ai`,
};
const FIND_CONVERSATION = {
  name: 'bare_webhook_find_conversation',
  text: `select id, status, waiting_for_ai from conversations
          where user_id = $1 and channel = 'telegram' and customer_id = $2`,
};
// Stored once however often Telegram delivers it (the unique index on conversation and
// channel message id); the conversation's counters move only when it was, in the same statement.
const ADD_MESSAGE = {
  name: 'bare_webhook_add_message',
  text: `with inserted as (
           insert into messages (id, conversation_id, type, text, channel_message_id, ai_skipped_reason)
           values ($1, $2, 'customer', $3, $4, $5)
           on conflict do nothing
           returning id
         )
         update conversations
            set message_count = message_count + 1, last_message_at = now(), is_active = true, updated_at = now()
          where id = $2 and exists (select 1 from inserted)`,
};

interface ChannelRow {
  user_id: string;
  webhook_secret_hash: string | null;
  default_reply_handler: string;
  auto_response_enabled: boolean;
  suspended: boolean;
}

interface ConversationRow {
  id: string;
  status: string;
  waiting_for_ai: boolean;
}

interface PrivateTextMessage {
  messageId: string;
  customerId: string;
  customerName: string | null;
  text: string;
}

const id = (bytes: number) => randomBytes(bytes).toString('base64url');

function sameSecret(presented: unknown, storedHash: string | null): boolean {
  if (typeof presented !== 'string' || !presented || !storedHash) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A customer's text in a private chat; undefined for anything else (acknowledged and dropped). */
function privateTextMessage(update: unknown): PrivateTextMessage | undefined {
  if (!isObject(update) || !isObject(update.message)) return undefined;
  const message = update.message;
  if (!isObject(message.chat) || message.chat.type !== 'private') return undefined;
  if (typeof message.message_id !== 'number' || typeof message.chat.id !== 'number') return undefined;
  if (typeof message.text !== 'string' || !message.text.trim()) return undefined;
  const from = isObject(message.from) ? message.from : {};
  const name = [from.first_name, from.last_name].filter((part) => typeof part === 'string' && part).join(' ');
  const username = typeof from.username === 'string' ? from.username : '';
  return {
    // The same id Parley keeps for a new (not edited) message, so re-deliveries collide alike.
    messageId: String(message.message_id),
    customerId: String(message.chat.id),
    customerName: name || (username ? `@${username}` : null),
    text: message.text.slice(0, MAX_TEXT),
  };
}

const app = Fastify({ logger: false });

app.get('/readyz', async () => {
  await pool.query('select 1');
  return { status: 'ok' };
});

app.post<{ Params: { channel_id: string } }>('/webhooks/telegram/:channel_id/', async (request, reply) => {
  const channel = (await pool.query<ChannelRow>({ ...CHANNEL, values: [request.params.channel_id] })).rows[0];
  if (!channel) return reply.code(404).send({ detail: 'No such channel.' });
  if (!sameSecret(request.headers[SECRET_HEADER], channel.webhook_secret_hash)) {
    return reply.code(401).send({ detail: 'The webhook secret is missing or wrong.' });
  }
  const message = privateTextMessage(request.body);
  if (!message) return { ok: true };

  // Parley's opening rule: the AI's when the owner's default handler is AI and the AI may answer;
  // otherwise people's, waiting for the AI when only its being off sent it there.
  const aiAvailable = channel.auto_response_enabled && !channel.suspended;
  const toAi = channel.default_reply_handler === 'AI';
  const conversation =
    (
      await pool.query<ConversationRow>({
        ...CREATE_CONVERSATION,
        values: [
          id(9),
          channel.user_id,
          request.params.channel_id,
          message.customerId,
          message.customerName,
          toAi && aiAvailable ? 'active' : 'support_active',
          toAi && !aiAvailable,
        ],
      })
    ).rows[0] ??
    (
      await pool.query<ConversationRow>({
        ...FIND_CONVERSATION,
        values: [channel.user_id, message.customerId],
      })
    ).rows[0];
  if (!conversation) throw new Error('conversation vanished');
  // Why the model will not see it, as Parley ends up recording it (the bench's load has the AI off).
  const skipped =
    conversation.status === 'active'
      ? null
      : conversation.waiting_for_ai
        ? channel.suspended
          ? 'suspended'
          : 'ai_disabled'
        : 'manual_handling';
  await pool.query({
    ...ADD_MESSAGE,
    values: [id(12), conversation.id, message.text, message.messageId, skipped],
  });
  return { ok: true };
});

const stop = () => {
  void app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

await app.listen({ port, host: '127.0.0.1' });
