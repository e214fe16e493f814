import { describe, expect, it } from 'vitest';
import { unusableWebhookAddress, usesOfficialBotApi, webhookAddressProblems } from './webhook-address.js';

describe('webhookAddressProblems', () => {
  it('accepts public https addresses on the four ports Telegram calls', () => {
    for (const url of [
      'https://chat.example.com',
      'https://chat.example.com:443/parley',
      'https://chat.example.com:8443',
      'https://chat.example.com:88',
      'https://chat.example.com:80',
      'https://rosa-bakery.trycloudflare.com',
      'https://203.0.113.7',
      'https://[2001:db8::7]',
    ]) {
      expect(webhookAddressProblems(url), url).toEqual([]);
    }
  });

  it('names each problem of an address Telegram would not call', () => {
    expect(webhookAddressProblems('http://127.0.0.1:8000')).toEqual([
      'not https',
      'port 8000',
      '127.0.0.1 is a private address',
    ]);
    expect(webhookAddressProblems('http://chat.example.com')).toEqual(['not https']);
    expect(webhookAddressProblems('https://chat.example.com:3000')).toEqual(['port 3000']);
    for (const [url, problem] of [
      ['https://10.1.2.3', '10.1.2.3 is a private address'],
      ['https://172.20.0.5', '172.20.0.5 is a private address'],
      ['https://192.168.1.20:8443', '192.168.1.20 is a private address'],
      ['https://169.254.1.1', '169.254.1.1 is a private address'],
      ['https://100.100.1.1', '100.100.1.1 is a private address'],
      ['https://[::1]', '::1 is a private address'],
      ['https://[fd12::1]', 'fd12::1 is a private address'],
      ['https://localhost', 'localhost is a local name'],
      ['https://parley.localhost', 'parley.localhost is a local name'],
      ['https://bakery.local', 'bakery.local is a local name'],
      ['https://myserver', 'myserver is a local name'],
    ]) {
      expect(webhookAddressProblems(url!), url).toEqual([problem]);
    }
  });
});

describe('unusableWebhookAddress', () => {
  const official = { telegramApiBase: 'https://api.telegram.org', host: '127.0.0.1', port: 8000 };

  it('explains the rule, what PUBLIC_URL is and what to do', () => {
    expect(unusableWebhookAddress({ ...official, publicUrl: 'http://127.0.0.1:8000', publicUrlSet: true })).toBe(
      'Telegram only calls public HTTPS URLs on port 443, 80, 88 or 8443; PUBLIC_URL is http://127.0.0.1:8000 (not https, port 8000, 127.0.0.1 is a private address). ' +
        'On a laptop, start a tunnel such as `cloudflared tunnel --url http://127.0.0.1:8000` and set PUBLIC_URL to the https URL it prints; ' +
        'on a server, set PUBLIC_URL to its public https address. Then connect the bot again.',
    );
  });

  it('says when PUBLIC_URL is not set, and tunnels to the port the server listens on', () => {
    expect(
      unusableWebhookAddress({
        ...official,
        host: '0.0.0.0',
        port: 9000,
        publicUrl: 'http://127.0.0.1:9000',
        publicUrlSet: false,
      }),
    ).toMatch(
      /; PUBLIC_URL is not set, so Parley's address is http:\/\/127\.0\.0\.1:9000\. On a laptop, start a tunnel such as `cloudflared tunnel --url http:\/\/127\.0\.0\.1:9000`/,
    );
  });

  it('holds only Telegram’s own Bot API to the rules: a self-hosted one calls any address', () => {
    const local = { host: '127.0.0.1', port: 8000, publicUrl: 'http://127.0.0.1:8000', publicUrlSet: false };
    expect(unusableWebhookAddress({ ...local, telegramApiBase: 'http://127.0.0.1:8081' })).toBeUndefined();
    expect(unusableWebhookAddress({ ...local, telegramApiBase: 'https://api.telegram.org' })).toBeDefined();
    expect(
      unusableWebhookAddress({ ...official, publicUrl: 'https://chat.example.com', publicUrlSet: true }),
    ).toBeUndefined();
    expect(usesOfficialBotApi({ telegramApiBase: 'https://API.Telegram.org' })).toBe(true);
    expect(usesOfficialBotApi({ telegramApiBase: 'https://telegram.internal.example.com' })).toBe(false);
  });
});
