import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';

/**
 * `ask` answers with a session id (`msg_` + the conversation id); the routes that
 * name a conversation take that as well as the conversation id, so a client can
 * use what `ask` gave it.
 */
let t: AiTestApp;
let alice: string;
let bob: string;
/** Alice's conversations with c1 and c2, and Bob's with b1, by session id. */
const sessions: Record<string, string> = {};

async function ask(token: string, customer: string): Promise<string> {
  t.gemini.enqueue({ text: `hello ${customer}` });
  const response = await t.as(token, {
    method: 'POST',
    url: '/api/v1/ai/ask/',
    payload: { question: 'open today?', customer_id: customer },
  });
  expect(response.statusCode).toBe(200);
  return response.json<{ session_id: string }>().session_id;
}

const idOf = (session: string) => session.slice('msg_'.length);

beforeAll(async () => {
  t = await createAiTestApp();
  alice = await t.business('alice');
  bob = await t.business('bob');
  sessions.c1 = await ask(alice, 'c1');
  sessions.c2 = await ask(alice, 'c2');
  sessions.b1 = await ask(bob, 'b1');
});
afterAll(() => t.close());

describe('a session id where a conversation id is expected', () => {
  it('reads and changes the conversation’s status, answering with the conversation id', async () => {
    const session = sessions.c1!;
    const url = `/api/v1/ai/conversations/${session}/status/`;
    const read = await t.as(alice, { method: 'GET', url });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({
      conversation_id: idOf(session),
      status: 'active',
      ai_available: true,
      reason: null,
      waiting_for_ai: false,
    });

    const changed = await t.as(alice, { method: 'PUT', url, payload: { status: 'support_active' } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ conversation_id: idOf(session), status: 'support_active' });
    // The same conversation, whichever id names it.
    const byId = await t.as(alice, { method: 'GET', url: `/api/v1/ai/conversations/${idOf(session)}/status/` });
    expect(byId.json()).toMatchObject({ status: 'support_active', reason: 'agent_takeover' });
  });

  it('opens the conversation, its messages and an agent’s reply in the message system', async () => {
    const session = sessions.c2!;
    const one = await t.as(alice, { method: 'GET', url: `/api/v1/conversations/${session}/` });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id: idOf(session), session_id: session, customer_id: 'c2' });

    const reply = await t.as(alice, {
      method: 'POST',
      url: `/api/v1/conversations/${session}/messages/`,
      payload: { text: 'A person here.', keep_ai: true },
    });
    expect(reply.statusCode).toBe(201);
    expect(reply.json()).toMatchObject({ conversation: { id: idOf(session), message_count: 3 } });

    const messages = await t.as(alice, { method: 'GET', url: `/api/v1/conversations/${session}/messages/` });
    expect(messages.statusCode).toBe(200);
    expect(messages.json<{ results: { type: string; text: string }[] }>().results.map((m) => m.type)).toEqual([
      'customer',
      'AI',
      'support',
    ]);
  });

  it('changes many in bulk, listing each conversation as it was named, once', async () => {
    const response = await t.as(alice, {
      method: 'PUT',
      url: '/api/v1/ai/conversations/bulk-status/',
      payload: {
        conversation_ids: [sessions.c1, idOf(sessions.c2!), sessions.c2, sessions.b1, 'msg_nosuchthing0'],
        status: 'active',
      },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: 'active',
      updated: [sessions.c1, idOf(sessions.c2!)],
      not_found: [sessions.b1, 'msg_nosuchthing0'],
    });
    const status = await t.as(alice, { method: 'GET', url: `/api/v1/ai/conversations/${sessions.c1}/status/` });
    expect(status.json()).toMatchObject({ status: 'active' });
    // Bob's conversation was not touched.
    const bobs = await t.as(bob, { method: 'GET', url: `/api/v1/ai/conversations/${sessions.b1}/status/` });
    expect(bobs.json()).toMatchObject({ status: 'active', reason: null });
  });

  it('as form fields too, as the seed’s examples send them', async () => {
    const response = await t.as(alice, {
      method: 'PUT',
      url: '/api/v1/ai/conversations/bulk-status/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `conversation_ids=${sessions.c1}&status=support_active`,
    });
    expect(response.json()).toEqual({ status: 'support_active', updated: [sessions.c1], not_found: [] });
  });

  it('answers 404 for another business’s session, as for its conversation id', async () => {
    const foreign = sessions.b1!;
    for (const [method, url, payload] of [
      ['GET', `/api/v1/ai/conversations/${foreign}/status/`, undefined],
      ['PUT', `/api/v1/ai/conversations/${foreign}/status/`, { status: 'support_active' }],
      ['GET', `/api/v1/conversations/${foreign}/`, undefined],
      ['GET', `/api/v1/conversations/${foreign}/messages/`, undefined],
      ['POST', `/api/v1/conversations/${foreign}/messages/`, { text: 'hi' }],
    ] as const) {
      const response = await t.as(alice, { method, url, ...(payload ? { payload } : {}) });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.json()).toEqual({ detail: 'No such conversation.', code: 'not_found' });
    }
    const untouched = await t.as(bob, { method: 'GET', url: `/api/v1/conversations/${foreign}/` });
    expect(untouched.json()).toMatchObject({ status: 'active', message_count: 2 });
  });

  it('refuses a bare "msg_" with 400 in the error shape', async () => {
    const path = await t.as(alice, { method: 'GET', url: '/api/v1/ai/conversations/msg_/status/' });
    expect(path.statusCode).toBe(400);
    expect(path.json()).toEqual({
      detail: 'conversation_id: A session id is "msg_" followed by the conversation id.',
      code: 'validation_error',
      errors: { conversation_id: ['A session id is "msg_" followed by the conversation id.'] },
    });

    const bulk = await t.as(alice, {
      method: 'PUT',
      url: '/api/v1/ai/conversations/bulk-status/',
      payload: { conversation_ids: [sessions.c1, 'msg_'], status: 'active' },
    });
    expect(bulk.statusCode).toBe(400);
    expect(bulk.json()).toMatchObject({
      code: 'validation_error',
      errors: { 'conversation_ids.1': ['A session id is "msg_" followed by the conversation id.'] },
    });
    // All or nothing: the valid id in that request did not change either.
    const status = await t.as(alice, { method: 'GET', url: `/api/v1/ai/conversations/${sessions.c1}/status/` });
    expect(status.json()).toMatchObject({ status: 'support_active' });
  });

  it('is described in the OpenAPI document', async () => {
    const document = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
      paths: Record<string, Record<string, { parameters?: { name: string; description?: string }[] }>>;
    }>();
    const parameter = document.paths['/api/v1/ai/conversations/{conversation_id}/status/']?.get?.parameters?.find(
      (p) => p.name === 'conversation_id',
    );
    expect(parameter?.description).toContain('session id');
  });
});
