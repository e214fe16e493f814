import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileConversations } from '../../src/conversations/reconcile.js';
import { conversations } from '../../src/db/schema/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe('reconcileConversations (ai_control sync)', () => {
  it('repairs counters that drifted from the messages, and only those', async () => {
    const token = await t.signUp('drifty');
    const ids: string[] = [];
    for (const customer of ['a', 'b']) {
      const response = await t.as(token, {
        method: 'POST',
        url: '/api/v1/ai/ask/',
        payload: { question: 'hi', customer_id: customer },
      });
      ids.push(response.json<{ session_id: string }>().session_id.slice(4));
    }
    expect(await reconcileConversations(t.db)).toEqual({ checked: 2, updated: [] });

    await t.db
      .update(conversations)
      .set({ messageCount: 42, lastMessageAt: null })
      .where(eq(conversations.id, ids[0]!));
    expect(await reconcileConversations(t.db)).toEqual({ checked: 2, updated: [ids[0]] });
    const [fixed] = await t.db.select().from(conversations).where(eq(conversations.id, ids[0]!));
    expect(fixed?.messageCount).toBe(1);
    expect(fixed?.lastMessageAt).toBeInstanceOf(Date);
    expect(await reconcileConversations(t.db)).toEqual({ checked: 2, updated: [] });
  });
});
