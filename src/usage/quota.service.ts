import { NotFoundError } from '../kernel/errors.js';
import type { Config } from '../kernel/config.js';
import { MAX_QUOTA_TOKENS } from '../kernel/config-fields.js';
import { findUser } from '../auth/auth.service.js';
import { perDatabaseCache } from '../db/cache.js';
import type { Database } from '../db/client.js';
import { findQuotaRow, tokensUsed, upsertQuotaRow, type QuotaRow } from './quota.repo.js';

export { MAX_QUOTA_TOKENS };

/** The smallest and largest fair-share weights an operator may give a business (default 1). */
export const MIN_WEIGHT = 0.1;
export const MAX_WEIGHT = 100;

/** What the quotas need of the configuration: the calendar they count in and the operator's default caps. */
export type QuotaConfig = Pick<Config, 'timezone' | 'defaultQuota'>;

/** A business's own caps as the operator set them (0 = no cap, null = the default applies), and its weight. */
export type OwnCaps = QuotaRow;

/** Where a cap in force comes from: the business's own setting, or the operator's default for all. */
export type CapSource = 'own' | 'default';

/** The caps in force for a business, in tokens (0 means no cap), and its fair-share weight. */
export interface QuotaLimits {
  dailyTokens: number;
  monthlyTokens: number;
  dailySource: CapSource;
  monthlySource: CapSource;
  /** Its slots relative to other businesses' when the key's per-minute budget is contended. */
  weight: number;
}

/** The caps beside what is used of them. Days and months are calendar periods in PARLEY_TIMEZONE. */
export interface QuotaStatus {
  /** Null when there is no cap. */
  dailyTokens: number | null;
  monthlyTokens: number | null;
  weight: number;
  dailySource: CapSource;
  monthlySource: CapSource;
  usedToday: number;
  usedThisMonth: number;
  /** Tokens left before the first cap is reached (0 once one is); null without caps. */
  remaining: number | null;
  exceeded: boolean;
}

const NOT_SET: OwnCaps = { dailyTokens: null, monthlyTokens: null, weight: 1 };

/** A business's own caps where it has them, the operator's defaults where it has none. */
export function capsInForce(own: OwnCaps | undefined, defaults: Config['defaultQuota']): QuotaLimits {
  const pick = (mine: number | null | undefined, fallback: number | undefined) =>
    mine === null || mine === undefined
      ? { tokens: fallback ?? 0, source: 'default' as const }
      : { tokens: mine, source: 'own' as const };
  const daily = pick(own?.dailyTokens, defaults.dailyTokens);
  const monthly = pick(own?.monthlyTokens, defaults.monthlyTokens);
  return {
    dailyTokens: daily.tokens,
    monthlyTokens: monthly.tokens,
    dailySource: daily.source,
    monthlySource: monthly.source,
    weight: own?.weight ?? 1,
  };
}

/**
 * The caps are read before every model call and almost never change, so they
 * are cached per business, "not set" included, which then costs no query at
 * all. A write in this process invalidates; other processes see it within the
 * TTL. The usage they are compared with is never cached: a cap stops the very
 * next call.
 */
const ownCapsCache = perDatabaseCache<OwnCaps>({ ttlMs: 5_000, maxEntries: 10_000 });

export async function quotaLimits(
  db: Database,
  defaults: Config['defaultQuota'],
  userId: string,
): Promise<QuotaLimits> {
  return capsInForce(await ownCaps(db, userId), defaults);
}

async function ownCaps(db: Database, userId: string): Promise<OwnCaps> {
  let own = ownCapsCache.get(db, userId);
  if (!own) {
    own = (await findQuotaRow(db, userId)) ?? NOT_SET;
    ownCapsCache.set(db, userId, own);
  }
  return own;
}

/** The business's weight in the turns taken on the shared key's budget: read before every model call, so cached. */
export async function fairShareWeight(db: Database, userId: string): Promise<number> {
  return (await ownCaps(db, userId)).weight;
}

export const hasCaps = (limits: QuotaLimits) => limits.dailyTokens > 0 || limits.monthlyTokens > 0;

