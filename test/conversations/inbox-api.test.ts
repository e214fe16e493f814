import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';
import { createTelegramTestApp, type TelegramTestApp } from '../helpers/telegram.js';
import { until } from '../helpers/wait.js';
import { telegramTextUpdate } from '../fakes/telegram.js';

/** The inbox's additions to the message system: why, who must answer, unread, search, thread cursor, sync. */

interface Row {
  id: string;
  customer_id: string;
  status: string;
  status_reason: string | null;
  needs_person: boolean;
  unread_count: number;
  last_message: { type: string; text: string; created_at: string } | null;
}
interface Message {
  id: string;
  seq: number;
  type: string;
  text: string;
  delivery_status: string | null;
  delivery_error: string | null;
  conversation_id?: string;
}
interface Sync {
  messages: Message[];
  conversations: Row[];
  last_seq: number;
  has_more: boolean;
}

let t: AiTestApp;
let shop: string;
let other: string;
const ids: Record<string, string> = {};

async function ask(customer: string, question: string, token = shop) {
  const response = await t.as(token, {
    method: 'POST',
    url: '/api/v1/ai/ask/',
    payload: { question, customer_id: customer },
  });
  // A failed model call answers 502, still naming the conversation the question went to.
  expect([200, 502]).toContain(response.statusCode);
  return response.json<{ session_id: string }>().session_id.slice(4);
}

const list = async (query = '', token = shop) => {
  const response = await t.as(token, { method: 'GET', url: `/api/v1/conversations/${query}` });
  expect(response.statusCode).toBe(200);
  return response.json<{ count: number; results: Row[] }>().results;
};
const rowOf = async (customer: string) => (await list()).find((row) => row.customer_id === customer)!;
const thread = async (id: string, query = '') =>
  (await t.as(shop, { method: 'GET', url: `/api/v1/conversations/${id}/messages/${query}` })).json<{
    results: Message[];
    has_more: boolean;
    count: number;
    next: string | null;
  }>();
const read = (id: string, payload?: object, token = shop) =>
  t.as(token, { method: 'POST', url: `/api/v1/conversations/${id}/read/`, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  t = await createAiTestApp();
  shop = await t.business('shop');
  other = await t.business('other');

  t.gemini.enqueue({ text: 'We open at 8.' });
  ids.answered = await ask('answered@example.com', 'When do you open?');

  t.gemini.enqueue({ functionCall: { name: 'handover_to_human', args: { reason: 'customer_request' } } });
  ids.handed = await ask('handed@example.com', 'I want to talk to a person');

  t.gemini.enqueue({ text: 'Sure.' });
  ids.taken = await ask('taken@example.com', 'Do you have 100% rye bread?');
  await t.as(shop, {
    method: 'PUT',
    url: `/api/v1/ai/conversations/${ids.taken}/status/`,
    payload: { status: 'support_active' },
  });

  t.gemini.enqueue({ functionCall: { name: 'handover_to_human', args: { reason: 'complaint' } } });
  ids.replied = await ask('replied@example.com', 'My cake arrived broken, code a_b');
  await t.as(shop, {
    method: 'POST',
    url: `/api/v1/conversations/${ids.replied}/messages/`,
    payload: { text: 'So sorry! A new cake is on its way.' },
  });

  t.gemini.enqueue({ error: { status: 503 } }, { error: { status: 503 } }, { error: { status: 503 } });
  ids.failed = await ask('failed@example.com', 'I want 1000 rolls, code axb');

  t.gemini.enqueue({ text: 'Hello from the other shop.' });
  ids.elsewhere = await ask('elsewhere@example.com', 'croissant please', other);
});
afterAll(() => t.close());

