import { z } from 'zod';
import { CONVERSATION_STATUSES } from '../db/schema/index.js';
import { withWarnings } from '../kernel/ignored-fields.js';
import { messageText, sessionMessage } from '../conversations/conversations.schema.js';
import { answeringNow, askAnswer } from './ai.schema.js';

/**
 * "Try it": the owner asks as a customer would, in one test conversation of
 * their own that the inbox, the sessions list and the chat statistics leave out.
 */

export const tryBody = z.object({ question: messageText });

export const tryAnswer = withWarnings(
  askAnswer.extend({
    answering_now: answeringNow.describe(
      'What a real customer writing now would get: a test is answered even when they would not be.',
    ),
  }),
).meta({ id: 'TryAnswer' });

export const tryConversation = z
  .object({
    session_id: z.string().nullable().describe('Null until the first question.'),
    status: z
      .enum(CONVERSATION_STATUSES)
      .nullable()
      .describe('support_active once the AI handed the test to people: start over to try again.'),
    messages: z.array(sessionMessage).describe('The latest 200, oldest first.'),
    answering_now: answeringNow,
  })
  .meta({ id: 'TryConversation' });
