import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';
import { createWidget, widgetClient, type CreatedWidget } from '../helpers/widget.js';
import { until } from '../helpers/wait.js';

/**
 * A widget left open to the public, flooded by a script: one visitor writing as much as it may,
 * and one address starting new visitors that each do the same. What it may spend of the
 * business's daily token cap is bounded by these settings, which this suite uses as a business
 * and its operator would have them:
 *
 * - the operator's defaults: PARLEY_WIDGET_MESSAGES_PER_MINUTE (10 a visitor) and
 *   PARLEY_WIDGET_VISITORS_PER_IP_PER_HOUR (20 an address), and PARLEY_CUSTOMER_REPLIES_PER_HOUR (30);
 * - the business's widget setting `unverified_ai_replies` (here 3), which is what holds it: its
 *   default (null, no own limit) leaves each unverified visitor the operator's 30 replies an hour,
 *   so one address could have 20 × 30 = 600 answers in an hour (some 720,000 tokens here), 5% only
 *   of caps from 14,400,000 tokens;
 * - the business's reply wait left at its default (2 s), so a burst is answered once.
 *
 * With them an hour's flood from one address is at most 20 visitors × 3 answers, plus 3 for
 * the one-visitor flood: 63 answers of about 1,200 tokens each here (a prompt with a page of the
 * business's knowledge), some 76,000 tokens, 2.5% of a 3,000,000-token daily cap; 5% holds for
 * caps from about 1,500,000. Over a whole day the address's share of the cap bounds it instead:
 * its unverified visitors' calls stop at 5% of the daily cap in any 24 hours, at their worst
 * case (website-widget-address-share.test.ts), with or without `unverified_ai_replies`.
 */
const DAILY_CAP = 3_000_000;
const UNVERIFIED_AI_REPLIES = 3;
const VISITORS_PER_IP_PER_HOUR = 20;
const MESSAGES_PER_MINUTE = 10;
const HANDOVER = 'A colleague will answer you here shortly.';
// About a page of what a small business tells its AI (some 3,800 characters).
const KNOWLEDGE = Array.from(
  { length: 40 },
  (_, i) => `Question ${i + 1}: our cakes are baked daily from 7 am; orders over 40 € are delivered free in town.`,
).join('\n');

let t: AiTestApp;
let owner: string;
let widget: CreatedWidget;

interface History {
  messages: { author: string; text: string }[];
  handled_by: string;
}

beforeAll(async () => {
  // Nothing but the cap is set: every limit is the operator's default. The model's timeout is
  // production's order of magnitude rather than the suites' 1 s: twenty visitors' replies start
  // together here, and a call that timed out would be retried, which is not what is measured.
  t = await createAiTestApp({ PARLEY_DEFAULT_DAILY_TOKENS: String(DAILY_CAP), GEMINI_TIMEOUT_MS: '10000' });
  owner = await t.business('bakery', { prompts: { knowledge_source: KNOWLEDGE }, handover_message: HANDOVER });
  widget = await createWidget(t, owner, { unverified_ai_replies: UNVERIFIED_AI_REPLIES });
});
afterAll(() => t.close());

/** A visitor's browser, writing numbered messages. */
function floodingVisitor() {
  const client = widgetClient(t, widget.publicId);
  let sent = 0;
  const history = async () => (await client.history()).json<History>();
  return {
    client,
    history,
    send: () => {
      sent += 1;
      return client.send(`How much is a birthday cake? (${sent})`, `flood-${sent}`);
    },
    /** Writes, then waits until the AI answered once more or people took the conversation. */
    async sendAndWait() {
      const before = answersIn(await history());
      const response = await this.send();
      await until(async () => {
        const now = await history();
        return now.handled_by === 'people' || answersIn(now) > before ? now : undefined;
      }, 45_000);
      return response;
    },
  };
}

/** The AI's answers in a visitor's conversation (the handover message is said in the AI's name too). */
const answersIn = (history: History) => history.messages.filter((m) => m.author === 'ai' && m.text !== HANDOVER).length;

