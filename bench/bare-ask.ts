/**
 * The yardstick of docs/performance.md: `POST /api/v1/ai/ask/` as a careful
 * hand-written Fastify + pg handler would do it, on Parley's own tables, with
 * nothing cached. Parley is measured against this in the same run; it is not
 * product code, and it answers only the happy path the bench drives.
 *
 * Env: PORT, DATABASE_URL (already migrated by `parley migrate`),
 * GEMINI_BASE_URL, GEMINI_API_KEY; optional POOL_SIZE (default 10, as Parley).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import pg from 'pg';
import { keepAliveFetch } from '../src/kernel/keep-alive-fetch.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const port = Number(env('PORT'));
const geminiBase = env('GEMINI_BASE_URL').replace(/\/+$/, '');
const geminiKey = env('GEMINI_API_KEY');
const defaultModel = process.env.PARLEY_DEFAULT_MODEL ?? 'gemini-flash-latest';
const HISTORY_LIMIT = 60;
const TOKEN = /^prl_([0-9A-Za-z]{12})[0-9A-Za-z]{32}$/;

const pool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: Number(process.env.POOL_SIZE ?? 10) });
pool.on('error', () => undefined);

// Named statements: pg prepares each once per connection, as a careful handler would ask it to.
const AUTH = {
  name: 'bare_auth',
  // The business's AI settings come with the token in the same round trip.
  text: `select t.token_hash, u.id as user_id, u.default_reply_handler,
                c.model_name, c.temperature, c.max_tokens, c.auto_response_enabled,
                p.manual_prompt, p.knowledge_source, p.product_service, p.question_answer
           from api_tokens t
           join users u on u.id = t.user_id
           left join ai_configs c on c.user_id = u.id
           left join ai_prompts p on p.user_id = u.id
          where t.selector = $1`,
};
const CREATE_CONVERSATION = {
  name: 'bare_create_conversation',
  text: `insert into conversations (id, user_id, channel, customer_id, status)
         values ($1, $2, 'api', $3, $4)
         on conflict (user_id, channel, customer_id) do nothing
         returning id, status`,
};
const FIND_CONVERSATION = {
  name: 'bare_find_conversation',
  text: `select id, status from conversations where user_id = $1 and channel = 'api' and customer_id = $2`,
};
// The conversation's counters move with the message, in the same statement, as the schema expects.
const ADD_QUESTION = {
  name: 'bare_add_question',
  text: `with m as (
           insert into messages (id, conversation_id, type, text) values ($1, $2, 'customer', $3) returning created_at
         )
         update conversations
            set message_count = message_count + 1, last_message_at = (select created_at from m), updated_at = now()
          where id = $2`,
};
const HISTORY = {
  name: 'bare_history',
  text: `select type, text from messages where conversation_id = $1 order by seq desc limit ${HISTORY_LIMIT}`,
};
const ADD_ANSWER = {
  name: 'bare_add_answer',
  text: `with m as (
           insert into messages (id, conversation_id, type, text, response_time_ms)
           values ($1, $2, 'AI', $3, $4) returning created_at
         ), c as (
           update conversations
              set message_count = message_count + 1, last_message_at = (select created_at from m), updated_at = now()
            where id = $2
         )
         insert into usage_records (id, user_id, conversation_id, model, outcome, prompt_tokens, completion_tokens,
                                    thought_tokens, total_tokens, latency_ms, estimated_cost_usd)
         values ($5, $6, $2, $7, 'success', $8, $9, $10, $11, $12, $13)`,
};

interface AuthRow {
  token_hash: string;
  user_id: string;
  default_reply_handler: string;
  model_name: string | null;
  temperature: number | null;
  max_tokens: number | null;
  auto_response_enabled: boolean | null;
  manual_prompt: string | null;
  knowledge_source: string | null;
  product_service: string | null;
  question_answer: string | null;
}

interface GenerateResponse {
  candidates?: { content?: { parts?: { text?: string }[] } }[];
  usageMetadata?: {
    promptTokenCount?: number;
    candidatesTokenCount?: number;
    thoughtsTokenCount?: number;
    totalTokenCount?: number;
  };
}

const id = () => randomBytes(12).toString('base64url');
const sha256 = (text: string) => createHash('sha256').update(text).digest();

function systemInstruction(row: AuthRow): string {
  const sections = [
    "You answer customers' chat messages on behalf of the business described below.",
    `The business's local date and time now: ${new Date().toISOString()}.`,
  ];
  for (const text of [row.manual_prompt, row.knowledge_source, row.product_service, row.question_answer]) {
    if (text) sections.push(text);
  }
  return sections.join('\n\n');
}

/** Oldest first, consecutive messages of one side as one turn, opening with the customer. */
function contents(history: { type: string; text: string }[]) {
  const turns: { role: 'user' | 'model'; parts: { text: string }[] }[] = [];
  for (let index = history.length - 1; index >= 0; index--) {
    const message = history[index]!;
    if (message.type === 'system') continue;
    const role = message.type === 'customer' ? 'user' : 'model';
    const last = turns.at(-1);
    if (last?.role === role) last.parts[0]!.text += `\n\n${message.text}`;
    else if (turns.length > 0 || role === 'user') turns.push({ role, parts: [{ text: message.text }] });
  }
  return turns;
}

