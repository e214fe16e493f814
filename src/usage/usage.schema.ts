import { z } from 'zod';
import { answerCostsSchema } from '../kernel/answer-costs.js';
import { daysQuery, periodSchema as period } from '../kernel/periods.js';
import { MAX_QUOTA_TOKENS, MAX_WEIGHT, MIN_WEIGHT } from './quota.service.js';

/** `?days=N`: the same period as the analytics report. */
export const usageQuery = daysQuery;

const usageTotals = z
  .object({
    requests: z.number().int().describe('Model calls, failed ones included.'),
    successful: z
      .number()
      .int()
      .describe(
        'Calls that gave a usable answer: outcomes `success` and `discarded` (answered, but a person took over first).',
      ),
    failed: z.number().int().describe('Calls that gave no answer: outcomes `error`, `blocked` and `empty`.'),
    outcomes: z.object({
      success: z.number().int(),
      discarded: z.number().int(),
      blocked: z.number().int(),
      empty: z.number().int(),
      error: z.number().int(),
    }),
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    thought_tokens: z.number().int(),
    total_tokens: z.number().int().describe("The sum of the model's `totalTokenCount`s."),
    cached_tokens: z
      .number()
      .int()
      .describe('The part of `prompt_tokens` Gemini served from its prompt cache (`cachedContentTokenCount`).'),
    estimated_cost_usd: z
      .number()
      .describe(
        "USD at PARLEY_MODEL_PRICES, cached prompt tokens at the model's cached rate. Only priced calls: `unpriced_requests` are in no cost.",
      ),
    cache_saving_usd: z
      .number()
      .describe('What the cached tokens would have cost at the full input rate minus what they cost.'),
    unpriced_requests: z
      .number()
      .int()
      .describe('Calls with a model that has no price in PARLEY_MODEL_PRICES: their cost is unknown, not guessed.'),
    average_response_time_ms: z.number().int().nullable().describe('Mean model latency; null without calls.'),
  })
  .meta({ id: 'UsageTotals' });

const capSource = z
  .enum(['own', 'default'])
  .describe(
    "Where the cap comes from: the business's own (set by the operator; 0 = none), or the operator's default for every business (PARLEY_DEFAULT_DAILY_TOKENS / PARLEY_DEFAULT_MONTHLY_TOKENS).",
  );

const quotaFields = {
  daily_tokens: z.number().int().nullable().describe('Cap on tokens a calendar day; null when there is none.'),
  daily_tokens_source: capSource,
  monthly_tokens: z.number().int().nullable().describe('Cap on tokens a calendar month; null when there is none.'),
  monthly_tokens_source: capSource,
  weight: z
    .number()
    .describe(
      "The business's share of the key's per-minute budget relative to others' when it is contended (1: an equal share).",
    ),
  used_today: z.number().int(),
  used_this_month: z.number().int(),
  remaining: z.number().int().nullable().describe('Tokens left before the first cap is reached; null without caps.'),
  exceeded: z
    .boolean()
    .describe('When true, AI replies stop with reason `quota_exceeded` and conversations go to people.'),
};

export const quotaView = z.object(quotaFields).meta({ id: 'UsageQuota' });

export const usageStatsResponse = z
  .object({
    period,
    totals: usageTotals,
    by_model: z.array(usageTotals.extend({ model: z.string() })),
    daily: z.array(usageTotals.extend({ date: z.string() })).describe('Every day of the period, oldest first.'),
    unpriced_models: z
      .array(z.string())
      .describe('Models used in the period without a price: their calls are counted but in no cost.'),
    quota: quotaView,
    answer_costs: answerCostsSchema,
  })
  .meta({ id: 'UsageStats' });

export const globalUsageResponse = z
  .object({
    period,
    totals: usageTotals,
    by_model: z.array(usageTotals.extend({ model: z.string() })),
    daily: z.array(usageTotals.extend({ date: z.string() })),
    unpriced_models: z
      .array(z.string())
      .describe('Models used in the period without a price: their calls are counted but in no cost.'),
    users: z
      .array(usageTotals.extend({ id: z.string(), username: z.string() }))
      .describe('Every business, heaviest token use first.'),
    answer_costs: answerCostsSchema.describe('The cost of answering across every business, over the period.'),
  })
  .meta({ id: 'GlobalUsageStats' });

export const quotaParams = z.object({ username: z.string().max(150) });

const cap = z
  .number({ error: `A whole number of tokens from 0 (no cap) to ${MAX_QUOTA_TOKENS}.` })
  .int(`A whole number of tokens from 0 (no cap) to ${MAX_QUOTA_TOKENS}.`)
  .min(0, `A whole number of tokens from 0 (no cap) to ${MAX_QUOTA_TOKENS}.`)
  .max(MAX_QUOTA_TOKENS, `A whole number of tokens from 0 (no cap) to ${MAX_QUOTA_TOKENS}.`);

const WEIGHT_RULE = `A number from ${MIN_WEIGHT} to ${MAX_WEIGHT}; 1 is an equal share.`;

export const quotaBody = z
  .object({
    daily_tokens: cap
      .nullable()
      .optional()
      .describe(
        "Tokens a calendar day in PARLEY_TIMEZONE; 0: no cap (even with a default); null: the operator's default.",
      ),
    monthly_tokens: cap
      .nullable()
      .optional()
      .describe(
        "Tokens a calendar month in PARLEY_TIMEZONE; 0: no cap (even with a default); null: the operator's default.",
      ),
    weight: z
      .number({ error: WEIGHT_RULE })
      .min(MIN_WEIGHT, WEIGHT_RULE)
      .max(MAX_WEIGHT, WEIGHT_RULE)
      .optional()
      .describe(
        "When the key's per-minute budget is contended, businesses with calls waiting take turns in proportion to their weights.",
      ),
  })
  .refine((body) => body.daily_tokens !== undefined || body.monthly_tokens !== undefined || body.weight !== undefined, {
    message: 'Give daily_tokens, monthly_tokens, weight or any of them together.',
  });

export const userQuotaResponse = z.object({ username: z.string(), ...quotaFields }).meta({ id: 'UserQuota' });
