import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';

interface SessionItem {
  session_id: string;
  conversation_id: string;
  customer_id: string;
  channel: string;
  status: string;
  is_active: boolean;
  message_count: number;
  last_message_at: string | null;
  created_at: string;
}
interface SessionPage {
  count: number;
  next: string | null;
  previous: string | null;
  results: SessionItem[];
}

let t: AiTestApp;
let alice: string;
let bob: string;
const sessions: Record<string, string> = {};

beforeAll(async () => {
  t = await createAiTestApp();
  alice = await t.business('alice');
  bob = await t.business('bob');
  // Five customers, asked in order: the last asked is the most recently active.
  for (const customer of [
    'ann@example.com',
    'ben@example.com',
    'cat@example.com',
    'dan@example.com',
    'eve@example.com',
  ]) {
    t.gemini.enqueue({ text: `Hello ${customer}` });
    const response = await t.as(alice, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      payload: { question: `question from ${customer}`, customer_id: customer },
    });
    sessions[customer] = response.json<{ session_id: string }>().session_id;
  }
  // With a Manual default handler, Fay's new conversation goes to people.
  await t.as(alice, {
    method: 'PUT',
    url: '/api/v1/ai/default-handler/',
    payload: { default_reply_handler: 'Manual' },
  });
  await t.as(alice, {
    method: 'POST',
    url: '/api/v1/ai/ask/',
    payload: { question: 'I need a person', customer_id: 'fay@example.com' },
  });
});
afterAll(() => t.close());

const list = (token: string, query = '') => t.as(token, { method: 'GET', url: `/api/v1/ai/sessions/${query}` });