describe('GET /api/v1/conversations/ rows', () => {
  it('say why people have each conversation and whether a person must answer', async () => {
    const rows = await list();
    const view = Object.fromEntries(
      rows.map((row) => [row.customer_id.split('@')[0], [row.status, row.status_reason, row.needs_person]]),
    );
    expect(view).toEqual({
      answered: ['active', null, false],
      // The AI handed over on the customer's request: nobody has answered yet.
      handed: ['support_active', 'customer_request', true],
      // A person took it over: a person has it already.
      taken: ['support_active', 'agent_takeover', false],
      // The AI handed over a complaint and a person answered since.
      replied: ['support_active', 'complaint', false],
      // The AI failed: the customer waits for a person.
      failed: ['support_active', 'ai_unavailable', true],
    });
  });

  it('filter on needs_person, both ways, alongside the other filters', async () => {
    expect((await list('?needs_person=true')).map((row) => row.customer_id).sort()).toEqual([
      'failed@example.com',
      'handed@example.com',
    ]);
    const rest = await list('?needs_person=false&status=support_active');
    expect(rest.map((row) => row.customer_id).sort()).toEqual(['replied@example.com', 'taken@example.com']);
    const page = await t.as(shop, { method: 'GET', url: '/api/v1/conversations/?needs_person=true&page_size=1' });
    expect(page.json()).toMatchObject({ count: 2, results: [expect.any(Object)] });
  });

  it('give the last message, its text cut at 200 characters', async () => {
    const long = `${'Our bread rises slowly. '.repeat(20)}`.trim();
    t.gemini.enqueue({ text: long });
    await ask('answered@example.com', 'Tell me about your bread');
    const row = await rowOf('answered@example.com');
    expect(row.last_message).toEqual({ type: 'AI', text: long.slice(0, 200), created_at: expect.any(String) });
    expect((await rowOf('taken@example.com')).last_message).toMatchObject({ type: 'AI', text: 'Sure.' });
    expect((await rowOf('replied@example.com')).last_message).toMatchObject({
      type: 'support',
      text: 'So sorry! A new cake is on its way.',
    });
  });

  it('say ai_disabled for every conversation while auto-response is off, as the status endpoint does', async () => {
    await t.as(shop, { method: 'PUT', url: '/api/v1/ai/config/', payload: { auto_response_enabled: false } });
    try {
      const rows = await list();
      expect(new Set(rows.map((row) => row.status_reason))).toEqual(new Set(['ai_disabled']));
      // Who must answer follows the conversations' own story, not the switch.
      expect(
        rows
          .filter((row) => row.needs_person)
          .map((row) => row.customer_id)
          .sort(),
      ).toEqual(['failed@example.com', 'handed@example.com']);
      const one = await t.as(shop, { method: 'GET', url: `/api/v1/conversations/msg_${ids.handed}/` });
      expect(one.json()).toMatchObject({ id: ids.handed, status_reason: 'ai_disabled', needs_person: true });
    } finally {
      await t.as(shop, { method: 'PUT', url: '/api/v1/ai/config/', payload: { auto_response_enabled: true } });
    }
  });
});

describe('search', () => {
  it("matches message text, the customer's id, and takes % and _ literally", async () => {
    const ids = async (query: string) =>
      (await list(`?search=${encodeURIComponent(query)}`)).map((row) => row.customer_id).sort();
    expect(await ids('BROKEN')).toEqual(['replied@example.com']);
    expect(await ids('new cake')).toEqual(['replied@example.com']);
    expect(await ids('taken@')).toEqual(['taken@example.com']);
    // Unescaped, "100%" would match "1000 rolls" too, and "a_b" would match "axb".
    expect(await ids('100%')).toEqual(['taken@example.com']);
    expect(await ids('a_b')).toEqual(['replied@example.com']);
    // Another business's messages are not searched.
    expect(await ids('croissant')).toEqual([]);
    expect(await ids('code')).toEqual(['failed@example.com', 'replied@example.com']);
  });
});

