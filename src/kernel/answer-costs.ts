import { z } from 'zod';

/*
 * The cost of an answered conversation, as both reports give it (the
 * analytics and the usage report sit side by side, so what they share lives
 * here; the query is in db/answer-costs.ts).
 */

/** Tokens and estimated cost of a group of replies or conversations: mean and p95. */
export interface CostSpread {
  count: number;
  meanTokens: number | null;
  p95Tokens: number | null;
  /** Over the priced ones only; null when none is priced. */
  meanCostUsd: number | null;
  p95CostUsd: number | null;
  /** How many have a model without a price, so are in no cost. */
  unpriced: number;
}

export interface AnswerCosts {
  perReply: CostSpread;
  perAiConversation: CostSpread;
  /** Customer messages that needed no model call of their own, by reason (`coalesced` among them). */
  callsAvoided: Record<string, number>;
}

/** The reasons the dashboard names; any other reason is still counted in `by_reason`. */
export const COALESCED = 'coalesced';
export const TAKEOVER = 'manual_handling';
export const CLOSED_HOURS = 'outside_business_hours';

const spread = (what: string) =>
  z.object({
    count: z.number().int().describe(`How many ${what}.`),
    mean_tokens: z.number().nullable().describe('Mean total tokens; null without any.'),
    p95_tokens: z.number().int().nullable(),
    mean_cost_usd: z
      .number()
      .nullable()
      .describe('Mean estimated USD of the priced ones; null when none is priced (unknown, never 0).'),
    p95_cost_usd: z.number().nullable(),
    unpriced: z.number().int().describe('Of `count`, how many used a model without a price: in no cost.'),
  });

export const answerCostsSchema = z
  .object({
    per_reply: spread('AI answers were stored (away messages and handover notices are no model reply)').describe(
      "Each stored AI answer's own model call.",
    ),
    per_ai_conversation: spread('conversations the AI answered alone').describe(
      'Conversations started in the period that the AI answered (one answer or more) with no handover and no message from a person, "Try it" left out: every model call of each, retries included.',
    ),
    model_calls_avoided: z
      .object({
        coalesced: z
          .number()
          .int()
          .describe('Customer messages answered together with an earlier one by a single AI answer.'),
        takeovers: z.number().int().describe('Customer messages written while a person had the conversation.'),
        closed_hours: z.number().int().describe('Customer messages outside business hours (the away message, if any).'),
        total: z.number().int(),
        by_reason: z
          .record(z.string(), z.number().int())
          .describe(
            'Every reason, these three included: `coalesced`, `manual_handling`, `outside_business_hours`, `quota_exceeded`, `suspended`, `ai_disabled` …',
          ),
      })
      .describe('Customer messages that reached Parley but cost no model call of their own.'),
  })
  .describe(
    'The cost of answering, over the period (not by day). Costs are estimates at PARLEY_MODEL_PRICES; replies written before this report existed are not in it.',
  )
  .meta({ id: 'AnswerCosts' });

function spreadView(figures: CostSpread) {
  return {
    count: figures.count,
    mean_tokens: figures.meanTokens,
    p95_tokens: figures.p95Tokens,
    mean_cost_usd: figures.meanCostUsd,
    p95_cost_usd: figures.p95CostUsd,
    unpriced: figures.unpriced,
  };
}

export function answerCostsView(costs: AnswerCosts): z.infer<typeof answerCostsSchema> {
  const avoided = costs.callsAvoided;
  return {
    per_reply: spreadView(costs.perReply),
    per_ai_conversation: spreadView(costs.perAiConversation),
    model_calls_avoided: {
      coalesced: avoided[COALESCED] ?? 0,
      takeovers: avoided[TAKEOVER] ?? 0,
      closed_hours: avoided[CLOSED_HOURS] ?? 0,
      total: Object.values(avoided).reduce((sum, n) => sum + n, 0),
      by_reason: avoided,
    },
  };
}