/** Sets either cap or both (0: no cap, null: back to the default) and/or the weight; returns what the business now has of its own. */
export async function setQuotaLimits(db: Database, userId: string, patch: Partial<OwnCaps>): Promise<OwnCaps> {
  const set = {
    ...(patch.dailyTokens === undefined ? {} : { dailyTokens: patch.dailyTokens }),
    ...(patch.monthlyTokens === undefined ? {} : { monthlyTokens: patch.monthlyTokens }),
    ...(patch.weight === undefined ? {} : { weight: patch.weight }),
  };
  const row = await upsertQuotaRow(db, userId, NOT_SET, set);
  ownCapsCache.invalidate(db, [userId]);
  return row ?? NOT_SET;
}

/** Tokens left under the caps (0: none left) after `used` and `reserved`; null without caps. */
export function tokensLeft(limits: QuotaLimits, used: { today: number; month: number }, reserved = 0): number | null {
  const left: number[] = [];
  if (limits.dailyTokens > 0) left.push(Math.max(0, limits.dailyTokens - used.today - reserved));
  if (limits.monthlyTokens > 0) left.push(Math.max(0, limits.monthlyTokens - used.month - reserved));
  return left.length > 0 ? Math.min(...left) : null;
}

/** The caps (0: none) beside the tokens used today and this month. */
export function quotaStatusOf(limits: QuotaLimits, used: { today: number; month: number }): QuotaStatus {
  const remaining = tokensLeft(limits, used);
  return {
    dailyTokens: limits.dailyTokens > 0 ? limits.dailyTokens : null,
    monthlyTokens: limits.monthlyTokens > 0 ? limits.monthlyTokens : null,
    weight: limits.weight,
    dailySource: limits.dailySource,
    monthlySource: limits.monthlySource,
    usedToday: used.today,
    usedThisMonth: used.month,
    remaining,
    exceeded: remaining === 0,
  };
}

export async function quotaStatus(db: Database, config: QuotaConfig, userId: string, now: Date): Promise<QuotaStatus> {
  const limits = await quotaLimits(db, config.defaultQuota, userId);
  return quotaStatusOf(limits, await tokensUsed(db, userId, config.timezone, now, true));
}

/** Tokens used today and this month, reading the month only when a monthly cap needs it. */
export function usedAgainst(db: Database, config: QuotaConfig, userId: string, limits: QuotaLimits, now: Date) {
  return tokensUsed(db, userId, config.timezone, now, limits.monthlyTokens > 0);
}

/**
 * Whether the business has used up a cap: what the AI settings screen says.
 * Costs nothing without caps and one indexed query with them. Model calls
 * check their caps through reservations instead (quota-reservations.ts).
 */
export async function quotaExceeded(db: Database, config: QuotaConfig, userId: string, now: Date): Promise<boolean> {
  const limits = await quotaLimits(db, config.defaultQuota, userId);
  if (!hasCaps(limits)) return false;
  return tokensLeft(limits, await usedAgainst(db, config, userId, limits, now)) === 0;
}

export interface UserQuota extends QuotaStatus {
  username: string;
}

/** A business's caps as the API and `ai_control quota --json` show them. */
export function quotaStatusView(quota: QuotaStatus) {
  return {
    daily_tokens: quota.dailyTokens,
    daily_tokens_source: quota.dailySource,
    monthly_tokens: quota.monthlyTokens,
    monthly_tokens_source: quota.monthlySource,
    weight: quota.weight,
    used_today: quota.usedToday,
    used_this_month: quota.usedThisMonth,
    remaining: quota.remaining,
    exceeded: quota.exceeded,
  };
}

export const userQuotaView = (quota: UserQuota) => ({ username: quota.username, ...quotaStatusView(quota) });

async function userNamed(db: Database, username: string) {
  const user = await findUser(db, username);
  if (!user) throw new NotFoundError(`No user named "${username}".`);
  return user;
}

/** An operator's view of one business's caps (admin API, `ai_control quota`). */
export async function userQuota(db: Database, config: QuotaConfig, username: string, now: Date): Promise<UserQuota> {
  const user = await userNamed(db, username);
  return { username: user.username, ...(await quotaStatus(db, config, user.id, now)) };
}

export async function setUserQuota(
  db: Database,
  config: QuotaConfig,
  username: string,
  patch: Partial<OwnCaps>,
  now: Date,
): Promise<UserQuota> {
  const user = await userNamed(db, username);
  await setQuotaLimits(db, user.id, patch);
  return { username: user.username, ...(await quotaStatus(db, config, user.id, now)) };
}