describe('unread counts and the read mark', () => {
  it('counts customer messages after the mark, marks up to a seq, never back, and all by default', async () => {
    await ask('handed@example.com', 'Hello? Anyone?');
    await ask('handed@example.com', 'Still waiting');
    expect((await rowOf('handed@example.com')).unread_count).toBe(3);

    const customerSeqs = (await thread(ids.handed!)).results.filter((m) => m.type === 'customer').map((m) => m.seq);
    expect(customerSeqs).toHaveLength(3);

    const upToSecond = await read(ids.handed!, { through_seq: customerSeqs[1] });
    expect(upToSecond.statusCode).toBe(200);
    expect(upToSecond.json()).toEqual({ unread_count: 1 });
    expect((await rowOf('handed@example.com')).unread_count).toBe(1);

    // An older mark changes nothing.
    expect((await read(ids.handed!, { through_seq: customerSeqs[0] })).json()).toEqual({ unread_count: 1 });

    // By session id, without a body: everything is read.
    const all = await read(`msg_${ids.handed}`);
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({ unread_count: 0 });

    // Only the customer's messages count, and a new one is unread again.
    await t.as(shop, {
      method: 'POST',
      url: `/api/v1/conversations/${ids.handed}/messages/`,
      payload: { text: 'Here now!' },
    });
    await ask('handed@example.com', 'Great');
    expect((await rowOf('handed@example.com')).unread_count).toBe(1);
  });

  it('does not let a mark past the last message hide the messages to come', async () => {
    expect((await read(ids.taken!, { through_seq: 9_000_000 })).json()).toEqual({ unread_count: 0 });
    await ask('taken@example.com', 'Hello again');
    expect((await rowOf('taken@example.com')).unread_count).toBe(1);
  });

  it("answers 404 for another business's conversation, and 400 for a bad mark", async () => {
    const foreign = await read(ids.elsewhere!);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ code: 'not_found' });
    expect((await read(`msg_${ids.elsewhere}`)).statusCode).toBe(404);
    // The other business's own mark did not move.
    expect((await list('', other))[0]).toMatchObject({ customer_id: 'elsewhere@example.com', unread_count: 1 });

    for (const through_seq of [-1, 1.5, 'soon']) {
      const bad = await read(ids.taken!, { through_seq });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ errors: { through_seq: [expect.any(String)] } });
    }
  });
});

describe('the thread', () => {
  let id: string;
  beforeAll(async () => {
    t.gemini.enqueue({ text: 'Welcome!' });
    id = await ask('long@example.com', 'hi');
    for (let n = 1; n <= 120; n += 1) {
      const reply = await t.as(shop, {
        method: 'POST',
        url: `/api/v1/conversations/${id}/messages/`,
        payload: { text: `note ${n}` },
      });
      expect(reply.statusCode).toBe(201);
    }
  });

  it('pages back with a cursor, newest last, saying when older messages remain', async () => {
    const newest = await thread(id, '?limit=50');
    expect(newest.results.map((m) => m.text)).toEqual(Array.from({ length: 50 }, (_, i) => `note ${71 + i}`));
    expect(newest.has_more).toBe(true);
    expect(newest.results[0]).toMatchObject({ type: 'support', delivery_status: null, delivery_error: null });
    const seqs = newest.results.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    const before = await thread(id, `?before_seq=${seqs[0]}&limit=50`);
    expect(before.results.map((m) => m.text)).toEqual(Array.from({ length: 50 }, (_, i) => `note ${21 + i}`));
    expect(before.has_more).toBe(true);

    const oldest = await thread(id, `?before_seq=${before.results[0]!.seq}&limit=50`);
    expect(oldest.results.map((m) => m.text)).toEqual([
      'hi',
      'Welcome!',
      ...Array.from({ length: 20 }, (_, i) => `note ${i + 1}`),
    ]);
    expect(oldest.has_more).toBe(false);

    // Without a limit, 50; with before_seq only, the 50 before it.
    expect((await thread(id, '?before_seq=' + String(seqs[0]))).results).toHaveLength(50);
  });

  it('keeps page paging, with has_more beside next', async () => {
    const second = await thread(id, '?page=2&page_size=50');
    expect(second.count).toBe(122);
    expect(second.results.map((m) => m.text)[0]).toBe('note 49');
    expect(second.has_more).toBe(true);
    expect(second.next).toContain('page=3');
    expect((await thread(id, '?page=3&page_size=50')).has_more).toBe(false);
  });

  it('refuses bad cursors with 400', async () => {
    for (const query of ['?limit=0', '?limit=201', '?before_seq=abc', '?before_seq=0', '?limit=2.5']) {
      const response = await t.as(shop, { method: 'GET', url: `/api/v1/conversations/${id}/messages/${query}` });
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toMatchObject({ code: 'validation_error' });
    }
  });
});

