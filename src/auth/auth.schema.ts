import { z } from 'zod';
import { REPLY_HANDLERS } from '../db/schema/index.js';

export const loginBody = z.object({
  username: z.string().min(1, 'This field may not be blank.').max(150),
  password: z.string().min(1, 'This field may not be blank.').max(1024),
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
