import path from 'node:path';
import { DEFAULT_MODEL_PRICES, envSchema, type LogLevel, type ModelPrice } from './config-env.js';

export {
  CACHED_INPUT_FRACTION,
  CONFIG_VARIABLES,
  configEnvironment,
  DEFAULT_MODEL_PRICES,
  DEFAULT_SIGN_IN_TOKEN_DAYS,
} from './config-env.js';
export type { LogLevel, ModelPrice } from './config-env.js';

/**
 * The one place Parley reads its environment (contract §2). Everything else
 * receives a typed `Config`; nothing else touches `process.env`.
 */

export type DatabaseConfig =
  | { kind: 'embedded'; directory: string }
  /** preparedStatements: off behind a pooler that cannot keep them (PgBouncer in transaction mode before 1.21). */
  | { kind: 'postgres'; url: string; preparedStatements?: boolean };

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  /** Whether PUBLIC_URL was set; otherwise publicUrl is this server's own http address. */
  publicUrlSet: boolean;
  dataDir: string;
  database: DatabaseConfig;
  redisUrl: string | undefined;
  /** Namespaces Parley's keys, queues and channels, so several deployments can share one Redis. */
  redisPrefix: string;
  /** Undefined in embedded mode until the secret is loaded from (or written to) the data dir. */
  appSecret: string | undefined;
  gemini: {
    apiKey: string | undefined;
    /**
     * Answer with the built-in stand-in for Gemini (every reply starts with
     * "[Simulated]"), for trying Parley without a key. The process that serves
     * starts it and points apiKey and baseUrl at it (src/cli/simulated-model.ts).
     */
    simulated: boolean;
    baseUrl: string | undefined;
    defaultModel: string;
    /**
     * The models a business may choose (PARLEY_ALLOWED_MODELS), the default
     * always first: a business cannot put the operator's key on another model.
     */
    allowedModels: string[];
    timeoutMs: number;
    retries: number;
    deadlineMs: number;
    /** Calls per minute on the shared key, across every process; 0 = no limit. */
    requestsPerMinute: number;
    /** PARLEY_EXPLICIT_CACHE: a cachedContents entry per business prompt large enough, kept this long. */
    explicitCache: { enabled: boolean; ttlMinutes: number };
  };
  /** USD per million tokens by model; a model not listed is unpriced. */
  modelPrices: Record<string, ModelPrice>;
  telegramApiBase: string;
  meta: { graphBase: string; appSecret: string | undefined; verifyToken: string | undefined };
  corsOrigins: string[];
  timezone: string;
  /** Sessions idle this long are marked inactive by the nightly cleanup. */
  sessionIdleDays: number;
  /** Where `parley worker` serves /metrics; unset = it serves nothing. */
  metricsPort: number | undefined;
  tokens: {
    /** Tokens from `POST /api/v1/auth/token/` expire this many days after sign-in. */
    signInTtlDays: number;
  };
  dashboard: {
    /** A dashboard session unused this many hours is refused, and deleted by the nightly cleanup. */
    idleHours: number;
    /** A dashboard session this many days old is refused however much it is used: sign in again. */
    maxDays: number;
  };
  /** Limits on `/ws/`, each counted on one `serve` process. */
  websocket: {
    maxPerBusiness: number;
    maxPerToken: number;
    maxConnections: number;
    /** A socket's inbound budget: a burst of this many, refilled at this rate. */
    messagesPerSecond: number;
  };
  logLevel: LogLevel;
  /** APP_SECRET_PREVIOUS: still opens credentials sealed under it, which are re-sealed under appSecret. */
  previousAppSecret: string | undefined;
  /** Bearer token /metrics and /readyz's details ask for; unset = /metrics is open and no details are shown. */
  metricsToken: string | undefined;
  /** Requests per minute (0 = no limit) and the sign-in lock-out; see src/app/rate-limits.ts. */
  limits: {
    /** Per API token, every authenticated request. */
    apiRequestsPerMinute: number;
    /** Per business: `ask` and a session's `send`, each a model call. */
    asksPerMinute: number;
    /** Per business: agents' replies to customers. */
    agentRepliesPerMinute: number;
    /** Per channel webhook. */
    webhooksPerMinute: number;
    /** Sign-in attempts per client IP. */
    signInsPerMinute: number;
    /** Failed sign-ins for one username before it is locked; 0 = never. */
    signInFailures: number;
    signInLockoutMs: number;
    signInLockoutMaxMs: number;
  };
  /** Caps on the shared key for every business without its own (src/usage/quota.service.ts); undefined = none. */
  defaultQuota: { dailyTokens: number | undefined; monthlyTokens: number | undefined };
  /** AI replies one customer may trigger in an hour, per business; 0 = no limit (src/ai/customer-limit.ts). */
  customerRepliesPerHour: number;
  /** The website widget's public API: new visitors per IP an hour, messages per visitor a minute; 0 = no limit. */
  widget: { visitorsPerIpPerHour: number; messagesPerMinute: number };
  /**
   * Reverse proxies (IPs, CIDRs, proxy-addr's range names) whose X-Forwarded-For gives the
   * client's address (`request.ip`); empty = the connecting address is the client's.
   */
  trustedProxies: string[];
  /** Node's HTTP server timeouts; see buildApp. */
  timeouts: { requestMs: number; headersMs: number; connectionMs: number; keepAliveMs: number };
  /** log2 of scrypt's N for new password hashes. */
  passwordCost: number;
}

