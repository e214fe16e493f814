import { z } from 'zod';
import {
  commaList,
  flag,
  flagOn,
  httpUrl,
  milliseconds,
  optionalString,
  optionalTokenCap,
  optionalUrl,
  perMinute,
  seconds,
  timeZone,
  trustedProxies,
  url,
  wholeNumber,
} from './config-fields.js';

/**
 * The variables Parley reads and what each accepts (contract §2); read once, by `loadConfig`
 * (config.ts).
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** How long a token from the sign-in endpoint lasts unless PARLEY_SIGN_IN_TOKEN_DAYS says otherwise. */
export const DEFAULT_SIGN_IN_TOKEN_DAYS = 30;

/** Prompt tokens Gemini served from its cache cost this fraction of the input price (90% off on 2.5 and later). */
export const CACHED_INPUT_FRACTION = 0.1;

/** USD per million tokens; `cached` is the rate for prompt tokens served from Gemini's cache. */
export interface ModelPrice {
  input: number;
  output: number;
  cached: number;
}

const modelPrice = z
  .object({ input: z.number().min(0), output: z.number().min(0), cached: z.number().min(0).optional() })
  .transform(({ input, output, cached }): ModelPrice => ({
    input,
    output,
    cached: cached ?? Math.round(input * CACHED_INPUT_FRACTION * 1e6) / 1e6,
  }));

/**
 * USD per million tokens, paid tier; thinking tokens bill as output. Override with PARLEY_MODEL_PRICES.
 * A model missing here has no price: its usage is counted but its cost is unknown, never guessed.
 */
export const DEFAULT_MODEL_PRICES: Record<string, ModelPrice> = {
  'gemini-flash-latest': { input: 0.3, output: 2.5, cached: 0.03 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5, cached: 0.03 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cached: 0.01 },
  'gemini-3.1-flash-lite': { input: 0.25, output: 1.5, cached: 0.025 },
  'gemini-3.5-flash': { input: 1.5, output: 9, cached: 0.15 },
};

const modelPrices = z
  .string()
  .transform((text, context) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      context.addIssue({
        code: 'custom',
        message: 'must be JSON such as {"gemini-2.5-flash":{"input":0.3,"output":2.5}}',
      });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .record(z.string(), modelPrice, {
        error: 'must map model names to {"input": USD, "output": USD, "cached": USD (optional)} per million tokens',
      })
      .refine((prices) => !('default' in prices), {
        error:
          'must name each model: a "default" row is no longer used, a model without a price is reported as unpriced',
      }),
  );

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;

/** PARLEY_ALLOWED_MODELS: names separated by commas, none empty; blank means unset. */
const modelList = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
  z
    .string()
    .transform((text) => text.split(',').map((name) => name.trim()))
    .refine((names) => names.every((name) => name !== ''), 'must list model names separated by commas, none empty')
    .refine(
      (names) => names.every((name) => name === '' || MODEL_NAME.test(name)),
      'must list model names such as gemini-flash-latest,gemini-2.5-flash-lite',
    )
    .optional(),
);

