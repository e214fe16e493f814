import { z } from 'zod';
import { CONVERSATION_STATUSES } from '../db/schema/index.js';
import { withWarnings } from '../kernel/ignored-fields.js';
import { pageOf, pageQuery } from '../kernel/pagination.js';
import { NEW_CONVERSATION_REASONS } from './availability.js';
import { businessHoursSchema } from './business-hours.js';
import { MAX_THINKING_BUDGET } from '../model/thinking.js';
import { PROMPT_MAX_LENGTH } from './prompt-sections.js';
import { messageText, sessionItem, sessionMessage } from '../conversations/conversations.schema.js';

export const askBody = z.object({
  question: messageText,
  customer_id: z.string().trim().min(1, 'This field may not be blank.').max(255, 'At most 255 characters.'),
});

export const sendBody = z.object({ message: messageText });

export const NO_ANSWER_REASONS = [
  'suspended',
  'ai_disabled',
  'no_api_key',
  'manual_handling',
  'outside_business_hours',
  'quota_exceeded',
  'customer_rate_limited',
  'safety_blocked',
  'handed_over',
  'ai_unavailable',
] as const;

/** What `ask` answers, and what the dashboard's "Try it" answers with a little more. */
export const askAnswer = z.object({
  session_id: z.string(),
  customer_id: z.string(),
  question: z.string(),
  answer: z.string().nullable(),
  response_time_ms: z.number().int(),
  success: z.boolean(),
  auto_response_generated: z.boolean(),
  reason: z.enum(NO_ANSWER_REASONS).optional().describe('Why no AI answer was generated, when none was.'),
});

export const askResponse = withWarnings(askAnswer).meta({ id: 'AskResponse' });

export const sessionParams = z.object({
  session_id: z.string().max(100).describe('The session id ("msg_" + the conversation id), as `ask` returns it.'),
});

export const sessionDetail = sessionItem.extend({ messages: z.array(sessionMessage) }).meta({ id: 'SessionDetail' });

export const sessionList = pageOf(sessionItem).meta({ id: 'SessionList' });

export const sessionListQuery = z.object({
  ...pageQuery,
  status: z.enum(CONVERSATION_STATUSES).optional(),
  is_active: z.boolean().optional(),
  search: z.string().trim().max(255).optional(),
});

const promptText = z.string().max(PROMPT_MAX_LENGTH, `At most ${PROMPT_MAX_LENGTH} characters.`);

const prompts = z.object({
  manual_prompt: promptText,
  knowledge_source: promptText,
  product_service: promptText,
  question_answer: promptText,
});

/** What a customer who writes now, in a new conversation, gets. */
export const answeringNow = z
  .object({
    ai_answers: z.boolean(),
    reason: z
      .enum(NEW_CONVERSATION_REASONS)
      .nullable()
      .describe(
        'When the AI would not answer, the first reason that applies: no key on the server, auto-response off, the default handler is Manual, outside business hours, or over the quota.',
      ),
  })
  .describe('Whether a customer who writes now, in a new conversation, gets an AI answer, and if not why.');

export const aiConfigResponse = z
  .object({
    model_name: z.string(),
    temperature: z.number(),
    max_tokens: z.number().int(),
    thinking_budget: z
      .number()
      .int()
      .nullable()
      .describe(
        "Tokens the model may think before it answers, on top of max_tokens (thinking is billed as output). Null: Parley's default, thinking off where the model allows it (2.5 Flash, 2.5 Flash-Lite), else the model's smallest budget (2.5 Pro: 128); no setting at all for a model Parley does not know.",
      ),
    thinking_budget_in_use: z
      .number()
      .int()
      .nullable()
      .describe("The budget replies are sent with for the model in use; null when the model's own default applies."),
    auto_response_enabled: z.boolean(),
    business_hours_enabled: z.boolean(),
    business_hours: businessHoursSchema.nullable(),
    away_message: z.string().nullable(),
    handover_message: z
      .string()
      .nullable()
      .describe('Sent to the customer when the AI hands the conversation to people.'),
    customer_limit_message: z
      .string()
      .nullable()
      .describe(
        "Said once to a customer who reached the operator's limit of AI replies an hour (PARLEY_CUSTOMER_REPLIES_PER_HOUR); their messages go to people with reason `customer_rate_limited`. Null: nothing is said.",
      ),
    reply_debounce_ms: z
      .number()
      .int()
      .describe('On Telegram and Instagram, how long a burst of messages is awaited before one answer to all of them.'),
    prompts,
    api_key_configured: z.boolean().describe('Whether the server has the shared Gemini key; the key is never shown.'),
    simulated: z
      .boolean()
      .describe(
        'Whether the server answers with its simulated model (PARLEY_SIMULATED_MODEL) instead of Gemini: every AI reply then starts with "[Simulated]".',
      ),
    models: z
      .array(
        z.object({
          name: z.string(),
          input_usd_per_million: z.number().nullable().describe('Null when the model has no price.'),
          output_usd_per_million: z.number().nullable(),
          cached_input_usd_per_million: z
            .number()
            .nullable()
            .describe("Prompt tokens served from Gemini's prompt cache, per million."),
        }),
      )
      .describe(
        "The models a business may choose (the operator's PARLEY_ALLOWED_MODELS), the server's default first, with the price of their tokens (PARLEY_MODEL_PRICES; null for a model the table does not name: its usage is counted, its cost unknown, never guessed). Setting `model_name` to any other is a 400 `model_not_allowed`; a stored model the operator has since withdrawn is not used: replies use the default.",
      ),
    answering_now: answeringNow,
  })
  .meta({ id: 'AiConfig' });

/** PUT and PATCH take any subset; `api_key_configured` and `simulated` are read-only and ignored. */
export const aiConfigBody = z.object({
  model_name: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/, 'Use a model name such as gemini-flash-latest.')
    .optional(),
  temperature: z.number().min(0, 'Between 0.0 and 1.0.').max(1, 'Between 0.0 and 1.0.').optional(),
  max_tokens: z
    .number()
    .int('A whole number.')
    .min(1, 'Between 1 and 8192.')
    .max(8192, 'Between 1 and 8192.')
    .optional(),
  thinking_budget: z
    .number()
    .int('A whole number.')
    .min(0, `Between 0 and ${MAX_THINKING_BUDGET}; the model may allow less.`)
    .max(MAX_THINKING_BUDGET, `Between 0 and ${MAX_THINKING_BUDGET}; the model may allow less.`)
    .nullable()
    .optional()
    .describe(
      "Null for Parley's default; a budget the model cannot take is a 400 naming its range (2.5 Flash 0–24576, 2.5 Flash-Lite 0 or 512–24576, 2.5 Pro 128–32768).",
    ),
  auto_response_enabled: z.boolean().optional(),
  business_hours_enabled: z.boolean().optional(),
  business_hours: businessHoursSchema.nullable().optional(),
  away_message: z.string().max(1_000, 'At most 1000 characters.').nullable().optional(),
  handover_message: z.string().max(1_000, 'At most 1000 characters.').nullable().optional(),
  customer_limit_message: z.string().max(1_000, 'At most 1000 characters.').nullable().optional(),
  reply_debounce_ms: z
    .number()
    .int('A whole number.')
    .min(0, 'Between 0 and 30000.')
    .max(30_000, 'Between 0 and 30000.')
    .optional(),
  prompts: prompts.partial().optional(),
});
