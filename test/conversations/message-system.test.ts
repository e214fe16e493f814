import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';

interface Conversation {
  id: string;
  session_id: string;
  customer_id: string;
  status: string;
  channel: string;
  message_count: number;
}
interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}
interface Message {
  id: string;
  type: string;
  text: string;
}

let t: AiTestApp;
let alice: string;
let bob: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await createAiTestApp();
  alice = await t.business('alice');
  bob = await t.business('bob');
  for (const customer of ['maria@example.com', 'joao@example.com', 'ines@example.com']) {
    t.gemini.enqueue({ text: `Hello ${customer}` });
    const response = await t.as(alice, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      payload: { question: `hi from ${customer}`, customer_id: customer },
    });
    ids[customer] = response.json<{ session_id: string }>().session_id.slice(4);
  }
});
afterAll(() => t.close());

describe('GET /api/v1/conversations/', () => {
  it("lists the business's conversations, newest activity first", async () => {
    const page = (await t.as(alice, { method: 'GET', url: '/api/v1/conversations/' })).json<Page<Conversation>>();
    expect(page.count).toBe(3);
    expect(page.results.map((c) => c.customer_id)).toEqual([
      'ines@example.com',
      'joao@example.com',
      'maria@example.com',
    ]);
    expect(page.results[0]).toMatchObject({
      id: ids['ines@example.com'],
      session_id: `msg_${ids['ines@example.com']}`,
      channel: 'api',
      status: 'active',
      message_count: 2,
    });
    expect((await t.as(bob, { method: 'GET', url: '/api/v1/conversations/' })).json<Page<Conversation>>().count).toBe(
      0,
    );
  });

  it('filters by status, channel and customer', async () => {
    const query = async (q: string) =>
      (await t.as(alice, { method: 'GET', url: `/api/v1/conversations/${q}` })).json<Page<Conversation>>();
    expect((await query('?channel=api')).count).toBe(3);
    expect((await query('?channel=telegram')).count).toBe(0);
    expect((await query('?status=support_active')).count).toBe(0);
    expect((await query('?search=joao')).results.map((c) => c.customer_id)).toEqual(['joao@example.com']);
    // A search's % and _ are the customer's characters, not wildcards.
    for (const customer of ['50%_off', '50xyoff']) {
      t.gemini.enqueue({ text: 'hi' });
      await t.as(bob, {
        method: 'POST',
        url: '/api/v1/ai/ask/',
        payload: { question: 'deal?', customer_id: customer },
      });
    }
    const literal = await t.as(bob, { method: 'GET', url: '/api/v1/conversations/?search=50%25_' });
    expect(literal.json<Page<Conversation>>().results.map((c) => c.customer_id)).toEqual(['50%_off']);
    const bad = await t.as(alice, { method: 'GET', url: '/api/v1/conversations/?channel=fax' });
    expect(bad.statusCode).toBe(400);
  });
});

describe('GET /api/v1/conversations/{id}/ and its messages', () => {
  it('shows one conversation, and 404 for another business or an unknown id', async () => {
    const id = ids['maria@example.com']!;
    const one = await t.as(alice, { method: 'GET', url: `/api/v1/conversations/${id}/` });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id, customer_id: 'maria@example.com' });
    expect((await t.as(bob, { method: 'GET', url: `/api/v1/conversations/${id}/` })).statusCode).toBe(404);
    expect((await t.as(bob, { method: 'GET', url: `/api/v1/conversations/${id}/messages/` })).statusCode).toBe(404);
    expect((await t.as(alice, { method: 'GET', url: '/api/v1/conversations/unknown/' })).json()).toEqual({
      detail: 'No such conversation.',
      code: 'not_found',
    });
  });

  it('pages through messages oldest first', async () => {
    const id = ids['joao@example.com']!;
    for (let i = 1; i <= 3; i++) {
      await t.as(alice, {
        method: 'POST',
        url: `/api/v1/conversations/${id}/messages/`,
        payload: { text: `agent note ${i}`, keep_ai: true },
      });
    }
    const first = (await t.as(alice, { method: 'GET', url: `/api/v1/conversations/${id}/messages/?page_size=2` })).json<
      Page<Message>
    >();
    expect(first.count).toBe(5);
    expect(first.results.map((m) => m.text)).toEqual(['hi from joao@example.com', 'Hello joao@example.com']);
    expect(first.next).toContain('page=2');
    const third = (
      await t.as(alice, { method: 'GET', url: `/api/v1/conversations/${id}/messages/?page_size=2&page=3` })
    ).json<Page<Message>>();
    expect(third.results.map((m) => m.text)).toEqual(['agent note 3']);
    expect(third.next).toBeNull();
  });
});

describe('POST /api/v1/conversations/{id}/messages/ (agent reply)', () => {
  it('stores a support message and takes an AI conversation over', async () => {
    const id = ids['maria@example.com']!;
    t.published.length = 0;
    const response = await t.as(alice, {
      method: 'POST',
      url: `/api/v1/conversations/${id}/messages/`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'text=Hi+Maria%2C+Marta+here.',
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      message: { type: 'support', text: 'Hi Maria, Marta here.' },
      conversation: { id, status: 'support_active', message_count: 3 },
    });
    expect(t.published.map((p) => p.event.type)).toEqual(['conversation.status_changed', 'message.created']);

    // From now on the customer's messages wait for people.
    const next = await t.as(alice, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      payload: { question: 'thanks!', customer_id: 'maria@example.com' },
    });
    expect(next.json()).toMatchObject({ reason: 'manual_handling', auto_response_generated: false });
  });

  it('leaves the AI on with keep_ai', async () => {
    const id = ids['ines@example.com']!;
    const response = await t.as(alice, {
      method: 'POST',
      url: `/api/v1/conversations/${id}/messages/`,
      payload: { text: 'Just adding: we have a discount today.', keep_ai: true },
    });
    expect(response.json()).toMatchObject({ conversation: { status: 'active' } });
  });

  it('refuses empty or over-long text, unknown and foreign conversations', async () => {
    const id = ids['ines@example.com']!;
    for (const payload of [
      { text: '' },
      { text: '   ' },
      {},
      { text: 'x'.repeat(4_001) },
      { text: 'ok', keep_ai: 'perhaps' },
    ]) {
      const response = await t.as(alice, { method: 'POST', url: `/api/v1/conversations/${id}/messages/`, payload });
      expect(response.statusCode, JSON.stringify(payload).slice(0, 40)).toBe(400);
    }
    expect(
      (await t.as(alice, { method: 'POST', url: '/api/v1/conversations/nope/messages/', payload: { text: 'hi' } }))
        .statusCode,
    ).toBe(404);
    const foreign = await t.as(bob, {
      method: 'POST',
      url: `/api/v1/conversations/${id}/messages/`,
      payload: { text: 'hi' },
    });
    expect(foreign.statusCode).toBe(404);
    const page = (await t.as(alice, { method: 'GET', url: `/api/v1/conversations/${id}/messages/` })).json<
      Page<Message>
    >();
    expect(page.results.map((m) => m.text)).not.toContain('hi');
  });
});
