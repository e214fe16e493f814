import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/kernel/config.js';
import { testConfig } from '../helpers/app.js';
import { createAiTestApp, type AiTestApp } from '../helpers/ai.js';
import { createWidget, widgetClient } from '../helpers/widget.js';

/**
 * PARLEY_TRUSTED_PROXIES: behind a reverse proxy every visitor connects from the proxy's
 * address, so the per-address limit on new visitors must count the client the proxy names in
 * X-Forwarded-For; and only a listed proxy may name it, or anyone could pick their own address.
 */
const PROXY = '10.1.0.5';

async function appWith(env: Record<string, string>) {
  const t = await createAiTestApp({ PARLEY_WIDGET_VISITORS_PER_IP_PER_HOUR: '2', ...env });
  const owner = await t.business('corner-shop');
  const widget = await createWidget(t, owner);
  const visitor = widgetClient(t, widget.publicId);
  /** A new visitor's request, from `remoteAddress`, with the X-Forwarded-For given (if any). */
  const start = async (remoteAddress: string, forwardedFor?: string) =>
    (
      await visitor.call({
        method: 'POST',
        url: 'visitors/',
        payload: {},
        remoteAddress,
        headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
      })
    ).statusCode;
  return { t, start };
}

describe('behind a trusted proxy', () => {
  let t: AiTestApp;
  let start: (remoteAddress: string, forwardedFor?: string) => Promise<number>;
  beforeAll(async () => {
    ({ t, start } = await appWith({ PARLEY_TRUSTED_PROXIES: '10.1.0.0/16, 192.0.2.1' }));
  });
  afterAll(() => t.close());

  it('counts new visitors per client the proxy names, not per proxy', async () => {
    expect([await start(PROXY, '198.51.100.1'), await start(PROXY, '198.51.100.1')]).toEqual([201, 201]);
    expect(await start(PROXY, '198.51.100.1')).toBe(429);
    // Other clients behind the same proxy are not held back by the first one's flood.
    expect([await start(PROXY, '198.51.100.2'), await start(PROXY, '198.51.100.3')]).toEqual([201, 201]);
  });

  it('takes the address nearest the proxy: a client cannot prepend its own choice', async () => {
    // The client sent "X-Forwarded-For: <anything>"; the proxy appended the address it saw.
    expect(await start(PROXY, '203.0.113.1, 198.51.100.7')).toBe(201);
    expect(await start(PROXY, '203.0.113.2, 198.51.100.7')).toBe(201);
    expect(await start(PROXY, '203.0.113.3, 198.51.100.7')).toBe(429);
  });

  it('believes no X-Forwarded-For from an address that is not a listed proxy', async () => {
    const direct = '203.0.113.50';
    expect([await start(direct, '198.51.100.20'), await start(direct, '198.51.100.21')]).toEqual([201, 201]);
    expect(await start(direct, '198.51.100.22')).toBe(429);
  });
});

describe('without PARLEY_TRUSTED_PROXIES', () => {
  let t: AiTestApp;
  let start: (remoteAddress: string, forwardedFor?: string) => Promise<number>;
  beforeAll(async () => {
    ({ t, start } = await appWith({}));
  });
  afterAll(() => t.close());

  it('ignores a forged X-Forwarded-For: one address stays one address', async () => {
    const flooder = '203.0.113.9';
    expect([await start(flooder, '198.51.100.1'), await start(flooder, '198.51.100.2')]).toEqual([201, 201]);
    expect(await start(flooder, '198.51.100.3')).toBe(429);
    expect(await start(flooder)).toBe(429);
  });

  it('counts an IPv6 client by its /64, so rotating addresses within its network does not escape', async () => {
    expect([await start('2001:db8:0:1::1'), await start('2001:db8:0:1:a::2')]).toEqual([201, 201]);
    expect(await start('2001:db8:0:1:ffff::3')).toBe(429);
    expect(await start('2001:db8:0:2::1')).toBe(201);
  });
});

describe('PARLEY_TRUSTED_PROXIES values', () => {
  const problemsOf = (value: string) => {
    try {
      testConfig({ PARLEY_TRUSTED_PROXIES: value });
      return '';
    } catch (error) {
      return error instanceof ConfigError ? error.problems.join('\n') : String(error);
    }
  };

  it('takes IPs, CIDRs and the named ranges; trusts none by default', () => {
    expect(testConfig().trustedProxies).toEqual([]);
    expect(
      testConfig({ PARLEY_TRUSTED_PROXIES: ' 10.0.0.5, 192.168.0.0/16,::1,fd00::/8,loopback ' }).trustedProxies,
    ).toEqual(['10.0.0.5', '192.168.0.0/16', '::1', 'fd00::/8', 'loopback']);
  });

  it('refuses a hop count, a wildcard and malformed addresses, naming the variable', () => {
    for (const value of ['1', 'true', '*', '10.0.0.0/33', '10.0.0', 'proxy.internal', '::1/129', '10.0.0.1/8/2']) {
      expect(problemsOf(value), value).toContain('PARLEY_TRUSTED_PROXIES');
    }
  });
});
