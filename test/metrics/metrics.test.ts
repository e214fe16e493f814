import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { replyToConversation } from '../../src/ai/reply.jobs.js';
import { usageRecords } from '../../src/db/schema/index.js';
import { createTelegramTestApp, type TelegramTestApp } from '../helpers/telegram.js';
import { telegramTextUpdate, type TelegramFake } from '../fakes/telegram.js';

/** GET /metrics: what an operator's Prometheus sees after people use Parley. */
const BOT_TOKEN = '555000222:AAEmetricsBotTokenForTheMetricsTest00';
const MODEL = 'gemini-flash-latest';

let t: TelegramTestApp;
let telegram: TelegramFake;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of the Prometheus text format, labels parsed. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1]!, label[2]!]),
    );
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(): Promise<Sample[]> {
  const response = await t.app.inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  return parse(response.body);
}

/** The sum over the series of `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value))
    .reduce((sum, s) => sum + s.value, 0);
}

const ask = (token: string, question: string) =>
  t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question, customer_id: 'ana@example.com' } });

beforeAll(async () => {
  t = await createTelegramTestApp({ token: BOT_TOKEN, id: 555000222, username: 'metrics_bot' });
  telegram = t.telegram;
});
afterAll(() => t.close());
beforeEach(() => t.gemini.reset());

describe('GET /metrics', () => {
  it('is Prometheus text, every name prefixed parley_, and not in the API description', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const names = [...response.body.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!);
    expect(names).toEqual(
      expect.arrayContaining([
        'parley_process_cpu_seconds_total',
        'parley_nodejs_heap_size_used_bytes',
        'parley_http_requests_total',
        'parley_http_request_duration_seconds',
        'parley_model_calls_total',
        'parley_model_tokens_total',
        'parley_queue_jobs',
        'parley_webhook_deliveries_total',
        'parley_websocket_connections',
      ]),
    );
    expect(names.filter((name) => !name.startsWith('parley_'))).toEqual([]);
    expect(total(parse(response.body), 'parley_websocket_connections')).toBe(0);

    const openapi = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(Object.keys(openapi.json<{ paths: object }>().paths)).not.toContain('/metrics');
  });

  it('counts requests by route template and status, never by raw URL', async () => {
    const token = await t.business('rosa');
    t.gemini.enqueue({ text: 'We open at 7.' });
    expect((await ask(token, 'When do you open?')).statusCode).toBe(200);
    const bad = await t.as(token, { method: 'POST', url: '/api/v1/ai/ask/', payload: { question: '' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'validation_error' });
    const session = await t.as(token, { method: 'GET', url: '/api/v1/ai/sessions/msg_nosuchthing00/' });
    expect(session.statusCode).toBe(404);

    const samples = await scrape();
    const ask200 = { method: 'POST', route: '/api/v1/ai/ask/', status: '200' };
    expect(total(samples, 'parley_http_requests_total', ask200)).toBe(1);
    expect(total(samples, 'parley_http_requests_total', { ...ask200, status: '400' })).toBe(1);
    expect(
      total(samples, 'parley_http_requests_total', { route: '/api/v1/ai/sessions/:session_id/', status: '404' }),
    ).toBe(1);
    expect(
      total(samples, 'parley_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/ai/ask/' }),
    ).toBe(2);
    expect(samples.some((s) => s.labels.route?.includes('nosuchthing'))).toBe(false);
    // Scrapes measure Prometheus, not the API: they are left out.
    expect(total(samples, 'parley_http_requests_total', { route: '/metrics' })).toBe(0);
  });

  it('puts a scan of unknown URLs under one "unmatched" series', async () => {
    const before = (await scrape()).filter((s) => s.name === 'parley_http_requests_total').length;
    for (let i = 0; i < 25; i++) {
      const response = await t.app.inject({ method: 'GET', url: `/wp-admin/${randomBytes(6).toString('hex')}.php` });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'not_found' });
    }
    const samples = await scrape();
    const series = samples.filter((s) => s.name === 'parley_http_requests_total');
    expect(series.length).toBe(before + 1);
    expect(total(samples, 'parley_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(25);
    expect(samples.some((s) => Object.values(s.labels).some((value) => value.includes('wp-admin')))).toBe(false);
  });

  it("counts the model's calls, tokens and errors as the usage records do", async () => {
    const token = await t.business('bakery');
    t.gemini.enqueue(
      {
        text: 'Bread until 18.',
        usage: { promptTokenCount: 120, candidatesTokenCount: 8, thoughtsTokenCount: 4, totalTokenCount: 132 },
      },
      { text: 'Yes, rye too.', usage: { promptTokenCount: 150, candidatesTokenCount: 6, totalTokenCount: 156 } },
    );
    expect((await ask(token, 'Bread?')).statusCode).toBe(200);
    expect((await ask(token, 'Rye?')).statusCode).toBe(200);
    const failing = await t.business('failing');
    t.gemini.enqueue({ error: { status: 503 } }, { error: { status: 500 } }, { error: { status: 503 } });
    expect((await ask(failing, 'Anyone there?')).statusCode).toBe(502);

    const samples = await scrape();
    const records = await t.db.select().from(usageRecords);
    const sum = (pick: (record: (typeof records)[number]) => number) =>
      records.reduce((acc, record) => acc + pick(record), 0);
    const succeeded = records.filter((record) => record.outcome === 'success').length;
    const failed = records.filter((record) => record.outcome === 'error');

    expect(total(samples, 'parley_model_calls_total', { model: MODEL })).toBe(records.length);
    expect(total(samples, 'parley_model_calls_total', { model: MODEL, outcome: 'text' })).toBe(succeeded);
    expect(total(samples, 'parley_model_calls_total', { model: MODEL, outcome: 'error' })).toBe(failed.length);
    expect(total(samples, 'parley_model_call_duration_seconds_count', { model: MODEL })).toBe(records.length);
    for (const [kind, pick] of [
      ['prompt', (r: (typeof records)[number]) => r.promptTokens],
      ['completion', (r: (typeof records)[number]) => r.completionTokens],
      ['thought', (r: (typeof records)[number]) => r.thoughtTokens],
    ] as const) {
      expect(total(samples, 'parley_model_tokens_total', { model: MODEL, kind })).toBe(sum(pick));
    }
    expect(sum((r) => r.promptTokens)).toBeGreaterThanOrEqual(270);
    expect(failed).toEqual([expect.objectContaining({ errorClass: 'server_error' })]);
    expect(total(samples, 'parley_model_errors_total', { model: MODEL, error_class: 'server_error' })).toBe(1);
  });

  it('counts Telegram deliveries: stored, a retry as duplicate, a bad secret as rejected', async () => {
    // A long reply wait keeps the message's reply job waiting, where the queue gauge shows it.
    await t.telegramBusiness('kiosk', { reply_debounce_ms: 30_000 });
    const update = telegramTextUpdate({ updateId: 1, messageId: 10, chatId: 77, text: 'Hi!', firstName: 'Ana' });
    expect(await telegram.deliver(BOT_TOKEN, update)).toMatchObject({ status: 200 });
    expect(await telegram.deliver(BOT_TOKEN, update)).toMatchObject({ status: 200 });
    expect(await telegram.deliver(BOT_TOKEN, update, { secretToken: 'not-the-secret' })).toMatchObject({
      status: 401,
    });

    const samples = await scrape();
    const deliveries = (result: string) =>
      total(samples, 'parley_webhook_deliveries_total', { channel: 'telegram', result });
    expect([deliveries('stored'), deliveries('duplicate'), deliveries('rejected')]).toEqual([1, 1, 1]);
    expect(
      total(samples, 'parley_http_requests_total', {
        method: 'POST',
        route: '/webhooks/telegram/:channel_id/',
        status: '200',
      }),
    ).toBe(2);

    const queued = samples.filter((s) => s.name === 'parley_queue_jobs');
    expect(new Set(queued.map((s) => s.labels.state))).toEqual(new Set(['waiting', 'active', 'delayed', 'failed']));
    expect(total(samples, 'parley_queue_jobs', { queue: replyToConversation.name, state: 'delayed' })).toBe(1);
  });

  it('counts an Instagram delivery without a valid signature as rejected', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/webhooks/instagram/',
      headers: { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
      payload: { object: 'instagram', entry: [] },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'permission_denied' });
    const samples = await scrape();
    expect(total(samples, 'parley_webhook_deliveries_total', { channel: 'instagram', result: 'rejected' })).toBe(1);
    expect(total(samples, 'parley_webhook_deliveries_total', { channel: 'instagram', result: 'stored' })).toBe(0);
  });
});
