import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp } from '../helpers/app.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';

let t: AiTestApp;
let alice: string;
let bob: string;
const ids: string[] = [];

/** Starts conversations with customers through `ask`; returns their conversation ids. */
async function converse(token: string, customers: string[]) {
  const out: string[] = [];
  for (const customer of customers) {
    t.gemini.enqueue({ text: `hi ${customer}` });
    const response = await t.as(token, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      payload: { question: 'hello', customer_id: customer },
    });
    out.push(response.json<{ session_id: string }>().session_id.slice(4));
  }
  return out;
}

beforeAll(async () => {
  t = await createAiTestApp();
  alice = await t.business('alice');
  bob = await t.business('bob');
  ids.push(...(await converse(alice, ['c1', 'c2', 'c3'])));
});
afterAll(() => t.close());

const statusUrl = (id: string) => `/api/v1/ai/conversations/${id}/status/`;

describe('GET|PUT /api/v1/ai/conversations/{id}/status/', () => {
  it("runs the seed's status examples verbatim (form bodies)", async () => {
    const [id] = ids;
    const get = await t.as(alice, { method: 'GET', url: statusUrl(id!) });
    expect(get.statusCode).toBe(200);
    expect(get.json()).toEqual({
      conversation_id: id,
      status: 'active',
      ai_available: true,
      reason: null,
      waiting_for_ai: false,
    });

    const toPeople = await t.as(alice, {
      method: 'PUT',
      url: statusUrl(id!),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'status=support_active',
    });
    expect(toPeople.statusCode).toBe(200);
    expect(toPeople.json()).toEqual({
      conversation_id: id,
      status: 'support_active',
      ai_available: true,
      reason: 'agent_takeover',
      waiting_for_ai: false,
    });

    const toAi = await t.as(alice, {
      method: 'PUT',
      url: statusUrl(id!),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'status=active',
    });
    expect(toAi.json()).toMatchObject({ status: 'active', reason: null });
  });

  it('publishes each change with the new ownership version, to the owner only', async () => {
    const id = ids[1]!;
    t.published.length = 0;
    await t.as(alice, { method: 'PUT', url: statusUrl(id), payload: { status: 'support_active' } });
    const again = await t.as(alice, { method: 'PUT', url: statusUrl(id), payload: { status: 'support_active' } });
    expect(again.json()).toEqual({
      conversation_id: id,
      status: 'support_active',
      ai_available: true,
      reason: 'agent_takeover',
      waiting_for_ai: false,
    });
    await t.as(alice, { method: 'PUT', url: statusUrl(id), payload: { status: 'active' } });
    const changes = t.published.filter((p) => p.event.type === 'conversation.status_changed');
    expect(changes.map((p) => p.event.data)).toEqual([
      {
        conversation_id: id,
        status: 'support_active',
        previous: 'active',
        reason: 'agent_takeover',
        ownership_version: 1,
      },
      {
        conversation_id: id,
        status: 'active',
        previous: 'support_active',
        reason: 'returned_to_ai',
        ownership_version: 2,
      },
    ]);
    const aliceUser = changes[0]!.userId;
    expect(changes.every((p) => p.userId === aliceUser)).toBe(true);
  });

  it('refuses to hand a conversation to an AI that is unavailable, changing nothing', async () => {
    const id = ids[2]!;
    const [open] = await converse(alice, ['c4']);
    await t.as(alice, { method: 'PUT', url: statusUrl(id), payload: { status: 'support_active' } });
    await t.as(alice, { method: 'PUT', url: '/api/v1/ai/config/', payload: { auto_response_enabled: false } });
    const refused = await t.as(alice, { method: 'PUT', url: statusUrl(id), payload: { status: 'active' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      detail: 'The AI cannot take this conversation: AI auto-response is disabled for this business.',
      code: 'ai_unavailable',
    });
    expect((await t.as(alice, { method: 'GET', url: statusUrl(id) })).json()).toEqual({
      conversation_id: id,
      status: 'support_active',
      ai_available: false,
      reason: 'ai_disabled',
      waiting_for_ai: false,
    });
    // People can always take a conversation, AI or no AI.
    const taken = await t.as(alice, { method: 'PUT', url: statusUrl(open!), payload: { status: 'support_active' } });
    expect(taken.statusCode).toBe(200);
    expect(taken.json()).toMatchObject({ status: 'support_active', ai_available: false });
    await t.as(alice, { method: 'PUT', url: '/api/v1/ai/config/', payload: { auto_response_enabled: true } });
  });

  it('answers 404 for other businesses and unknown ids, 400 for unknown statuses', async () => {
    expect((await t.as(bob, { method: 'GET', url: statusUrl(ids[0]!) })).statusCode).toBe(404);
    expect(
      (await t.as(bob, { method: 'PUT', url: statusUrl(ids[0]!), payload: { status: 'support_active' } })).statusCode,
    ).toBe(404);
    expect((await t.as(alice, { method: 'GET', url: statusUrl('nope') })).statusCode).toBe(404);
    for (const payload of [{ status: 'sleeping' }, {}, { status: ['active'] }]) {
      const response = await t.as(alice, { method: 'PUT', url: statusUrl(ids[0]!), payload });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'validation_error', errors: { status: expect.any(Array) } });
    }
  });
});