/** A bot that reads each answer before writing again: the most answers the limits let it have. */
async function writeUntilHandedOver(visitor: ReturnType<typeof floodingVisitor>) {
  for (let i = 0; i <= UNVERIFIED_AI_REPLIES; i++) expect((await visitor.sendAndWait()).statusCode).toBe(202);
  return visitor.history();
}

const customerRateLimited = () =>
  t.published.filter(
    ({ event }) => event.type === 'conversation.status_changed' && event.data.reason === 'customer_rate_limited',
  ).length;

describe('a scripted flood against a widget', () => {
  it('from one visitor: 3 answers, then people, and a burst refused politely past 10 a minute', async () => {
    const visitor = floodingVisitor();
    expect((await visitor.client.start({}, '203.0.113.7')).statusCode).toBe(201);
    const handedOver = await writeUntilHandedOver(visitor);
    expect(handedOver.handled_by).toBe('people');
    expect(answersIn(handedOver)).toBe(UNVERIFIED_AI_REPLIES);
    // The visitor is told, in words, that a person will answer.
    expect(handedOver.messages.at(-1)).toMatchObject({ author: 'ai', text: HANDOVER });

    const burst: LightMyRequestResponse[] = [];
    for (let i = 0; i < 30; i++) burst.push(await visitor.send());
    const refused = burst.filter((response) => response.statusCode === 429);
    // 4 of the minute's 10 are spent; a minute's boundary during the suite could give back at most 4 more.
    expect(burst.length - refused.length).toBeLessThanOrEqual(MESSAGES_PER_MINUTE);
    expect(refused.length).toBeGreaterThanOrEqual(20);
    for (const response of refused) {
      expect(response.json()).toMatchObject({ code: 'rate_limited' });
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    }
    // What got through went to people: the AI answered nothing more.
    expect(answersIn(await visitor.history())).toBe(UNVERIFIED_AI_REPLIES);
  }, 60_000);

  it('from one address: 20 new visitors an hour, each with 3 answers before people take over', async () => {
    const visitors = Array.from({ length: 30 }, floodingVisitor);
    const started: number[] = [];
    for (const visitor of visitors) started.push((await visitor.client.start({}, '198.51.100.23')).statusCode);
    expect(started.filter((status) => status === 201)).toHaveLength(VISITORS_PER_IP_PER_HOUR);
    expect(started.filter((status) => status === 429)).toHaveLength(30 - VISITORS_PER_IP_PER_HOUR);

    const admitted = visitors.filter((_, i) => started[i] === 201);
    const ends = await Promise.all(admitted.map(writeUntilHandedOver));
    for (const end of ends) {
      expect(end.handled_by).toBe('people');
      expect(answersIn(end)).toBe(UNVERIFIED_AI_REPLIES);
    }
  }, 180_000);

  it('spent at most 5% of the daily cap on both floods together', async () => {
    const stats = (await t.as(owner, { method: 'GET', url: '/api/v1/ai/usage/stats/' })).json<{
      totals: { requests: number; outcomes: { success: number } };
      quota: { daily_tokens: number; used_today: number; exceeded: boolean };
    }>();
    const visitors = 1 + VISITORS_PER_IP_PER_HOUR;
    // The answers the visitors got. A call that timed out on a busy machine and was tried again,
    // or one a handover made moot, is not among them, but its tokens count below all the same.
    expect(stats.totals.outcomes.success).toBe(visitors * UNVERIFIED_AI_REPLIES);
    expect(customerRateLimited()).toBe(visitors);
    expect(stats.quota).toMatchObject({ daily_tokens: DAILY_CAP, exceeded: false });
    // Each answer carried a real prompt: were it a few tokens, 5% would hold whatever the limits.
    expect(stats.quota.used_today / stats.totals.requests).toBeGreaterThan(1_000);
    expect(stats.quota.used_today).toBeLessThanOrEqual(0.05 * DAILY_CAP);
  });
});
