import { z } from 'zod';
import { NotFoundError } from '../../kernel/errors.js';
import {
  MAX_QUOTA_TOKENS,
  MAX_WEIGHT,
  MIN_WEIGHT,
  setUserQuota,
  userQuota,
  userQuotaView,
  type CapSource,
  type UserQuota,
} from '../../usage/quota.service.js';
import { defineCommand, EXIT } from '../command.js';

const cap = z
  .number()
  .int(`caps are whole numbers of tokens from 0 (no cap) to ${MAX_QUOTA_TOKENS}`)
  .min(0, `caps are whole numbers of tokens from 0 (no cap) to ${MAX_QUOTA_TOKENS}`)
  .max(MAX_QUOTA_TOKENS, `caps are whole numbers of tokens from 0 (no cap) to ${MAX_QUOTA_TOKENS}`);

/** A business's own cap, or null (from "default") for the operator's default. */
const ownCap = cap.or(z.literal('default').transform(() => null));

export const CAP_USAGE = `a whole number of tokens from 0 (no cap) to ${MAX_QUOTA_TOKENS}, or "default" (the operator's default cap)`;

/** A cap as typed on the command line ('default': back to the operator's default); undefined when it is not one. */
export function parseCap(value: string): number | 'default' | undefined {
  if (value.trim().toLowerCase() === 'default') return 'default';
  const parsed = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  return cap.safeParse(parsed).success ? parsed : undefined;
}

export const WEIGHT_USAGE = `a number from ${MIN_WEIGHT} to ${MAX_WEIGHT} (1: an equal share)`;
const weight = z.number().min(MIN_WEIGHT, WEIGHT_USAGE).max(MAX_WEIGHT, WEIGHT_USAGE);

/** A weight as typed on the command line; undefined when it is not one. */
export function parseWeight(value: string): number | undefined {
  const parsed = /^\d+(\.\d+)?$|^\.\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  return weight.safeParse(parsed).success ? parsed : undefined;
}

const tokens = (count: number) => count.toLocaleString('en-US');

function describe(quota: UserQuota, timezone: string): string[] {
  const line = (limit: number | null, source: CapSource, used: number, period: string) => {
    if (limit === null) {
      return `${tokens(used)} tokens used ${period} (no cap${source === 'own' ? ': its own setting, whatever the default' : ''})`;
    }
    return `${tokens(used)} of ${tokens(limit)} tokens used ${period}${source === 'default' ? ' (the default cap)' : ''}`;
  };
  return [
    `Quota for ${quota.username} (calendar days and months in ${timezone}):`,
    `  daily:   ${line(quota.dailyTokens, quota.dailySource, quota.usedToday, 'today')}`,
    `  monthly: ${line(quota.monthlyTokens, quota.monthlySource, quota.usedThisMonth, 'this month')}`,
    `  status:  ${
      quota.exceeded
        ? 'EXCEEDED: AI replies stop with reason quota_exceeded and conversations go to people'
        : quota.remaining === null
          ? 'no caps'
          : `within the caps (${tokens(quota.remaining)} tokens left)`
    }`,
    `  weight:  ${quota.weight} (its turns on the shared key's per-minute budget when contended; 1 is an equal share)`,
  ];
}

/** `ai_control quota --user U [--daily-tokens N] [--monthly-tokens N] [--weight N]`: set or show a business's caps and weight. */
export const aiControlQuota = defineCommand({
  args: z.object({
    user: z.string(),
    dailyTokens: ownCap.optional(),
    monthlyTokens: ownCap.optional(),
    weight: weight.optional(),
    json: z.boolean().default(false),
  }),
  async run({ database, config, io }, args) {
    const now = new Date();
    const patch = {
      ...(args.dailyTokens === undefined ? {} : { dailyTokens: args.dailyTokens }),
      ...(args.monthlyTokens === undefined ? {} : { monthlyTokens: args.monthlyTokens }),
      ...(args.weight === undefined ? {} : { weight: args.weight }),
    };
    const changing = Object.keys(patch).length > 0;
    let quota: UserQuota;
    try {
      quota = changing
        ? await setUserQuota(database.db, config, args.user, patch, now)
        : await userQuota(database.db, config, args.user, now);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      io.err(`Error: no user named "${args.user}".`);
      return EXIT.failure;
    }
    if (args.json) {
      io.out(JSON.stringify(userQuotaView(quota)));
      return EXIT.ok;
    }
    if (changing) io.out(`Updated the quota of ${quota.username}.`);
    for (const line of describe(quota, config.timezone)) io.out(line);
    return EXIT.ok;
  },
});