describe('PUT /api/v1/ai/conversations/bulk-status/', () => {
  it("runs the seed's bulk example with repeated form keys; other businesses' ids are not found", async () => {
    const [bobs] = await converse(bob, ['b1']);
    const response = await t.as(alice, {
      method: 'PUT',
      url: '/api/v1/ai/conversations/bulk-status/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `conversation_ids=${ids[0]}&conversation_ids=${ids[1]}&conversation_ids=${bobs}&conversation_ids=ghi789&status=support_active`,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'support_active',
      updated: [ids[0], ids[1]],
      not_found: [bobs, 'ghi789'],
    });
    expect((await t.as(bob, { method: 'GET', url: statusUrl(bobs!) })).json()).toMatchObject({ status: 'active' });
    for (const id of [ids[0]!, ids[1]!]) {
      expect((await t.as(alice, { method: 'GET', url: statusUrl(id) })).json()).toMatchObject({
        status: 'support_active',
      });
    }
  });

  it('takes JSON lists too, and publishes each change', async () => {
    t.published.length = 0;
    const response = await t.as(alice, {
      method: 'PUT',
      url: '/api/v1/ai/conversations/bulk-status/',
      payload: { conversation_ids: [ids[0], ids[1]], status: 'active' },
    });
    expect(response.json()).toEqual({ status: 'active', updated: [ids[0], ids[1]], not_found: [] });
    const changes = t.published.filter((p) => p.event.type === 'conversation.status_changed');
    expect(changes.map((p) => p.event.data)).toEqual(
      [ids[0], ids[1]].map((id) => ({
        conversation_id: id,
        status: 'active',
        previous: 'support_active',
        reason: 'returned_to_ai',
        ownership_version: 4,
      })),
    );
  });

  it('counts a repeated id once and moves, records and announces only what changes', async () => {
    t.published.length = 0;
    const unchanged = await t.as(alice, {
      method: 'PUT',
      url: '/api/v1/ai/conversations/bulk-status/',
      payload: { conversation_ids: [ids[0], ids[0], ids[1]], status: 'active' },
    });
    expect(unchanged.json()).toEqual({ status: 'active', updated: [ids[0], ids[1]], not_found: [] });
    expect(t.published).toEqual([]);

    const moved = await t.as(alice, {
      method: 'PUT',
      url: '/api/v1/ai/conversations/bulk-status/',
      payload: { conversation_ids: [ids[0], ids[0]], status: 'support_active' },
    });
    expect(moved.json()).toEqual({ status: 'support_active', updated: [ids[0]], not_found: [] });
    expect(t.published.map((p) => p.event.data)).toEqual([
      {
        conversation_id: ids[0],
        status: 'support_active',
        previous: 'active',
        reason: 'agent_takeover',
        ownership_version: 5,
      },
    ]);
    expect((await t.as(alice, { method: 'GET', url: statusUrl(ids[0]!) })).json()).toEqual({
      conversation_id: ids[0],
      status: 'support_active',
      ai_available: true,
      reason: 'agent_takeover',
      waiting_for_ai: false,
    });
    expect((await t.as(alice, { method: 'GET', url: statusUrl(ids[1]!) })).json()).toMatchObject({
      status: 'active',
      reason: null,
    });
  });

  it('refuses empty, over-long and malformed requests, applying nothing', async () => {
    const cases = [
      { conversation_ids: [], status: 'active' },
      { conversation_ids: Array.from({ length: 501 }, (_, i) => `id${i}`), status: 'active' },
      { conversation_ids: [ids[0]], status: 'paused' },
      { conversation_ids: 'not-a-list-in-json', status: 'active' },
      { status: 'active' },
    ];
    for (const payload of cases) {
      const response = await t.as(alice, { method: 'PUT', url: '/api/v1/ai/conversations/bulk-status/', payload });
      expect(response.statusCode).toBe(400);
    }
  });

  it('refuses to hand conversations to an unavailable AI, all or nothing', async () => {
    const keyless = await createTestApp();
    try {
      const token = await keyless.signUp('nokey');
      const convo = await keyless.as(token, {
        method: 'POST',
        url: '/api/v1/ai/ask/',
        payload: { question: 'hi', customer_id: 'x' },
      });
      const id = convo.json<{ session_id: string }>().session_id.slice(4);
      const response = await keyless.as(token, {
        method: 'PUT',
        url: '/api/v1/ai/conversations/bulk-status/',
        payload: { conversation_ids: [id], status: 'active' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        detail: 'The AI cannot take this conversation: no Gemini API key is configured on the server.',
        code: 'ai_unavailable',
      });
      expect((await keyless.as(token, { method: 'GET', url: statusUrl(id) })).json()).toEqual({
        conversation_id: id,
        status: 'support_active',
        ai_available: false,
        reason: 'no_api_key',
        waiting_for_ai: true,
      });
    } finally {
      await keyless.close();
    }
  });
});

describe('bulk handovers', () => {
  it('record each takeover as a handover, and a return to the AI as none', async () => {
    const handovers = async () =>
      (await t.as(alice, { method: 'GET', url: '/api/v1/ai/analytics/?days=1' })).json<{
        totals: { handovers_by_reason: Record<string, number> };
      }>().totals.handovers_by_reason.agent_takeover ?? 0;
    const [fresh] = await converse(alice, ['c5']);
    const before = await handovers();
    const bulk = (status: string) =>
      t.as(alice, {
        method: 'PUT',
        url: '/api/v1/ai/conversations/bulk-status/',
        payload: { conversation_ids: [fresh], status },
      });
    await bulk('support_active');
    expect((await t.as(alice, { method: 'GET', url: statusUrl(fresh!) })).json()).toMatchObject({
      status: 'support_active',
      reason: 'agent_takeover',
    });
    expect(await handovers()).toBe(before + 1);
    await bulk('active');
    expect((await t.as(alice, { method: 'GET', url: statusUrl(fresh!) })).json()).toMatchObject({ status: 'active' });
    expect(await handovers()).toBe(before + 1);
  });
});

describe('why people have a conversation', () => {
  it('says the default handler sent it to people, or that people keep it once the default is AI again', async () => {
    const carol = await t.business('carol');
    const handler = (value: string) =>
      t.as(carol, { method: 'PUT', url: '/api/v1/ai/default-handler/', payload: { default_reply_handler: value } });
    expect((await handler('Manual')).statusCode).toBe(200);
    const started = await t.as(carol, {
      method: 'POST',
      url: '/api/v1/ai/ask/',
      payload: { question: 'open on Sunday?', customer_id: 'sunday' },
    });
    const id = started.json<{ session_id: string }>().session_id.slice(4);
    expect((await t.as(carol, { method: 'GET', url: statusUrl(id) })).json()).toEqual({
      conversation_id: id,
      status: 'support_active',
      ai_available: true,
      reason: 'default_handler_manual',
      waiting_for_ai: false,
    });
    expect((await handler('AI')).statusCode).toBe(200);
    expect((await t.as(carol, { method: 'GET', url: statusUrl(id) })).json()).toEqual({
      conversation_id: id,
      status: 'support_active',
      ai_available: true,
      reason: 'manual_handling',
      waiting_for_ai: false,
    });
  });
});
