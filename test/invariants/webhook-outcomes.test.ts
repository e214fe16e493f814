import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** What Meta's deliveries came to, as /metrics counts them: one per messaging event. */
const APP_SECRET = 'meta-app-secret-for-outcomes';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { META_APP_SECRET: APP_SECRET, META_VERIFY_TOKEN: 'outcomes' } });
});
afterAll(() => t.close());

const deliver = (payload: unknown) => {
  const body = JSON.stringify(payload);
  return t.app.inject({
    method: 'POST',
    url: '/webhooks/instagram/',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}`,
    },
    payload: body,
  });
};

async function counts(): Promise<Record<string, number>> {
  const text = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^parley_webhook_deliveries_total\{([^}]*)\} (\d+)/.exec(line);
    if (!match || !match[1]!.includes('"instagram"')) continue;
    const result = /result="(\w+)"/.exec(match[1]!)?.[1];
    if (result) out[result] = Number(match[2]);
  }
  return out;
}

async function ignoredAfter(payload: unknown): Promise<number> {
  const before = (await counts()).ignored ?? 0;
  const response = await deliver(payload);
  expect(response.statusCode).toBe(200);
  expect(response.body).toBe('EVENT_RECEIVED');
  return ((await counts()).ignored ?? 0) - before;
}

const message = (igId: string, mid: string) => ({
  sender: { id: 'customer' },
  recipient: { id: igId },
  timestamp: 1,
  message: { mid, text: 'hello' },
});

describe('signed Instagram deliveries', () => {
  it('count each event for an account nobody connected as ignored, and store nothing', async () => {
    const ignored = await ignoredAfter({
      object: 'instagram',
      entry: [
        { id: 'a', messaging: [message('nobody-1', 'm1'), message('nobody-2', 'm2')] },
        { id: 'b', messaging: [message('nobody-3', 'm3')] },
      ],
    });
    expect(ignored).toBe(3);
    expect((await counts()).stored ?? 0).toBe(0);
  });

  it('count echoes and empty events as ignored, one each', async () => {
    const echo = { ...message('nobody', 'm4'), message: { mid: 'm4', text: 'ours', is_echo: true } };
    expect(await ignoredAfter({ object: 'instagram', entry: [{ id: 'a', messaging: [echo, { sender: {} }] }] })).toBe(
      2,
    );
  });

  it('count a delivery with no messaging events at all once, as ignored', async () => {
    expect(await ignoredAfter({ object: 'instagram', entry: [] })).toBe(1);
    expect(await ignoredAfter({ object: 'instagram', entry: [{ id: 'a', changes: [] }, 'junk'] })).toBe(1);
    expect(await ignoredAfter({ object: 'page', entry: [{ id: 'a', messaging: [message('x', 'm5')] }] })).toBe(1);
    expect(await ignoredAfter({ object: 'instagram', entry: { id: 'a' } })).toBe(1);
    expect(await ignoredAfter(['instagram'])).toBe(1);
  });
});
