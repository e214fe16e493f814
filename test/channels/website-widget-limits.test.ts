import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/kernel/config.js';
import { userHash } from '../../src/channels/website/widget-limits.js';
import { testConfig } from '../helpers/app.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';
import { createWidget, SITE, widgetClient, type CreatedWidget } from '../helpers/widget.js';
import { until } from '../helpers/wait.js';

/** What keeps a widget left open to the public from being flooded, or from spending the business's AI on one visitor. */
let t: AiTestApp;
let owner: string;
let widget: CreatedWidget;

interface Message {
  author: string;
  text: string;
}

beforeAll(async () => {
  t = await createAiTestApp({
    PARLEY_WIDGET_VISITORS_PER_IP_PER_HOUR: '3',
    PARLEY_WIDGET_MESSAGES_PER_MINUTE: '3',
    PARLEY_CUSTOMER_REPLIES_PER_HOUR: '2',
  });
  owner = await t.business('bakery', { reply_debounce_ms: 50, handover_message: 'A colleague will answer here.' });
  widget = await createWidget(t, owner, { unverified_ai_replies: 1 });
});
afterAll(() => t.close());

/** A visitor from its own address, so each case counts its own new visitors. */
let address = 10;
async function newVisitor(body: Record<string, unknown> = {}) {
  const ip = `10.0.0.${address++}`;
  const visitor = widgetClient(t, widget.publicId);
  const call = visitor.call;
  const started = await call({ method: 'POST', url: 'visitors/', payload: body, remoteAddress: ip });
  expect(started.statusCode).toBe(201);
  const token = started.json<{ visitor_token: string }>().visitor_token;
  const send = (text: string, clientId: string) =>
    call({
      method: 'POST',
      url: 'messages/',
      payload: { client_id: clientId, text },
      headers: { 'x-parley-visitor': token },
    });
  const history = async () =>
    (await call({ method: 'GET', url: 'messages/', headers: { 'x-parley-visitor': token } })).json<{
      messages: Message[];
      handled_by: string;
    }>();
  return { send, history };
}
const answered = async (history: () => Promise<{ messages: Message[] }>, count: number) =>
  until(async () => {
    const { messages } = await history();
    return messages.filter((m) => m.author === 'ai').length >= count ? messages : undefined;
  });

describe('widget limits', () => {
  it('refuses a fourth new visitor from one address within the hour, politely and with CORS', async () => {
    const visitor = widgetClient(t, widget.publicId);
    const start = () => visitor.call({ method: 'POST', url: 'visitors/', payload: {}, remoteAddress: '10.9.9.9' });
    for (let i = 0; i < 3; i++) expect((await start()).statusCode).toBe(201);
    const refused = await start();
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'rate_limited' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['access-control-allow-origin']).toBe(SITE);
    // Another address is not held back by it.
    expect(
      (await visitor.call({ method: 'POST', url: 'visitors/', payload: {}, remoteAddress: '10.9.9.8' })).statusCode,
    ).toBe(201);
  });

  it('refuses a visitor’s fourth message in a minute, but still answers a resend of a stored one', async () => {
    const visitor = await newVisitor({ user_id: 'fast-typer', user_hash: userHash(widget.secret, 'fast-typer') });
    for (let i = 1; i <= 3; i++) expect((await visitor.send(`message ${i}`, `f-${i}`)).statusCode).toBe(202);
    const refused = await visitor.send('message 4', 'f-4');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await visitor.send('message 1', 'f-1')).statusCode).toBe(200);
    const texts = (await visitor.history()).messages.filter((m) => m.author === 'visitor').map((m) => m.text);
    expect(texts).toEqual(['message 1', 'message 2', 'message 3']);
    // Answered through its last message (by the emulator's simulated reply), or handed to people
    // past the hourly limit when a slow machine answered each message on its own, before the next
    // case scripts its own: a second reply, to a message that came while the first was written,
    // would otherwise take the next case's scripted answer.
    await until(async () => {
      const { messages, handled_by } = await visitor.history();
      return messages.at(-1)?.author === 'ai' || handled_by === 'people' ? true : undefined;
    }, 20_000);
  });

  it('hands an unverified visitor to people after the widget’s own number of AI answers', async () => {
    t.gemini.enqueue({ text: 'We open at 7.' });
    const visitor = await newVisitor();
    await visitor.send('When do you open?', 'u-1');
    await answered(visitor.history, 1);
    await visitor.send('And on Sundays?', 'u-2');
    const seen = await until(async () => {
      const history = await visitor.history();
      return history.handled_by === 'people' ? history : undefined;
    });
    expect(seen.messages.map((m) => [m.author, m.text])).toEqual([
      ['visitor', 'When do you open?'],
      ['ai', 'We open at 7.'],
      ['visitor', 'And on Sundays?'],
      ['ai', 'A colleague will answer here.'],
    ]);
    const handover = t.published.find(
      ({ event }) => event.type === 'conversation.status_changed' && event.data.reason === 'customer_rate_limited',
    );
    expect(handover).toBeDefined();
  });

  it('lets a verified customer past the widget’s cap, up to the operator’s per-customer limit', async () => {
    t.gemini.enqueue({ text: 'One.' }, { text: 'Two.' });
    const id = 'customer-7';
    const visitor = await newVisitor({ user_id: id, user_hash: userHash(widget.secret, id) });
    await visitor.send('first', 'v-1');
    await answered(visitor.history, 1);
    await visitor.send('second', 'v-2');
    await answered(visitor.history, 2);
    await visitor.send('third', 'v-3');
    const seen = await until(async () => {
      const history = await visitor.history();
      return history.handled_by === 'people' ? history : undefined;
    });
    expect(seen.messages.filter((m) => m.author === 'ai').map((m) => m.text)).toEqual(['One.', 'Two.']);
  });
});

describe('widget settings of the operator', () => {
  it('are refused at start when bad, naming the variable', () => {
    for (const [name, value] of [
      ['PARLEY_WIDGET_MESSAGES_PER_MINUTE', '-1'],
      ['PARLEY_WIDGET_VISITORS_PER_IP_PER_HOUR', 'lots'],
    ] as const) {
      let problems: string[] = [];
      try {
        testConfig({ [name]: value });
      } catch (error) {
        if (error instanceof ConfigError) problems = error.problems;
      }
      expect(problems.join('\n')).toContain(name);
    }
    expect(testConfig().widget).toEqual({ visitorsPerIpPerHour: 20, messagesPerMinute: 10 });
  });
});
