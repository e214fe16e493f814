import { z } from 'zod';
import { ASK_IDENTITY } from './website.settings.js';

export const widgetParams = z.object({ public_id: z.string().min(1).max(100) });

export const widgetPublicSettings = z
  .object({
    public_id: z.string(),
    business_name: z.string(),
    greeting: z.string(),
    colour: z.string(),
    position: z.enum(['right', 'left']),
    launcher_label: z.string(),
    language: z.string(),
    ask_identity: z.enum(ASK_IDENTITY),
    z_index: z.number().int(),
    open_now: z.boolean().describe('False while the business’s hours say it is closed.'),
    away_message: z.string().nullable(),
  })
  .meta({ id: 'WidgetSettings' });

export const newVisitorBody = z.object({
  name: z.string().trim().min(1).max(100).optional(),
  email: z.email().max(254).optional(),
  user_id: z.string().min(1).max(200).optional().describe('The site’s own id of a signed-in user.'),
  user_hash: z.string().max(200).optional().describe('`hex(HMAC-SHA256(widget_secret, user_id))`.'),
});

export const newVisitor = z
  .object({
    visitor_token: z.string().describe('Kept by the widget (localStorage) and sent in `X-Parley-Visitor`.'),
    visitor: z.object({ id: z.string(), name: z.string().nullable(), verified: z.boolean() }),
  })
  .meta({ id: 'WidgetVisitor' });

export const widgetMessage = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    client_id: z.string().nullable(),
    author: z.enum(['visitor', 'ai', 'agent', 'system']),
    text: z.string().describe('Plain text: always shown as text, never as HTML.'),
    created_at: z.string(),
  })
  .meta({ id: 'WidgetMessage' });

const handling = {
  status: z.enum(['active', 'support_active']),
  handled_by: z.enum(['ai', 'people']),
};

export const widgetMessages = z
  .object({ messages: z.array(widgetMessage), ...handling })
  .meta({ id: 'WidgetMessages' });

export const messagesQuery = z.object({
  after: z.coerce.number().int().min(0).optional().describe('The highest `seq` the widget has: messages after it.'),
});

export const visitorHeaders = z.object({
  'x-parley-visitor': z.string().max(200).optional().describe('The visitor token.'),
});

export const newMessageBody = z.object({
  client_id: z
    .string()
    .regex(/^[\w-]{1,64}$/, 'must be 1–64 letters, digits, - or _')
    .describe('The widget’s own id for the message: sending it again stores nothing twice.'),
  text: z.string().trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters'),
});

export const typingBody = z.object({ typing: z.boolean() });
