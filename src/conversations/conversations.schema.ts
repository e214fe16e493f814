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
        'Why the AI is not answering this conversation, null while it is: ai_disabled, no_api_key, the last handover reason (agent_takeover, customer_request, complaint, ai_unavailable …), default_handler_manual, or waiting_for_ai (see waiting_for_ai).',
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

export const conversationList = pageOf(conversationItem).meta({ id: 'ConversationList' });

export const conversationListQuery = z.object({
  ...pageQuery,
  status: z.enum(CONVERSATION_STATUSES).optional(),
  channel: z.enum(CHANNELS).optional(),
  search: z.string().trim().max(255).optional(),
});

export const messageList = pageOf(sessionMessage).meta({ id: 'MessageList' });
export const messageListQuery = z.object({ ...pageQuery, page_size: pageQuery.page_size.default(50) });

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
