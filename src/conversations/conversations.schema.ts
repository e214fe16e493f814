import { z } from 'zod';
import { withWarnings } from '../kernel/ignored-fields.js';
import { pageOf, pageQuery } from '../kernel/pagination.js';
import { CHANNELS, CONVERSATION_STATUSES, MESSAGE_TYPES } from '../db/schema/index.js';
import { BULK_LIMIT } from './status.service.js';
import { conversationIdOf } from './session-id.js';

/** A customer's message is capped: longer texts are not chat and cost tokens for nothing. */
export const MAX_MESSAGE_LENGTH = 4_000;

export const messageText = z
  .string()
  .trim()
  .min(1, 'This field may not be blank.')
  .max(MAX_MESSAGE_LENGTH, `At most ${MAX_MESSAGE_LENGTH} characters.`);

export const sessionItem = z
  .object({
    session_id: z.string(),
    conversation_id: z.string(),
    customer_id: z.string(),
    channel: z.enum(CHANNELS),
    status: z.enum(CONVERSATION_STATUSES),
    is_active: z.boolean(),
    message_count: z.number().int(),
    last_message_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'Session' });

export const sessionMessage = z
  .object({
    id: z.string(),
    type: z.enum(MESSAGE_TYPES),
    text: z.string(),
    created_at: z.string(),
    response_time_ms: z.number().int().nullable(),
  })
  .meta({ id: 'SessionMessage' });

const REF_DESCRIPTION =
  'The conversation id, or its session id ("msg_" + the conversation id, as `ask` returns it): either names the same conversation.';

/** How a client names a conversation, as it was given: the id or the session id. */
const conversationRefText = z
  .string()
  .min(1)
  .max(100)
  .refine((ref) => conversationIdOf(ref) !== undefined, 'A session id is "msg_" followed by the conversation id.');

/** A conversation named by its id or its session id, read as the conversation id. */
export const conversationRef = conversationRefText
  .transform((ref) => conversationIdOf(ref) ?? ref)
  .describe(REF_DESCRIPTION);

const status = z.enum(CONVERSATION_STATUSES, { error: 'Must be "active" or "support_active".' });

export const conversationParams = z.object({ conversation_id: conversationRef });

export const statusResponse = z
  .object({
    conversation_id: z.string(),
    status: z.enum(CONVERSATION_STATUSES),
    ai_available: z.boolean().describe("Whether the AI can answer this business's conversations at all."),
    reason: z
      .string()
      .nullable()
      .describe(
        'Why the AI is not answering this conversation, null while it is: ai_disabled, no_api_key, suspended (by the operator), the last handover reason (agent_takeover, customer_request, complaint, ai_unavailable …), default_handler_manual, or waiting_for_ai (see waiting_for_ai).',
      ),
    waiting_for_ai: z
      .boolean()
      .describe(
        'True when the conversation is with people only because the AI was unavailable when it began (no key, auto-response off) and no person has touched it: it goes back to the AI when the AI becomes available (on the next customer message, when auto-response is switched on, or with `parley ai_control handback`).',
      ),
  })
  .meta({ id: 'ConversationStatus' });

export const statusBody = z.object({ status });

export const bulkStatusBody = z.object({
  conversation_ids: z
    // Kept as given, so `updated` and `not_found` list the ids the client sent.
    .array(conversationRefText)
    .describe('Conversations to change, each by its id or its session id ("msg_" + the id, as `ask` returns it).')
    .min(1, 'List at least one conversation.')
    .max(BULK_LIMIT, `At most ${BULK_LIMIT} conversations at once.`),
  status,
});

export const bulkStatusResponse = withWarnings(
  z.object({
    status: z.enum(CONVERSATION_STATUSES),
    updated: z.array(z.string()).describe('The ids changed or already in that status, as they were sent.'),
    not_found: z
      .array(z.string())
      .describe("The ids that name none of this business's conversations, as they were sent."),
  }),
).meta({ id: 'BulkStatus' });

/** The message system's view of a conversation: the session, keyed by `id`, with the customer's name and last change. */
export const conversationItem = sessionItem
  .omit({ conversation_id: true })
  .extend({ id: z.string(), customer_name: z.string().nullable(), updated_at: z.string() })
  .meta({ id: 'Conversation' });