const app = Fastify({ logger: false });
await app.register(formbody);

app.get('/readyz', async () => {
  await pool.query('select 1');
  return { status: 'ok' };
});

app.post('/api/v1/ai/ask/', async (request, reply) => {
  const started = performance.now();
  const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
  const selector = TOKEN.exec(token)?.[1];
  if (!selector) return reply.code(401).send({ detail: 'invalid token' });
  const auth = (await pool.query<AuthRow>({ ...AUTH, values: [selector] })).rows[0];
  if (!auth || !timingSafeEqual(sha256(token), Buffer.from(auth.token_hash, 'hex'))) {
    return reply.code(401).send({ detail: 'invalid token' });
  }

  const body = request.body as { question?: unknown; customer_id?: unknown } | undefined;
  const question = typeof body?.question === 'string' ? body.question.trim() : '';
  const customerId = typeof body?.customer_id === 'string' ? body.customer_id.trim() : '';
  if (!question || !customerId) return reply.code(400).send({ detail: 'question and customer_id are required' });

  const enabled = auth.auto_response_enabled === true;
  const status = auth.default_reply_handler === 'AI' && enabled ? 'active' : 'support_active';
  const conversation =
    (
      await pool.query<{ id: string; status: string }>({
        ...CREATE_CONVERSATION,
        values: [id(), auth.user_id, customerId, status],
      })
    ).rows[0] ??
    (await pool.query<{ id: string; status: string }>({ ...FIND_CONVERSATION, values: [auth.user_id, customerId] }))
      .rows[0];
  if (!conversation) throw new Error('conversation vanished');
  await pool.query({ ...ADD_QUESTION, values: [id(), conversation.id, question] });
  if (!enabled || conversation.status !== 'active') return reply.code(409).send({ detail: 'not answered by the AI' });

  const history = (await pool.query<{ type: string; text: string }>({ ...HISTORY, values: [conversation.id] })).rows;
  const model = auth.model_name ?? defaultModel;
  const callStarted = performance.now();
  // The transport Parley's model calls use (src/kernel/keep-alive-fetch.ts), so the ratio is Parley's own work.
  const response = await keepAliveFetch(`${geminiBase}/v1beta/models/${encodeURIComponent(model)}:generateContent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': geminiKey },
    body: JSON.stringify({
      systemInstruction: { parts: [{ text: systemInstruction(auth) }] },
      contents: contents(history),
      generationConfig: { temperature: auth.temperature ?? 0.7, maxOutputTokens: auth.max_tokens ?? 1024 },
    }),
  });
  if (!response.ok) {
    await response.arrayBuffer();
    return reply.code(502).send({ detail: `model answered ${response.status}` });
  }
  const generated = (await response.json()) as GenerateResponse;
  const latencyMs = Math.round(performance.now() - callStarted);
  const answer = (generated.candidates?.[0]?.content?.parts ?? [])
    .map((part) => part.text ?? '')
    .join('')
    .trim();
  const usage = generated.usageMetadata ?? {};
  const promptTokens = usage.promptTokenCount ?? 0;
  const completionTokens = usage.candidatesTokenCount ?? 0;
  const thoughtTokens = usage.thoughtsTokenCount ?? 0;
  const responseTimeMs = Math.round(performance.now() - started);
  await pool.query({
    ...ADD_ANSWER,
    values: [
      id(),
      conversation.id,
      answer,
      responseTimeMs,
      id(),
      auth.user_id,
      model,
      promptTokens,
      completionTokens,
      thoughtTokens,
      usage.totalTokenCount ?? promptTokens + completionTokens + thoughtTokens,
      latencyMs,
      (promptTokens * 0.3 + (completionTokens + thoughtTokens) * 2.5) / 1e6,
    ],
  });
  return {
    session_id: `msg_${conversation.id}`,
    customer_id: customerId,
    question,
    answer,
    response_time_ms: responseTimeMs,
    success: true,
    auto_response_generated: true,
  };
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