describe('GET /api/v1/conversations/sync/', () => {
  const sync = async (afterSeq: number | string, token = shop) => {
    const response = await t.as(token, { method: 'GET', url: `/api/v1/conversations/sync/?after_seq=${afterSeq}` });
    expect(response.statusCode).toBe(200);
    return response.json<Sync>();
  };

  it('returns the messages after a seq and the conversations they touched or that changed since', async () => {
    const seen = Math.max(...(await thread(ids.answered!)).results.map((m) => m.seq));
    const start = await sync(seen);
    const startSeq = start.last_seq;

    t.gemini.enqueue({ text: 'Yes, until 6.' });
    await ask('answered@example.com', 'Open on Sunday?');
    // A change without a message: a person gives a conversation back to the AI.
    await t.as(shop, {
      method: 'PUT',
      url: `/api/v1/ai/conversations/${ids.failed}/status/`,
      payload: { status: 'active' },
    });
    t.gemini.enqueue({ text: 'Other news.' });
    await ask('elsewhere@example.com', 'more croissants', other);

    const missed = await sync(startSeq);
    expect(missed.messages.map((m) => [m.conversation_id, m.type, m.text])).toEqual([
      [ids.answered, 'customer', 'Open on Sunday?'],
      [ids.answered, 'AI', 'Yes, until 6.'],
    ]);
    expect(missed.messages[1]!.seq).toBeGreaterThan(missed.messages[0]!.seq);
    expect(missed.last_seq).toBe(missed.messages[1]!.seq);
    expect(missed.has_more).toBe(false);
    const rows = Object.fromEntries(missed.conversations.map((row) => [row.id, row]));
    expect(rows[ids.answered!]).toMatchObject({ status: 'active', last_message: { text: 'Yes, until 6.' } });
    expect(rows[ids.failed!]).toMatchObject({ status: 'active', status_reason: null, needs_person: false });
    expect(rows[ids.elsewhere!]).toBeUndefined();

    // No new message: none comes, and the cursor stays. (Conversations changed since that message
    // come again until a newer one is stored: their current rows, harmless to apply twice.)
    const quiet = await sync(missed.last_seq);
    expect(quiet).toMatchObject({ messages: [], last_seq: missed.last_seq, has_more: false });
    expect(quiet.conversations.map((row) => row.id)).not.toContain(ids.answered);
  });

  it('sends at most 500 messages a call, then the rest', async () => {
    const owner = await t.business('busy');
    t.gemini.enqueue({ text: 'Hi!' });
    const id = await ask('busy@example.com', 'first', owner);
    await t.db.execute(sql`
      insert into messages (id, conversation_id, type, text)
      select 'bulk' || n, ${id}, 'customer', 'bulk ' || n from generate_series(1, 520) n`);
    const first = await sync(0, owner);
    expect(first.messages).toHaveLength(500);
    expect(first.has_more).toBe(true);
    expect(first.last_seq).toBe(first.messages[499]!.seq);
    expect(first.conversations.map((row) => row.id)).toEqual([id]);
    const rest = await sync(first.last_seq, owner);
    expect(rest.messages).toHaveLength(22);
    expect(rest.messages.at(-1)?.text).toBe('bulk 520');
    expect(rest.has_more).toBe(false);
  });

  it('needs a whole after_seq of 0 or more', async () => {
    for (const query of ['', '?after_seq=-1', '?after_seq=x', '?after_seq=1.5']) {
      const response = await t.as(shop, { method: 'GET', url: `/api/v1/conversations/sync/${query}` });
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toMatchObject({
        code: 'validation_error',
        errors: { after_seq: expect.any(Array) },
      });
    }
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/v1/conversations/sync/?after_seq=0' });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('delivery on a channel', () => {
  const BOT = { token: '555000222:AAEinboxBotTokenForTheDeliveryEvents', id: 555000222, username: 'inbox_bot' };
  const CHAT = 7070;
  let tg: TelegramTestApp;
  let owner: string;
  let update = 1;

  const say = (text: string) =>
    tg.telegram.deliver(
      BOT.token,
      telegramTextUpdate({ updateId: update, messageId: update++ * 1000, chatId: CHAT, text, firstName: 'Ana' }),
    );
  const deliveries = () =>
    tg.published.flatMap((p) =>
      p.event.type === 'message.delivery_changed' ? [{ to: p.userId, ...p.event.data }] : [],
    );

  beforeAll(async () => {
    tg = await createTelegramTestApp(BOT);
    owner = await tg.telegramBusiness('bakery');
  });
  afterAll(() => tg.close());

  it('publishes each reply as sent or failed, with its seq on message.created, and the thread shows it', async () => {
    tg.gemini.enqueue({ text: 'We open at 7.' });
    await say('When do you open?');
    const [sent] = await until(() => (deliveries().length ? deliveries() : undefined));
    const ownerId = tg.published.find((p) => p.event.type === 'message.created')!.userId;
    const created = tg.published.flatMap((p) => (p.event.type === 'message.created' ? [p.event.data] : []));
    expect(created.map((data) => [data.message.type, typeof data.message.seq])).toEqual([
      ['customer', 'number'],
      ['AI', 'number'],
    ]);
    const answer = created[1]!;
    expect(sent).toEqual({
      to: ownerId,
      conversation_id: answer.conversation_id,
      message_id: answer.message.id,
      delivery_status: 'sent',
      delivery_error: null,
    });

    tg.telegram.blockChat(CHAT);
    const reply = await tg.as(owner, {
      method: 'POST',
      url: `/api/v1/conversations/${answer.conversation_id}/messages/`,
      payload: { text: 'Your order is ready.' },
    });
    const replyId = reply.json<{ message: { id: string } }>().message.id;
    const failed = await until(() => deliveries().find((d) => d.message_id === replyId));
    expect(failed).toEqual({
      to: ownerId,
      conversation_id: answer.conversation_id,
      message_id: replyId,
      delivery_status: 'failed',
      delivery_error: 'Telegram 403: Forbidden: bot was blocked by the user',
    });

    const shown = await tg.as(owner, {
      method: 'GET',
      url: `/api/v1/conversations/${answer.conversation_id}/messages/?limit=10`,
    });
    expect(
      shown.json<{ results: Message[] }>().results.map((m) => [m.text, m.seq, m.delivery_status, m.delivery_error]),
    ).toEqual([
      ['When do you open?', created[0]!.message.seq, null, null],
      ['We open at 7.', answer.message.seq, 'sent', null],
      ['Your order is ready.', expect.any(Number), 'failed', 'Telegram 403: Forbidden: bot was blocked by the user'],
    ]);
    // Found by the customer's name too.
    const byName = await tg.as(owner, { method: 'GET', url: '/api/v1/conversations/?search=ANA' });
    expect(byName.json<{ results: Row[] }>().results.map((row) => row.id)).toEqual([answer.conversation_id]);
  });
});
