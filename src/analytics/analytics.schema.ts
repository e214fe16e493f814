import { z } from 'zod';
import { answerCostsSchema } from '../kernel/answer-costs.js';
import { periodSchema } from '../kernel/periods.js';

const figures = {
  conversations: z.number().int().describe('Conversations started.'),
  customer_messages: z.number().int(),
  ai_messages: z.number().int().describe('AI answers, away messages and handover notices included.'),
  support_messages: z.number().int().describe("Your people's replies."),
  system_messages: z.number().int(),
  ai_response_rate: z
    .number()
    .nullable()
    .describe('Share of customer messages the AI answered, 0–1 (a burst answered at once counts each message).'),
  average_response_time_ms: z.number().int().nullable().describe('From the customer message to the stored AI answer.'),
  p95_response_time_ms: z.number().int().nullable(),
  handovers: z.number().int().describe('Times a conversation went to people: AI, agent or failure.'),
  handovers_by_reason: z.record(z.string(), z.number().int()),
  discarded_ai_replies: z.number().int().describe('AI answers thrown away because a person took over first.'),
  coalesced_bursts: z.number().int().describe('AI answers that answered several customer messages at once.'),
};

export const analyticsResponse = z.object({
  period: periodSchema,
  totals: z.object(figures),
  daily: z.array(z.object({ date: z.string().describe('YYYY-MM-DD in `period.timezone`.'), ...figures })),
  answer_costs: answerCostsSchema,
});
