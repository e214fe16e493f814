import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handovers, usageRecords } from '../../src/db/schema/index.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';

interface Message {
  type: string;
  text: string;
}

let t: AiTestApp;
let token: string;

beforeAll(async () => {
  t = await createAiTestApp();
  token = await t.business('shop', { handover_message: 'A colleague will answer you here shortly.' });
});
afterAll(() => t.close());
beforeEach(() => t.gemini.reset());

const ask = (customer: string, question = 'hello') =>
  t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question, customer_id: customer } });

async function messagesOf(conversationId: string): Promise<Message[]> {
  const response = await t.as(token, { method: 'GET', url: `/api/v1/conversations/${conversationId}/messages/` });
  return response.json<{ results: Message[] }>().results;
}

/** Resolves once the emulator has received a (streamed) generate call beyond the first `seen`. */
async function modelCalled(seen = 0): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (t.gemini.requests.filter((request) => request.method === 'streamGenerateContent').length > seen) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the model was never called');
}

async function conversationOf(customer: string): Promise<string> {
  t.gemini.enqueue({ text: 'Welcome!' });
  const response = await ask(customer, 'first');
  return response.json<{ session_id: string }>().session_id.slice(4);
}

describe('a takeover while the AI is writing', () => {
  it('discards the AI reply when an agent switches the status mid-generation', async () => {
    const id = await conversationOf('race-1');
    t.gemini.reset();
    t.gemini.enqueue({ text: 'I am the AI and I should never be seen.', delayMs: 600 });
    const pending = ask('race-1', 'are you a robot?');
    await modelCalled();
    const takeover = await t.as(token, {
      method: 'PUT',
      url: `/api/v1/ai/conversations/${id}/status/`,
      payload: { status: 'support_active' },
    });
    expect(takeover.statusCode).toBe(200);

    const response = await pending;
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ answer: null, auto_response_generated: false, reason: 'manual_handling' });
    const messages = await messagesOf(id);
    expect(messages.map((m) => m.text)).not.toContain('I am the AI and I should never be seen.');
    expect(messages.map((m) => m.type)).toEqual(['customer', 'AI', 'customer']);

    const usage = await t.db.select().from(usageRecords).where(eq(usageRecords.conversationId, id));
    expect(usage.map((u) => u.outcome)).toEqual(expect.arrayContaining(['success', 'discarded']));
    expect(usage.find((u) => u.outcome === 'discarded')?.totalTokens).toBeGreaterThan(0);
  });

  it('discards it even when the conversation is handed back to the AI before the model finishes', async () => {
    const id = await conversationOf('race-2');
    t.gemini.reset();
    t.gemini.enqueue({ text: 'Stale answer from before the takeover.', delayMs: 600 });
    const pending = ask('race-2', 'hello again');
    await modelCalled();
    const url = `/api/v1/ai/conversations/${id}/status/`;
    await t.as(token, { method: 'PUT', url, payload: { status: 'support_active' } });
    await t.as(token, { method: 'PUT', url, payload: { status: 'active' } });
    await pending;
    expect((await messagesOf(id)).map((m) => m.text)).not.toContain('Stale answer from before the takeover.');
  });

  it("discards it when an agent's reply takes the conversation over", async () => {
    const id = await conversationOf('race-3');
    t.gemini.reset();
    t.gemini.enqueue({ text: 'AI words nobody should read.', delayMs: 600 });
    const pending = ask('race-3', 'I want a refund');
    await modelCalled();
    const agent = await t.as(token, {
      method: 'POST',
      url: `/api/v1/conversations/${id}/messages/`,
      payload: { text: 'Hi, this is Marta. I will sort out your refund.' },
    });
    expect(agent.statusCode).toBe(201);
    await pending;
    const messages = await messagesOf(id);
    expect(messages.map((m) => m.type)).toEqual(['customer', 'AI', 'customer', 'support']);
    expect(messages.map((m) => m.text)).not.toContain('AI words nobody should read.');
  });
});

describe('AI-initiated handover', () => {
  it('hands over with the reason the model gives, tells the customer, and records it', async () => {
    t.gemini.enqueue({
      functionCall: { name: 'handover_to_human', args: { reason: 'complaint', note: 'Cake arrived broken.' } },
    });
    const response = await ask('angry@example.com', 'My cake arrived broken!');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      answer: 'A colleague will answer you here shortly.',
      auto_response_generated: false,
      reason: 'handed_over',
      success: true,
    });
    const id = response.json<{ session_id: string }>().session_id.slice(4);

    const sent = t.gemini.requests[0]?.body as { tools: { functionDeclarations: { name: string }[] }[] };
    expect(sent.tools[0]?.functionDeclarations.map((f) => f.name)).toEqual(['handover_to_human']);

    const messages = await messagesOf(id);
    expect(messages).toEqual([
      expect.objectContaining({ type: 'customer', text: 'My cake arrived broken!' }),
      expect.objectContaining({ type: 'system', text: 'Handed to people (complaint): Cake arrived broken.' }),
      expect.objectContaining({ type: 'AI', text: 'A colleague will answer you here shortly.' }),
    ]);
    const status = await t.as(token, { method: 'GET', url: `/api/v1/ai/conversations/${id}/status/` });
    expect(status.json()).toMatchObject({ status: 'support_active', reason: 'complaint' });
    const recorded = await t.db.select().from(handovers).where(eq(handovers.conversationId, id));
    expect(recorded).toEqual([
      expect.objectContaining({ source: 'ai', reason: 'complaint', detail: 'Cake arrived broken.' }),
    ]);
    expect(
      t.published.some((p) => p.event.type === 'conversation.status_changed' && p.event.data.reason === 'complaint'),
    ).toBe(true);
  });

  it('files an unknown reason under "other"', async () => {
    t.gemini.enqueue({ functionCall: { name: 'handover_to_human', args: { reason: 'bored' } } });
    const response = await ask('odd@example.com');
    const id = response.json<{ session_id: string }>().session_id.slice(4);
    const [recorded] = await t.db.select().from(handovers).where(eq(handovers.conversationId, id));
    expect(recorded?.reason).toBe('other');
  });

  it('records failures and safety blocks as handovers with their reason', async () => {
    t.gemini.enqueue({ error: { status: 503 } }, { error: { status: 503 } }, { error: { status: 503 } });
    const failed = await ask('unlucky@example.com');
    t.gemini.enqueue({ blockReason: 'SAFETY' });
    const blocked = await ask('edgy@example.com');
    const reasonOf = async (response: typeof failed) => {
      const id = response.json<{ session_id: string }>().session_id.slice(4);
      const [recorded] = await t.db.select().from(handovers).where(eq(handovers.conversationId, id));
      return [recorded?.source, recorded?.reason];
    };
    expect(await reasonOf(failed)).toEqual(['system', 'ai_unavailable']);
    expect(await reasonOf(blocked)).toEqual(['system', 'safety_blocked']);
  });
});