/** Thrown with one line per invalid variable; the CLI prints them and exits. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? 'environment');
      const raw = env[variable];
      const shown = raw === undefined || isSecret(variable) ? '' : ` (got ${JSON.stringify(raw)})`;
      return `Invalid configuration: ${variable} ${issue.message}${shown}`;
    });
    throw new ConfigError(problems);
  }
  const e = parsed.data;
  if (e.DATABASE_URL && !e.APP_SECRET) {
    throw new ConfigError([
      'Invalid configuration: APP_SECRET is required when DATABASE_URL is set (generate one with `openssl rand -hex 32`)',
    ]);
  }
  const limitProblems = [
    ...(e.PARLEY_SIGN_IN_LOCKOUT_MAX_SECONDS < e.PARLEY_SIGN_IN_LOCKOUT_SECONDS
      ? [
          `PARLEY_SIGN_IN_LOCKOUT_MAX_SECONDS must not be shorter than PARLEY_SIGN_IN_LOCKOUT_SECONDS (${e.PARLEY_SIGN_IN_LOCKOUT_SECONDS})`,
        ]
      : []),
    // Node refuses a headers timeout longer than the request's; both bound a slow client.
    ...(e.PARLEY_HEADERS_TIMEOUT_MS > e.PARLEY_REQUEST_TIMEOUT_MS
      ? [`PARLEY_HEADERS_TIMEOUT_MS must not be longer than PARLEY_REQUEST_TIMEOUT_MS (${e.PARLEY_REQUEST_TIMEOUT_MS})`]
      : []),
    // `ask` keeps its connection silent while the model answers; the idle timeout must outlast that.
    ...(e.PARLEY_CONNECTION_TIMEOUT_MS <= e.GEMINI_DEADLINE_MS
      ? [`PARLEY_CONNECTION_TIMEOUT_MS must be longer than GEMINI_DEADLINE_MS (${e.GEMINI_DEADLINE_MS})`]
      : []),
  ];
  if (e.PARLEY_SIMULATED_MODEL && (e.GEMINI_API_KEY || e.GEMINI_BASE_URL)) {
    limitProblems.push(
      'PARLEY_SIMULATED_MODEL answers with simulated replies, GEMINI_API_KEY and GEMINI_BASE_URL with a real model: set one or the other',
    );
  }
  if (limitProblems.length > 0) {
    throw new ConfigError(limitProblems.map((problem) => `Invalid configuration: ${problem}`));
  }
  const dataDir = path.resolve(cwd, e.PARLEY_DATA_DIR);
  const publicHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST;
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://${publicHost}:${e.PORT}`).replace(/\/+$/, ''),
    publicUrlSet: e.PUBLIC_URL !== undefined,
    dataDir,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, preparedStatements: e.PARLEY_PG_PREPARED_STATEMENTS }
      : { kind: 'embedded', directory: path.join(dataDir, 'pglite') },
    redisUrl: e.REDIS_URL,
    redisPrefix: e.PARLEY_REDIS_PREFIX,
    appSecret: e.APP_SECRET,
    gemini: {
      apiKey: e.GEMINI_API_KEY,
      simulated: e.PARLEY_SIMULATED_MODEL,
      baseUrl: e.GEMINI_BASE_URL,
      defaultModel: e.PARLEY_DEFAULT_MODEL,
      // The default is always allowed: it is what a business without a choice, or with one the
      // operator has since withdrawn, is answered with.
      allowedModels: [...new Set([e.PARLEY_DEFAULT_MODEL, ...(e.PARLEY_ALLOWED_MODELS ?? [])])],
      timeoutMs: e.GEMINI_TIMEOUT_MS,
      retries: e.GEMINI_RETRIES,
      deadlineMs: e.GEMINI_DEADLINE_MS,
      requestsPerMinute: e.GEMINI_REQUESTS_PER_MINUTE,
      explicitCache: { enabled: e.PARLEY_EXPLICIT_CACHE, ttlMinutes: e.PARLEY_EXPLICIT_CACHE_TTL_MINUTES },
    },
    modelPrices: { ...DEFAULT_MODEL_PRICES, ...e.PARLEY_MODEL_PRICES },
    telegramApiBase: e.TELEGRAM_API_BASE.replace(/\/+$/, ''),
    meta: {
      graphBase: e.META_GRAPH_BASE.replace(/\/+$/, ''),
      appSecret: e.META_APP_SECRET,
      verifyToken: e.META_VERIFY_TOKEN,
    },
    corsOrigins: e.CORS_ORIGINS,
    timezone: e.PARLEY_TIMEZONE,
    sessionIdleDays: e.PARLEY_SESSION_IDLE_DAYS,
    metricsPort: e.PARLEY_METRICS_PORT,
    logLevel: e.LOG_LEVEL,
    previousAppSecret: e.APP_SECRET_PREVIOUS,
    metricsToken: e.PARLEY_METRICS_TOKEN,
    limits: {
      apiRequestsPerMinute: e.PARLEY_API_REQUESTS_PER_MINUTE,
      asksPerMinute: e.PARLEY_ASKS_PER_MINUTE,
      agentRepliesPerMinute: e.PARLEY_AGENT_REPLIES_PER_MINUTE,
      webhooksPerMinute: e.PARLEY_WEBHOOKS_PER_MINUTE,
      signInsPerMinute: e.PARLEY_SIGN_INS_PER_MINUTE,
      signInFailures: e.PARLEY_SIGN_IN_FAILURES,
      signInLockoutMs: e.PARLEY_SIGN_IN_LOCKOUT_SECONDS * 1000,
      signInLockoutMaxMs: e.PARLEY_SIGN_IN_LOCKOUT_MAX_SECONDS * 1000,
    },
    defaultQuota: { dailyTokens: e.PARLEY_DEFAULT_DAILY_TOKENS, monthlyTokens: e.PARLEY_DEFAULT_MONTHLY_TOKENS },
    customerRepliesPerHour: e.PARLEY_CUSTOMER_REPLIES_PER_HOUR,
    widget: {
      visitorsPerIpPerHour: e.PARLEY_WIDGET_VISITORS_PER_IP_PER_HOUR,
      messagesPerMinute: e.PARLEY_WIDGET_MESSAGES_PER_MINUTE,
    },
    trustedProxies: e.PARLEY_TRUSTED_PROXIES,
    timeouts: {
      requestMs: e.PARLEY_REQUEST_TIMEOUT_MS,
      headersMs: e.PARLEY_HEADERS_TIMEOUT_MS,
      connectionMs: e.PARLEY_CONNECTION_TIMEOUT_MS,
      keepAliveMs: e.PARLEY_KEEP_ALIVE_TIMEOUT_MS,
    },
    passwordCost: e.PARLEY_PASSWORD_COST,
    tokens: { signInTtlDays: e.PARLEY_SIGN_IN_TOKEN_DAYS },
    dashboard: { idleHours: e.PARLEY_DASHBOARD_IDLE_HOURS, maxDays: e.PARLEY_DASHBOARD_MAX_DAYS },
    websocket: {
      maxPerBusiness: e.PARLEY_WS_MAX_PER_BUSINESS,
      maxPerToken: e.PARLEY_WS_MAX_PER_TOKEN,
      maxConnections: e.PARLEY_WS_MAX_CONNECTIONS,
      messagesPerSecond: e.PARLEY_WS_MESSAGES_PER_SECOND,
    },
  };
}

/** Numbers about tokens, not tokens: their bad values are shown like any other. */
const NOT_SECRET = new Set([
  'PARLEY_SIGN_IN_TOKEN_DAYS',
  'PARLEY_WS_MAX_PER_TOKEN',
  'PARLEY_DEFAULT_DAILY_TOKENS',
  'PARLEY_DEFAULT_MONTHLY_TOKENS',
]);

function isSecret(variable: string): boolean {
  if (NOT_SECRET.has(variable)) return false;
  return /SECRET|KEY|TOKEN|PASSWORD|DATABASE_URL|REDIS_URL/.test(variable);
}