/** A conversation as the inbox lists it: why people have it, whether one must answer, what is unread. */
export const inboxConversation = conversationItem
  .extend({
    status_reason: z
      .string()
      .nullable()
      .describe(
        "Why people have it, null while the AI answers: the last handover's reason (customer_request, complaint, ai_unavailable, quota_exceeded, customer_rate_limited, safety_blocked, agent_takeover …), default_handler_manual, manual_handling, waiting_for_ai, or for the whole business no_api_key / suspended / ai_disabled — as GET /api/v1/ai/conversations/{id}/status/ says.",
      ),
    needs_person: z
      .boolean()
      .describe(
        'True when people have it because the AI handed over, failed, was blocked or hit the quota, and no person has replied since.',
      ),
    unread_count: z.number().int().describe("The customer's messages after the business's read mark."),
    last_message: z
      .object({
        type: z.enum(MESSAGE_TYPES),
        text: z.string().describe('The first 200 characters.'),
        created_at: z.string(),
      })
      .nullable(),
  })
  .meta({ id: 'InboxConversation' });

export const conversationList = pageOf(inboxConversation).meta({ id: 'ConversationList' });

export const conversationListQuery = z.object({
  ...pageQuery,
  status: z.enum(CONVERSATION_STATUSES).optional(),
  channel: z.enum(CHANNELS).optional(),
  needs_person: z
    .boolean()
    .optional()
    .describe('true: only the conversations a person must answer; false: the others.'),
  search: z
    .string()
    .trim()
    .max(255)
    .optional()
    .describe("Part of the customer's id or name, or of any message's text (case-insensitive; % and _ are literal)."),
});

/** A message as the inbox's thread shows it: with its place in the order and, on a channel, its delivery. */
export const threadMessage = sessionMessage
  .extend({
    seq: z
      .number()
      .int()
      .describe("The message's place in the order of all messages: the cursor of paging and of sync."),
    delivery_status: z
      .enum(['pending', 'sent', 'failed'])
      .nullable()
      .describe('For a reply to a customer on Telegram or Instagram: pending, sent or failed; null otherwise.'),
    delivery_error: z.string().nullable().describe("Why delivery failed, in the platform's words; null otherwise."),
  })
  .meta({ id: 'ThreadMessage' });

export const MAX_THREAD_LIMIT = 200;

export const messageList = pageOf(threadMessage)
  .extend({ has_more: z.boolean().describe('Whether older messages (cursor paging) or further pages exist.') })
  .meta({ id: 'MessageList' });
export const messageListQuery = z.object({
  ...pageQuery,
  page_size: pageQuery.page_size.default(50),
  before_seq: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Cursor paging: the messages before this seq, newest last (page and page_size are then ignored).'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(MAX_THREAD_LIMIT, `At most ${MAX_THREAD_LIMIT} messages at once.`)
    .optional()
    .describe(`Cursor paging: how many messages (1–${MAX_THREAD_LIMIT}, default 50); without before_seq, the newest.`),
});

export const readBody = z.object({
  through_seq: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("Mark read up to this message's seq; by default every message. The mark never moves back."),
});

export const readResponse = z
  .object({ unread_count: z.number().int().describe("The customer's messages still unread.") })
  .meta({ id: 'ReadMark' });

export const SYNC_LIMIT = 500;

export const syncQuery = z.object({
  after_seq: z
    .number({ error: 'A whole number: the highest message seq the dashboard has seen (0 for none).' })
    .int()
    .min(0)
    .describe('The highest message seq the client has seen.'),
});

export const syncResponse = z
  .object({
    messages: z
      .array(threadMessage.extend({ conversation_id: z.string() }))
      .describe(`The business's messages after after_seq, in seq order, at most ${SYNC_LIMIT}.`),
    conversations: z
      .array(inboxConversation)
      .describe('The current rows of the conversations those messages belong to and of those changed since.'),
    last_seq: z.number().int().describe('The seq to give as after_seq next time.'),
    has_more: z.boolean().describe('More messages follow: call again with after_seq=last_seq.'),
  })
  .meta({ id: 'InboxSync' });

export const agentReplyBody = z.object({
  text: messageText,
  keep_ai: z
    .boolean()
    .default(false)
    .describe('Leave the AI answering; by default an agent reply takes the conversation over.'),
});

export const agentReplyResponse = withWarnings(
  z.object({ message: sessionMessage, conversation: conversationItem }),
).meta({ id: 'AgentReply' });

export const typingBody = z.object({ typing: z.boolean().describe('True while typing, false when stopped.') });
