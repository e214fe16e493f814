import { NotFoundError } from '../kernel/errors.js';
import { findUser } from '../auth/auth.service.js';
import { perDatabaseCache } from '../db/cache.js';
import type { Database } from '../db/client.js';
import { findQuotaRow, tokensUsed, upsertQuotaRow } from './quota.repo.js';

/** The largest cap accepted: far above any real month, small enough to stay exact as a JS number. */
export const MAX_QUOTA_TOKENS = 1e12;

/** The smallest and largest fair-share weights an operator may give a business (default 1). */
export const MIN_WEIGHT = 0.1;
export const MAX_WEIGHT = 100;

/** A business's caps on the shared key, in tokens (0 means no cap), and its fair-share weight. */
export interface QuotaLimits {
  dailyTokens: number;
  monthlyTokens: number;
  /** Its slots relative to other businesses' when the key's per-minute budget is contended. */
  weight: number;
}

/** The caps beside what is used of them. Days and months are calendar periods in PARLEY_TIMEZONE. */
export interface QuotaStatus {
  /** Null when there is no cap. */
  dailyTokens: number | null;
  monthlyTokens: number | null;
  weight: number;
  usedToday: number;
  usedThisMonth: number;
  /** Tokens left before the first cap is reached (0 once one is); null without caps. */
  remaining: number | null;
  exceeded: boolean;
}

const NO_LIMITS: QuotaLimits = { dailyTokens: 0, monthlyTokens: 0, weight: 1 };

/**
 * The caps are read before every model call and almost never change, so they
 * are cached per business, "no cap" included, which then costs no query at
 * all. A write in this process invalidates; other processes see it within the
 * TTL. The usage they are compared with is never cached: a cap stops the very
 * next call.
 */
const limitsCache = perDatabaseCache<QuotaLimits>({ ttlMs: 5_000, maxEntries: 10_000 });

async function getQuotaLimits(db: Database, userId: string): Promise<QuotaLimits> {
  const hit = limitsCache.get(db, userId);
  if (hit) return hit;
  const limits = (await findQuotaRow(db, userId)) ?? NO_LIMITS;
  limitsCache.set(db, userId, limits);
  return limits;
}

/** The business's weight in the turns taken on the shared key's budget: read before every model call, so cached. */
export async function fairShareWeight(db: Database, userId: string): Promise<number> {
  return (await getQuotaLimits(db, userId)).weight;
}

/** Sets either cap or both (0 removes one) and/or the weight; returns what is now in force. */
export async function setQuotaLimits(db: Database, userId: string, patch: Partial<QuotaLimits>): Promise<QuotaLimits> {
  const set = {
    ...(patch.dailyTokens === undefined ? {} : { dailyTokens: patch.dailyTokens }),
    ...(patch.monthlyTokens === undefined ? {} : { monthlyTokens: patch.monthlyTokens }),
    ...(patch.weight === undefined ? {} : { weight: patch.weight }),
  };
  const row = await upsertQuotaRow(db, userId, NO_LIMITS, set);
  limitsCache.invalidate(db, [userId]);
  return row ?? NO_LIMITS;
}

/** The caps (0: none) beside the tokens used today and this month. */
export function quotaStatusOf(limits: QuotaLimits, used: { today: number; month: number }): QuotaStatus {
  const left: number[] = [];
  if (limits.dailyTokens > 0) left.push(Math.max(0, limits.dailyTokens - used.today));
  if (limits.monthlyTokens > 0) left.push(Math.max(0, limits.monthlyTokens - used.month));
  const remaining = left.length > 0 ? Math.min(...left) : null;
  return {
    dailyTokens: limits.dailyTokens > 0 ? limits.dailyTokens : null,
    monthlyTokens: limits.monthlyTokens > 0 ? limits.monthlyTokens : null,
    weight: limits.weight,
    usedToday: used.today,
    usedThisMonth: used.month,
    remaining,
    exceeded: remaining === 0,
  };
}

export async function quotaStatus(db: Database, userId: string, timezone: string, now: Date): Promise<QuotaStatus> {
  const limits = await getQuotaLimits(db, userId);
  return quotaStatusOf(limits, await tokensUsed(db, userId, timezone, now, true));
}

/**
 * Whether the business has used up a cap, checked before each model call.
 * Costs nothing without caps and one indexed query with them. A call that
 * starts under the cap may end above it; the next one is refused.
 */
export async function quotaExceeded(db: Database, userId: string, timezone: string, now: Date): Promise<boolean> {
  const limits = await getQuotaLimits(db, userId);
  if (limits.dailyTokens <= 0 && limits.monthlyTokens <= 0) return false;
  return quotaStatusOf(limits, await tokensUsed(db, userId, timezone, now, limits.monthlyTokens > 0)).exceeded;
}

export interface UserQuota extends QuotaStatus {
  username: string;
}

/** A business's caps as the API and `ai_control quota --json` show them. */
export function quotaStatusView(quota: QuotaStatus) {
  return {
    daily_tokens: quota.dailyTokens,
    monthly_tokens: quota.monthlyTokens,
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
export async function userQuota(db: Database, username: string, timezone: string, now: Date): Promise<UserQuota> {
  const user = await userNamed(db, username);
  return { username: user.username, ...(await quotaStatus(db, user.id, timezone, now)) };
}

export async function setUserQuota(
  db: Database,
  username: string,
  patch: Partial<QuotaLimits>,
  timezone: string,
  now: Date,
): Promise<UserQuota> {
  const user = await userNamed(db, username);
  await setQuotaLimits(db, user.id, patch);
  return { username: user.username, ...(await quotaStatus(db, user.id, timezone, now)) };
}