describe('GET /api/v1/ai/sessions/', () => {
  it('lists only this business’s sessions, newest activity first', async () => {
    const response = await list(alice);
    expect(response.statusCode).toBe(200);
    const page = response.json<SessionPage>();
    expect(page.count).toBe(6);
    expect(page.results.map((s) => s.customer_id)).toEqual([
      'fay@example.com',
      'eve@example.com',
      'dan@example.com',
      'cat@example.com',
      'ben@example.com',
      'ann@example.com',
    ]);
    expect(page.results[1]).toEqual({
      session_id: sessions['eve@example.com'],
      conversation_id: sessions['eve@example.com']!.slice(4),
      customer_id: 'eve@example.com',
      channel: 'api',
      status: 'active',
      is_active: true,
      message_count: 2,
      last_message_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
    expect((await list(bob)).json<SessionPage>().count).toBe(0);
  });

  it('pages with next and previous links', async () => {
    const first = (await list(alice, '?page_size=4')).json<SessionPage>();
    expect(first.results).toHaveLength(4);
    expect(first.previous).toBeNull();
    expect(first.next).toBe('http://127.0.0.1:8000/api/v1/ai/sessions/?page_size=4&page=2');
    const second = (await list(alice, '?page_size=4&page=2')).json<SessionPage>();
    expect(second.results.map((s) => s.customer_id)).toEqual(['ben@example.com', 'ann@example.com']);
    expect(second.next).toBeNull();
    expect(second.previous).toBe('http://127.0.0.1:8000/api/v1/ai/sessions/?page_size=4&page=1');
    const beyond = (await list(alice, '?page=9')).json<SessionPage>();
    expect(beyond).toMatchObject({ count: 6, results: [], next: null });
  });

  it('filters by status, activity and customer', async () => {
    const manual = (await list(alice, '?status=support_active')).json<SessionPage>();
    expect(manual.results.map((s) => s.customer_id)).toEqual(['fay@example.com']);
    expect((await list(alice, '?status=active')).json<SessionPage>().count).toBe(5);
    expect((await list(alice, '?is_active=true')).json<SessionPage>().count).toBe(6);
    expect((await list(alice, '?is_active=false')).json<SessionPage>().count).toBe(0);
    const search = (await list(alice, '?search=BEN')).json<SessionPage>();
    expect(search.results.map((s) => s.customer_id)).toEqual(['ben@example.com']);
    // Wildcards in the search are literal.
    expect((await list(alice, '?search=%25')).json<SessionPage>().count).toBe(0);
  });

  it('refuses bad query parameters', async () => {
    for (const query of ['?page=0', '?page=abc', '?page_size=1000', '?status=sleeping', '?is_active=maybe']) {
      const response = await list(alice, query);
      expect(response.statusCode, query).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_error' });
    }
  });
});

describe('GET /api/v1/ai/sessions/{id}/', () => {
  it('shows the session with its messages, oldest first', async () => {
    const response = await t.as(alice, { method: 'GET', url: `/api/v1/ai/sessions/${sessions['ann@example.com']}/` });
    expect(response.statusCode).toBe(200);
    const body = response.json<SessionItem & { messages: Record<string, unknown>[] }>();
    expect(body.customer_id).toBe('ann@example.com');
    expect(body.messages).toEqual([
      {
        id: expect.any(String),
        type: 'customer',
        text: 'question from ann@example.com',
        created_at: expect.any(String),
        response_time_ms: null,
      },
      {
        id: expect.any(String),
        type: 'AI',
        text: 'Hello ann@example.com',
        created_at: expect.any(String),
        response_time_ms: expect.any(Number),
      },
    ]);
  });

  it('answers 404 for unknown, malformed and other businesses’ sessions', async () => {
    for (const id of ['msg_doesnotexist', 'nonsense', sessions['ann@example.com']!.slice(4)]) {
      const response = await t.as(alice, { method: 'GET', url: `/api/v1/ai/sessions/${id}/` });
      expect(response.statusCode, id).toBe(404);
      expect(response.json()).toEqual({ detail: 'No such session.', code: 'not_found' });
    }
    const foreign = await t.as(bob, { method: 'GET', url: `/api/v1/ai/sessions/${sessions['ann@example.com']}/` });
    expect(foreign.statusCode).toBe(404);
  });
});

describe('POST /api/v1/ai/sessions/{id}/send/', () => {
  it('adds a customer message and answers it like ask', async () => {
    t.gemini.enqueue({ text: 'Sure, we deliver.' });
    const response = await t.as(alice, {
      method: 'POST',
      url: `/api/v1/ai/sessions/${sessions['cat@example.com']}/send/`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'message=Can+you+tell+me+more+about+your+services%3F',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      session_id: sessions['cat@example.com'],
      customer_id: 'cat@example.com',
      question: 'Can you tell me more about your services?',
      answer: 'Sure, we deliver.',
      auto_response_generated: true,
    });
    const detail = await t.as(alice, { method: 'GET', url: `/api/v1/ai/sessions/${sessions['cat@example.com']}/` });
    expect(detail.json<{ message_count: number }>().message_count).toBe(4);
  });

  it('refuses another business’s session, a missing one, and an empty message', async () => {
    const foreign = await t.as(bob, {
      method: 'POST',
      url: `/api/v1/ai/sessions/${sessions['cat@example.com']}/send/`,
      payload: { message: 'hi' },
    });
    expect(foreign.statusCode).toBe(404);
    const missing = await t.as(alice, {
      method: 'POST',
      url: '/api/v1/ai/sessions/msg_nope/send/',
      payload: { message: 'hi' },
    });
    expect(missing.statusCode).toBe(404);
    const empty = await t.as(alice, {
      method: 'POST',
      url: `/api/v1/ai/sessions/${sessions['cat@example.com']}/send/`,
      payload: { message: '' },
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ errors: { message: expect.any(Array) } });
  });
});

describe('POST /api/v1/ai/ask/ by a returning customer', () => {
  it('goes on in their conversation, announced only when it opened', async () => {
    const cora = await t.business('cora');
    const ask = async (question: string) => {
      t.gemini.enqueue({ text: `About "${question}": yes.` });
      const response = await t.as(cora, {
        method: 'POST',
        url: '/api/v1/ai/ask/',
        payload: { question, customer_id: 'gil@example.com' },
      });
      expect(response.statusCode).toBe(200);
      return response.json<{ session_id: string }>().session_id;
    };
    t.published.length = 0;
    const first = await ask('Open on Sunday?');
    const second = await ask('And on Monday?');
    expect(second).toBe(first);
    const created = t.published.filter(({ event }) => event.type === 'conversation.created');
    expect(created).toHaveLength(1);
    const detail = await t.as(cora, { method: 'GET', url: `/api/v1/ai/sessions/${first}/` });
    expect(detail.json<{ message_count: number }>().message_count).toBe(4);
  });
});
