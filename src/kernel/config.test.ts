import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/parley');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('runs with an empty environment: embedded database under ./data, port 8000', () => {
    const config = loadConfig({}, '/srv/parley');
    expect(config.port).toBe(8000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.publicUrl).toBe('http://127.0.0.1:8000');
    expect(config.dataDir).toBe('/srv/parley/data');
    expect(config.database).toEqual({ kind: 'embedded', directory: path.join('/srv/parley/data', 'pglite') });
    expect(config.redisUrl).toBeUndefined();
    expect(config.gemini).toEqual({
      apiKey: undefined,
      simulated: false,
      baseUrl: undefined,
      defaultModel: 'gemini-flash-latest',
      allowedModels: ['gemini-flash-latest'],
      timeoutMs: 30_000,
      retries: 3,
      deadlineMs: 60_000,
      requestsPerMinute: 500,
      explicitCache: { enabled: false, ttlMinutes: 60 },
    });
    expect(config.redisPrefix).toBe('parley');
    expect(config.metricsPort).toBeUndefined();
    expect(config.modelPrices['gemini-flash-latest']).toEqual({ input: 0.3, output: 2.5, cached: 0.03 });
    expect(config.modelPrices.default).toBeUndefined();
    expect(config.telegramApiBase).toBe('https://api.telegram.org');
    expect(config.publicUrlSet).toBe(false);
    expect(config.timezone).toBe('UTC');
    expect(config.corsOrigins).toEqual([]);
  });

  it('switches to PostgreSQL and Redis when their URLs are set', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://parley@db/parley',
      REDIS_URL: 'redis://cache:6379',
      APP_SECRET: 'x'.repeat(32),
      PUBLIC_URL: 'https://chat.example.com/',
      CORS_ORIGINS: 'https://a.example.com, https://b.example.com',
    });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgres://parley@db/parley', preparedStatements: true });
    expect(config.redisUrl).toBe('redis://cache:6379');
    expect(config.publicUrl).toBe('https://chat.example.com');
    expect(config.publicUrlSet).toBe(true);
    expect(config.corsOrigins).toEqual(['https://a.example.com', 'https://b.example.com']);
  });

  it('prepares repeated statements on PostgreSQL unless told not to (a pooler that cannot keep them)', () => {
    const base = { DATABASE_URL: 'postgres://parley@db/parley', APP_SECRET: 'x'.repeat(32) };
    expect(loadConfig({ ...base, PARLEY_PG_PREPARED_STATEMENTS: 'off' }).database).toMatchObject({
      preparedStatements: false,
    });
    expect(loadConfig({ ...base, PARLEY_PG_PREPARED_STATEMENTS: '' }).database).toMatchObject({
      preparedStatements: true,
    });
    expect(() => loadConfig({ ...base, PARLEY_PG_PREPARED_STATEMENTS: 'sometimes' })).toThrow(
      /PARLEY_PG_PREPARED_STATEMENTS/,
    );
  });

  it('reads the explicit prompt cache switch and its time to live, refusing bad values', () => {
    const on = loadConfig({ PARLEY_EXPLICIT_CACHE: 'ON', PARLEY_EXPLICIT_CACHE_TTL_MINUTES: '15' });
    expect(on.gemini.explicitCache).toEqual({ enabled: true, ttlMinutes: 15 });
    expect(loadConfig({ PARLEY_EXPLICIT_CACHE: 'off' }).gemini.explicitCache.enabled).toBe(false);
    expect(problems({ PARLEY_EXPLICIT_CACHE: 'yes please', PARLEY_EXPLICIT_CACHE_TTL_MINUTES: '2' })).toEqual([
      'Invalid configuration: PARLEY_EXPLICIT_CACHE must be on or off (got "yes please")',
      'Invalid configuration: PARLEY_EXPLICIT_CACHE_TTL_MINUTES must be between 5 and 1440 (got "2")',
    ]);
  });

  it('names the variable and the problem, one line each', () => {
    expect(problems({ PORT: 'eighty' })).toEqual(['Invalid configuration: PORT must be a port number (got "eighty")']);
    expect(problems({ PORT: '70000', LOG_LEVEL: 'loud' })).toEqual([
      'Invalid configuration: PORT must be between 0 and 65535 (got "70000")',
      'Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ]);
    expect(problems({ PARLEY_TIMEZONE: 'Mars/Olympus' })[0]).toMatch(
      /^Invalid configuration: PARLEY_TIMEZONE must be an IANA time zone/,
    );
    expect(problems({ REDIS_URL: 'localhost:6379' })[0]).toMatch(
      /^Invalid configuration: REDIS_URL must be a URL starting with redis:\/\//,
    );
    expect(
      problems({ GEMINI_REQUESTS_PER_MINUTE: '-1', PARLEY_REDIS_PREFIX: 'a b', PARLEY_METRICS_PORT: 'x' }),
    ).toEqual([
      'Invalid configuration: PARLEY_REDIS_PREFIX must be 1–40 letters, digits, _ or - (got "a b")',
      'Invalid configuration: GEMINI_REQUESTS_PER_MINUTE must be between 0 (no limit) and 100000 (got "-1")',
      'Invalid configuration: PARLEY_METRICS_PORT must be a port number (got "x")',
    ]);
  });

  it('answers with the simulated model when asked, never beside a real key', () => {
    for (const on of ['1', 'true', 'YES', 'on']) {
      expect(loadConfig({ PARLEY_SIMULATED_MODEL: on }, '/srv').gemini.simulated).toBe(true);
    }
    for (const off of ['0', 'false', 'no', '']) {
      expect(loadConfig({ PARLEY_SIMULATED_MODEL: off }, '/srv').gemini.simulated).toBe(false);
    }
    expect(problems({ PARLEY_SIMULATED_MODEL: 'maybe' })).toEqual([
      'Invalid configuration: PARLEY_SIMULATED_MODEL must be 1 or 0 (got "maybe")',
    ]);
    const both = problems({ PARLEY_SIMULATED_MODEL: '1', GEMINI_API_KEY: 'real-key-123' });
    expect(both).toEqual([
      'Invalid configuration: PARLEY_SIMULATED_MODEL answers with simulated replies, GEMINI_API_KEY and GEMINI_BASE_URL with a real model: set one or the other',
    ]);
    expect(both[0]).not.toContain('real-key-123');
  });

  it('requires APP_SECRET with DATABASE_URL, and never echoes secrets', () => {
    expect(problems({ DATABASE_URL: 'postgres://db/parley' })).toEqual([
      expect.stringMatching(/^Invalid configuration: APP_SECRET is required when DATABASE_URL is set/),
    ]);
    const short = problems({ APP_SECRET: 'tooshort-secret-value' });
    expect(short).toHaveLength(1);
    expect(short[0]).toMatch(/^Invalid configuration: APP_SECRET must be at least 32 characters/);
    expect(short[0]).not.toContain('tooshort-secret-value');
    expect(problems({ DATABASE_URL: 'mysql://u:pw@db/x', APP_SECRET: 'x'.repeat(32) })[0]).not.toContain('pw');
  });

  it('reads the previous APP_SECRET and the metrics token, checking both without echoing them', () => {
    const config = loadConfig(
      { APP_SECRET_PREVIOUS: 'p'.repeat(32), PARLEY_METRICS_TOKEN: 'metrics-token-0123456789' },
      '/srv/parley',
    );
    expect(config.previousAppSecret).toBe('p'.repeat(32));
    expect(config.metricsToken).toBe('metrics-token-0123456789');
    expect(loadConfig({}, '/srv/parley')).toMatchObject({ previousAppSecret: undefined, metricsToken: undefined });

    expect(problems({ APP_SECRET_PREVIOUS: 'old-but-short', PARLEY_METRICS_TOKEN: 'has a space in it!!' })).toEqual([
      'Invalid configuration: APP_SECRET_PREVIOUS must be at least 32 characters: it is the APP_SECRET being replaced',
      'Invalid configuration: PARLEY_METRICS_TOKEN must be printable ASCII without spaces',
    ]);
    expect(problems({ PARLEY_METRICS_TOKEN: 'short' })).toEqual([
      'Invalid configuration: PARLEY_METRICS_TOKEN must be at least 16 characters (generate one with `openssl rand -hex 32`)',
    ]);
  });

  it('merges a price table over the defaults, and explains a bad one', () => {
    const config = loadConfig({
      PARLEY_MODEL_PRICES: '{"my-model":{"input":1,"output":2},"my-cached":{"input":1,"output":2,"cached":0.25}}',
    });
    // Without a cached rate, cached prompt tokens cost a tenth of the input price.
    expect(config.modelPrices['my-model']).toEqual({ input: 1, output: 2, cached: 0.1 });
    expect(config.modelPrices['my-cached']).toEqual({ input: 1, output: 2, cached: 0.25 });
    expect(config.modelPrices['gemini-2.5-flash']).toEqual({ input: 0.3, output: 2.5, cached: 0.03 });
    expect(problems({ PARLEY_MODEL_PRICES: '{"default":{"input":0.3,"output":2.5}}' })[0]).toMatch(
      /^Invalid configuration: PARLEY_MODEL_PRICES must name each model: a "default" row is no longer used/,
    );
    expect(problems({ PARLEY_MODEL_PRICES: '{oops' })[0]).toMatch(
      /^Invalid configuration: PARLEY_MODEL_PRICES must be JSON/,
    );
    expect(problems({ PARLEY_MODEL_PRICES: '{"m":{"input":-1,"output":2}}' })).toHaveLength(1);
    expect(problems({ GEMINI_RETRIES: '99' })).toEqual([
      'Invalid configuration: GEMINI_RETRIES must be between 0 and 10 (got "99")',
    ]);
  });

  it('lets businesses choose only the allowed models, the default always among them', () => {
    expect(loadConfig({}).gemini.allowedModels).toEqual(['gemini-flash-latest']);
    const config = loadConfig({
      PARLEY_DEFAULT_MODEL: 'gemini-2.5-flash-lite',
      PARLEY_ALLOWED_MODELS: ' gemini-2.5-flash , gemini-2.5-flash-lite,models/custom-1 ',
    });
    // The default comes first and is not repeated.
    expect(config.gemini.allowedModels).toEqual(['gemini-2.5-flash-lite', 'gemini-2.5-flash', 'models/custom-1']);
    expect(loadConfig({ PARLEY_ALLOWED_MODELS: 'gemini-2.5-flash' }).gemini.allowedModels).toEqual([
      'gemini-flash-latest',
      'gemini-2.5-flash',
    ]);
    expect(loadConfig({ PARLEY_ALLOWED_MODELS: '  ' }).gemini.allowedModels).toEqual(['gemini-flash-latest']);
    expect(problems({ PARLEY_ALLOWED_MODELS: 'gemini-2.5-flash,,gemini-flash-latest' })).toEqual([
      'Invalid configuration: PARLEY_ALLOWED_MODELS must list model names separated by commas, none empty (got "gemini-2.5-flash,,gemini-flash-latest")',
    ]);
    expect(problems({ PARLEY_ALLOWED_MODELS: 'gemini-2.5-flash,' })).toHaveLength(1);
    expect(problems({ PARLEY_ALLOWED_MODELS: 'gemini 2.5 flash' })).toEqual([
      'Invalid configuration: PARLEY_ALLOWED_MODELS must list model names such as gemini-flash-latest,gemini-2.5-flash-lite (got "gemini 2.5 flash")',
    ]);
  });

  it("limits requests, locks out guessed usernames, times out slow clients and hashes at OWASP's cost by default", () => {
    const config = loadConfig({}, '/srv/parley');
    expect(config.limits).toEqual({
      apiRequestsPerMinute: 600,
      asksPerMinute: 120,
      agentRepliesPerMinute: 120,
      webhooksPerMinute: 1200,
      signInsPerMinute: 20,
      signInFailures: 5,
      signInLockoutMs: 60_000,
      signInLockoutMaxMs: 900_000,
    });
    expect(config.timeouts).toEqual({
      requestMs: 30_000,
      headersMs: 10_000,
      connectionMs: 120_000,
      keepAliveMs: 72_000,
    });
    expect(config.passwordCost).toBe(17);
    expect(loadConfig({ PARLEY_ASKS_PER_MINUTE: '0', PARLEY_SIGN_IN_FAILURES: '0' }).limits).toMatchObject({
      asksPerMinute: 0,
      signInFailures: 0,
    });
  });

  it('refuses limits and timeouts that contradict each other, and a password cost out of range', () => {
    expect(problems({ PARLEY_SIGN_IN_LOCKOUT_SECONDS: '600', PARLEY_SIGN_IN_LOCKOUT_MAX_SECONDS: '60' })).toEqual([
      'Invalid configuration: PARLEY_SIGN_IN_LOCKOUT_MAX_SECONDS must not be shorter than PARLEY_SIGN_IN_LOCKOUT_SECONDS (600)',
    ]);
    expect(problems({ PARLEY_HEADERS_TIMEOUT_MS: '40000' })).toEqual([
      'Invalid configuration: PARLEY_HEADERS_TIMEOUT_MS must not be longer than PARLEY_REQUEST_TIMEOUT_MS (30000)',
    ]);
    expect(problems({ PARLEY_CONNECTION_TIMEOUT_MS: '60000' })).toEqual([
      'Invalid configuration: PARLEY_CONNECTION_TIMEOUT_MS must be longer than GEMINI_DEADLINE_MS (60000)',
    ]);
    expect(problems({ PARLEY_PASSWORD_COST: '9', PARLEY_API_REQUESTS_PER_MINUTE: '-5' })).toEqual([
      'Invalid configuration: PARLEY_API_REQUESTS_PER_MINUTE must be between 0 (no limit) and 1000000 (got "-5")',
      "Invalid configuration: PARLEY_PASSWORD_COST must be between 10 and 20 (17, the default, is OWASP's recommendation)",
    ]);
  });

  it('limits tokens and live connections: defaults, overrides, and a bad value shown', () => {
    const defaults = loadConfig({});
    expect(defaults.tokens).toEqual({ signInTtlDays: 30 });
    expect(defaults.websocket).toEqual({
      maxPerBusiness: 50,
      maxPerToken: 10,
      maxConnections: 10_000,
      messagesPerSecond: 20,
    });
    const set = loadConfig({ PARLEY_SIGN_IN_TOKEN_DAYS: '7', PARLEY_WS_MAX_PER_TOKEN: '3' });
    expect(set.tokens.signInTtlDays).toBe(7);
    expect(set.websocket.maxPerToken).toBe(3);
    expect(problems({ PARLEY_SIGN_IN_TOKEN_DAYS: '0', PARLEY_WS_MAX_PER_TOKEN: 'lots' })).toEqual([
      'Invalid configuration: PARLEY_SIGN_IN_TOKEN_DAYS must be between 1 and 3650 (got "0")',
      'Invalid configuration: PARLEY_WS_MAX_PER_TOKEN must be a number of connections (got "lots")',
    ]);
    expect(problems({ PARLEY_WS_MESSAGES_PER_SECOND: '2.5' })).toEqual([
      'Invalid configuration: PARLEY_WS_MESSAGES_PER_SECOND must be a whole number of messages a second (got "2.5")',
    ]);
  });

  it('caps businesses by default only when told, limits each customer to 30 AI replies an hour, and refuses bad values', () => {
    const defaults = loadConfig({});
    expect(defaults.defaultQuota).toEqual({ dailyTokens: undefined, monthlyTokens: undefined });
    expect(defaults.customerRepliesPerHour).toBe(30);
    const set = loadConfig({
      PARLEY_DEFAULT_DAILY_TOKENS: '50000',
      PARLEY_DEFAULT_MONTHLY_TOKENS: ' ',
      PARLEY_CUSTOMER_REPLIES_PER_HOUR: '0',
    });
    expect(set.defaultQuota).toEqual({ dailyTokens: 50_000, monthlyTokens: undefined });
    expect(set.customerRepliesPerHour).toBe(0);
    expect(
      problems({
        PARLEY_DEFAULT_DAILY_TOKENS: '0',
        PARLEY_DEFAULT_MONTHLY_TOKENS: '1e13',
        PARLEY_CUSTOMER_REPLIES_PER_HOUR: '-1',
      }),
    ).toEqual([
      'Invalid configuration: PARLEY_DEFAULT_DAILY_TOKENS must be a number of tokens from 1 to 1000000000000 (leave it unset for no default cap) (got "0")',
      'Invalid configuration: PARLEY_DEFAULT_MONTHLY_TOKENS must be a number of tokens from 1 to 1000000000000 (got "1e13")',
      'Invalid configuration: PARLEY_CUSTOMER_REPLIES_PER_HOUR must be between 0 (no limit) and 10000 (got "-1")',
    ]);
    expect(problems({ PARLEY_DEFAULT_DAILY_TOKENS: 'lots', PARLEY_CUSTOMER_REPLIES_PER_HOUR: '2.5' })).toEqual([
      'Invalid configuration: PARLEY_DEFAULT_DAILY_TOKENS must be a number of tokens from 1 to 1000000000000 (got "lots")',
      'Invalid configuration: PARLEY_CUSTOMER_REPLIES_PER_HOUR must be a whole number of AI replies an hour (got "2.5")',
    ]);
  });

  it('ends dashboard sessions left idle or too old: defaults, overrides, and a bad value shown', () => {
    expect(loadConfig({}).dashboard).toEqual({ idleHours: 72, maxDays: 30 });
    expect(loadConfig({ PARLEY_DASHBOARD_MAX_DAYS: '7' }).dashboard.maxDays).toBe(7);
    expect(problems({ PARLEY_DASHBOARD_MAX_DAYS: '0', PARLEY_DASHBOARD_IDLE_HOURS: 'a while' })).toEqual([
      'Invalid configuration: PARLEY_DASHBOARD_IDLE_HOURS must be a number of hours (got "a while")',
      'Invalid configuration: PARLEY_DASHBOARD_MAX_DAYS must be between 1 and 3650 (got "0")',
    ]);
  });

  it('treats empty values as unset', () => {
    const config = loadConfig({ DATABASE_URL: '', REDIS_URL: ' ', GEMINI_API_KEY: '' });
    expect(config.database.kind).toBe('embedded');
    expect(config.redisUrl).toBeUndefined();
    expect(config.gemini.apiKey).toBeUndefined();
  });
});
