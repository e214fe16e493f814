import { z } from 'zod';
import { REPLY_HANDLERS } from '../db/schema/index.js';
import { quotaView } from '../usage/usage.schema.js';

export const businessParams = z.object({
  business_id: z.string().min(1).max(100).describe("The business's user id."),
});

export const businessView = z
  .object({
    id: z.string(),
    username: z.string(),
    email: z.string(),
    is_admin: z.boolean(),
    created_at: z.string(),
    ai_enabled: z.boolean().describe('Auto-response is on: the AI answers customer messages.'),
    suspended: z
      .boolean()
      .describe(
        'Suspended by the operator (`parley ai_control suspend`): the AI answers no one, whatever `ai_enabled` says.',
      ),
    default_reply_handler: z
      .enum(REPLY_HANDLERS)
      .describe('Who answers a new conversation first: the AI, or people (Manual).'),
    conversations: z.object({
      total: z.number().int(),
      ai: z.number().int().describe('Conversations the AI answers now.'),
      people: z.number().int().describe('Conversations people answer now.'),
    }),
    usage_this_month: z
      .object({
        requests: z.number().int().describe('Model calls, failed ones included.'),
        total_tokens: z.number().int(),
        estimated_cost_usd: z.number(),
      })
      .describe('This calendar month in PARLEY_TIMEZONE.'),
    quota: quotaView,
  })
  .meta({ id: 'AdminBusiness' });

export const businessList = z
  .object({
    count: z.number().int(),
    results: z.array(businessView).describe('Every business, by username.'),
  })
  .meta({ id: 'AdminBusinessList' });

export const createBusinessBody = z.object({
  username: z
    .string()
    .min(1, 'This field may not be blank.')
    .max(150, 'Use 1 to 150 letters, digits and @ . + - _ only.'),
  email: z.string().max(254, 'At most 254 characters.').optional(),
  is_admin: z.boolean().default(false).describe('An administrator sees every business and sets their quotas.'),
});

export const createdBusiness = z
  .object({
    business: businessView,
    password: z
      .string()
      .describe(
        'A generated one-time password, shown only in this answer (Parley keeps its hash): change it after the first sign-in.',
      ),
  })
  .meta({ id: 'AdminCreatedBusiness' });

const jobRun = z.object({
  name: z.string(),
  schedule: z.string().describe('Cron pattern, read in PARLEY_TIMEZONE.'),
  what: z.string(),
  last_started_at: z.string().nullable().describe('Null: it has not run yet.'),
  last_finished_at: z.string().nullable(),
  ok: z.boolean().nullable(),
  detail: z.string().nullable(),
  runs: z.number().int(),
});

export const systemResponse = z
  .object({
    model: z.object({
      kind: z
        .enum(['gemini', 'simulated', 'none'])
        .describe('Gemini with the shared key, the simulated stand-in, or none (GEMINI_API_KEY is not set).'),
      default_model: z.string(),
      health: z
        .object({ ok: z.boolean().nullable(), checked_at: z.string(), detail: z.string().nullable() })
        .nullable()
        .describe('The last scheduled model health check (every 12 h); null before the first.'),
    }),
    queue: z.object({
      kind: z.enum(['local', 'redis']).describe('In this process, or BullMQ on Redis.'),
      error: z.string().nullable().describe('Why the queue could not be read (Redis away); null when it was.'),
      jobs: z
        .array(
          z.object({
            name: z.string(),
            waiting: z.number().int(),
            active: z.number().int(),
            delayed: z.number().int(),
            failed: z.number().int(),
          }),
        )
        .describe('Jobs by type and state, as /metrics shows them.'),
      failed_jobs: z
        .array(
          z.object({
            id: z.string(),
            name: z.string(),
            attempts: z.number().int(),
            error: z.string(),
            failed_at: z.string(),
          }),
        )
        .describe('The latest jobs that failed for good, newest first (at most 20).'),
    }),
    scheduled_jobs: z.array(jobRun).describe('Each scheduled task and its last run (from job_runs).'),
  })
  .meta({ id: 'AdminSystem' });