export const envSchema = z.object({
  PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535')
    .max(65535, 'must be between 0 and 65535')
    .default(8000),
  HOST: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  PUBLIC_URL: optionalUrl(httpUrl),
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  PARLEY_PG_PREPARED_STATEMENTS: flagOn,
  PARLEY_DATA_DIR: z.string().trim().min(1, 'must not be empty').default('./data'),
  REDIS_URL: optionalUrl(['redis:', 'rediss:']),
  PARLEY_REDIS_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1–40 letters, digits, _ or -')
    .default('parley'),
  GEMINI_API_KEY: optionalString,
  GEMINI_BASE_URL: optionalUrl(httpUrl),
  PARLEY_SIMULATED_MODEL: flag,
  PARLEY_DEFAULT_MODEL: z
    .string()
    .trim()
    .regex(MODEL_NAME, 'must be a model name such as gemini-flash-latest')
    .default('gemini-flash-latest'),
  PARLEY_ALLOWED_MODELS: modelList,
  APP_SECRET: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z.string().min(32, 'must be at least 32 characters (generate one with `openssl rand -hex 32`)').optional(),
  ),
  GEMINI_TIMEOUT_MS: milliseconds(30_000, 600_000),
  GEMINI_RETRIES: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 10')
    .max(10, 'must be between 0 and 10')
    .default(3),
  GEMINI_DEADLINE_MS: milliseconds(60_000, 1_200_000),
  GEMINI_REQUESTS_PER_MINUTE: z.coerce
    .number({ error: 'must be a number of requests per minute' })
    .int('must be a whole number')
    .min(0, 'must be between 0 (no limit) and 100000')
    .max(100_000, 'must be between 0 (no limit) and 100000')
    .default(500),
  PARLEY_MODEL_PRICES: modelPrices.optional(),
  PARLEY_EXPLICIT_CACHE: z
    .string()
    .trim()
    .toLowerCase()
    .default('off')
    .refine((value) => ['on', 'off', ''].includes(value), 'must be on or off')
    .transform((value) => value === 'on'),
  PARLEY_EXPLICIT_CACHE_TTL_MINUTES: wholeNumber('minutes', 5, 1_440, 60),
  TELEGRAM_API_BASE: url(httpUrl).default('https://api.telegram.org'),
  META_GRAPH_BASE: url(httpUrl).default('https://graph.instagram.com/v23.0'),
  META_APP_SECRET: optionalString,
  META_VERIFY_TOKEN: optionalString,
  CORS_ORIGINS: commaList.refine(
    (origins) => origins.every((origin) => origin === '*' || /^https?:\/\/[^/\s]+$/.test(origin)),
    'must be a comma-separated list of origins such as https://app.example.com',
  ),
  PARLEY_TIMEZONE: timeZone.default('UTC'),
  PARLEY_SESSION_IDLE_DAYS: z.coerce
    .number({ error: 'must be a number of days' })
    .int('must be a whole number of days')
    .min(1, 'must be between 1 and 3650')
    .max(3650, 'must be between 1 and 3650')
    .default(30),
  PARLEY_METRICS_PORT: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z.coerce
      .number({ error: 'must be a port number' })
      .int('must be a whole number')
      .min(0, 'must be between 0 and 65535')
      .max(65535, 'must be between 0 and 65535')
      .optional(),
  ),
  // Tokens and live connections (issue #11): how long a sign-in lasts, and what one business,
  // one token and one process may hold open on /ws/.
  PARLEY_SIGN_IN_TOKEN_DAYS: wholeNumber('days', 1, 3650, DEFAULT_SIGN_IN_TOKEN_DAYS),
  // Dashboard sign-in (issue #13): a session unused this long is signed out, and any after this many days.
  PARLEY_DASHBOARD_IDLE_HOURS: wholeNumber('hours', 1, 8760, 72),
  PARLEY_DASHBOARD_MAX_DAYS: wholeNumber('days', 1, 3650, 30),
  PARLEY_WS_MAX_PER_BUSINESS: wholeNumber('connections', 1, 100_000, 50),
  PARLEY_WS_MAX_PER_TOKEN: wholeNumber('connections', 1, 100_000, 10),
  PARLEY_WS_MAX_CONNECTIONS: wholeNumber('connections', 1, 1_000_000, 10_000),
  PARLEY_WS_MESSAGES_PER_SECOND: wholeNumber('messages a second', 1, 10_000, 20),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),

  // Sealed credentials and what the health and metrics endpoints show (issue #11).
  APP_SECRET_PREVIOUS: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z.string().min(32, 'must be at least 32 characters: it is the APP_SECRET being replaced').optional(),
  ),
  PARLEY_METRICS_TOKEN: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z
      .string()
      .min(16, 'must be at least 16 characters (generate one with `openssl rand -hex 32`)')
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
      .optional(),
  ),
  // Abuse limits (issue #11): request rates, sign-in lock-outs, HTTP timeouts, password hashing.
  PARLEY_API_REQUESTS_PER_MINUTE: perMinute(600),
  PARLEY_ASKS_PER_MINUTE: perMinute(120),
  PARLEY_AGENT_REPLIES_PER_MINUTE: perMinute(120),
  PARLEY_WEBHOOKS_PER_MINUTE: perMinute(1200),
  PARLEY_SIGN_INS_PER_MINUTE: perMinute(20),
  // The shared key's economics (issue #15): caps for businesses without their own, and each customer's share.
  PARLEY_DEFAULT_DAILY_TOKENS: optionalTokenCap,
  PARLEY_DEFAULT_MONTHLY_TOKENS: optionalTokenCap,
  PARLEY_CUSTOMER_REPLIES_PER_HOUR: z.coerce
    .number({ error: 'must be a number of AI replies an hour' })
    .int('must be a whole number of AI replies an hour')
    .min(0, 'must be between 0 (no limit) and 10000')
    .max(10_000, 'must be between 0 (no limit) and 10000')
    .default(30),
  // The website widget's public API (issue #16): what one address or one visitor may do.
  PARLEY_WIDGET_VISITORS_PER_IP_PER_HOUR: z.coerce
    .number({ error: 'must be a number of new visitors an hour' })
    .int('must be a whole number')
    .min(0, 'must be between 0 (no limit) and 100000')
    .max(100_000, 'must be between 0 (no limit) and 100000')
    .default(20),
  PARLEY_WIDGET_MESSAGES_PER_MINUTE: z.coerce
    .number({ error: 'must be a number of messages a minute' })
    .int('must be a whole number')
    .min(0, 'must be between 0 (no limit) and 10000')
    .max(10_000, 'must be between 0 (no limit) and 10000')
    .default(10),
  // Whose X-Forwarded-For names the client: the per-address limits count clients, not the proxy.
  PARLEY_TRUSTED_PROXIES: trustedProxies,
  PARLEY_SIGN_IN_FAILURES: z.coerce
    .number({ error: 'must be a number of failed sign-ins' })
    .int('must be a whole number')
    .min(0, 'must be between 0 (never lock) and 1000')
    .max(1000, 'must be between 0 (never lock) and 1000')
    .default(5),
  PARLEY_SIGN_IN_LOCKOUT_SECONDS: seconds(60, 86_400),
  PARLEY_SIGN_IN_LOCKOUT_MAX_SECONDS: seconds(900, 86_400),
  PARLEY_REQUEST_TIMEOUT_MS: milliseconds(30_000, 600_000),
  PARLEY_HEADERS_TIMEOUT_MS: milliseconds(10_000, 600_000),
  PARLEY_CONNECTION_TIMEOUT_MS: milliseconds(120_000, 3_600_000),
  PARLEY_KEEP_ALIVE_TIMEOUT_MS: milliseconds(72_000, 3_600_000),
  PARLEY_PASSWORD_COST: z.coerce
    .number({ error: "must be a number (log2 of scrypt's N)" })
    .int('must be a whole number')
    // Below 17 only for test suites, which create many accounts; 20 already takes 1 GiB per hash.
    .min(10, "must be between 10 and 20 (17, the default, is OWASP's recommendation)")
    .max(20, "must be between 10 and 20 (17, the default, is OWASP's recommendation)")
    .default(17),
});

export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every variable the configuration reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** The configuration variables an environment sets, by name; blank ones count as unset, as they do above. */
export function configEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const set: Record<string, string> = {};
  for (const name of CONFIG_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') set[name] = value;
  }
  return set;
}
