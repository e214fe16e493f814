import { z } from 'zod';
import { pageOf } from '../kernel/pagination.js';
import { REPLY_HANDLERS } from '../db/schema/index.js';

export const loginBody = z.object({
  username: z.string().min(1, 'This field may not be blank.').max(150),
  password: z.string().min(1, 'This field may not be blank.').max(1024),
});

export const signInLinkBody = z.object({
  token: z
    .string()
    .min(1, 'This field may not be blank.')
    .max(100)
    .describe('What follows `#link=` in a one-time sign-in link, such as the one `parley demo` prints.'),
});

export const tokenResponse = z.object({ token: z.string() }).meta({ id: 'Token' });

export const meResponse = z
  .object({
    username: z.string(),
    email: z.string(),
    is_admin: z.boolean(),
    default_reply_handler: z.enum(REPLY_HANDLERS),
  })
  .meta({ id: 'Me' });

export const defaultHandlerBody = z.object({
  default_reply_handler: z.enum(REPLY_HANDLERS, { error: 'Must be "AI" or "Manual".' }),
});

export const defaultHandlerResponse = defaultHandlerBody.meta({ id: 'DefaultHandler' });

export const tokenItem = z
  .object({
    id: z.string(),
    name: z.string().describe('"sign-in" for tokens from the sign-in endpoint, "cli" or a given name otherwise.'),
    created_at: z.string(),
    last_used_at: z.string().nullable().describe('Kept to within about a minute.'),
    expires_at: z.string().nullable().describe('Null: the token never expires.'),
    expired: z.boolean(),
    current: z.boolean().describe('The token this request presents.'),
  })
  .meta({ id: 'ApiToken' });

export const tokenList = pageOf(tokenItem).meta({ id: 'ApiTokenList' });
export const tokenParams = z.object({ token_id: z.string().min(1).max(100) });

export const sessionResponse = z
  .object({
    user: z.object({
      id: z.string(),
      username: z.string(),
      email: z.string(),
      is_admin: z.boolean(),
      default_reply_handler: z.enum(REPLY_HANDLERS),
    }),
    csrf_token: z
      .string()
      .describe(
        'Send it as the X-CSRF-Token header on every POST, PUT, PATCH and DELETE made with the session cookie.',
      ),
  })
  .meta({ id: 'DashboardSession' });
