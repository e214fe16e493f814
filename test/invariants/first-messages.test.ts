import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

/**
 * A customer's first messages can arrive together: every one of them is
 * stored, in one conversation, announced once. Without a key the AI stays
 * silent, so only the storing is in play.
 */
let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await createTestApp();
  token = await t.signUp('burst');
});
afterAll(() => t.close());

describe("a customer's first messages arriving at once", () => {
  it('open one conversation holding every message', async () => {
    const questions = Array.from({ length: 8 }, (_, i) => `question ${i + 1}`);
    const answers = await Promise.all(
      questions.map((question) =>
        t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question, customer_id: 'eager' } }),
      ),
    );
    expect(answers.map((answer) => answer.statusCode)).toEqual(questions.map(() => 200));
    const sessions = new Set(answers.map((answer) => answer.json<{ session_id: string }>().session_id));
    expect(sessions.size).toBe(1);

    const id = [...sessions][0]!.slice(4);
    const conversation = await t.as(token, { method: 'GET', url: `/api/v1/conversations/${id}/` });
    expect(conversation.json()).toMatchObject({ id, customer_id: 'eager', message_count: 8 });
    const messages = await t.as(token, { method: 'GET', url: `/api/v1/conversations/${id}/messages/` });
    const texts = messages.json<{ results: { text: string }[] }>().results.map((m) => m.text);
    expect(texts.sort()).toEqual([...questions].sort());

    const created = t.published.filter((p) => p.event.type === 'conversation.created');
    expect(created.map((p) => p.event.data.conversation_id)).toEqual([id]);
  });
});
