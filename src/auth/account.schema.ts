import { z } from 'zod';
import { pageOf } from '../kernel/pagination.js';
import { PASSWORD_MAX_LENGTH } from './password.js';
import { tokenItem } from './auth.schema.js';

/** What a signed-in person does with their own account (issue #14): password, sessions, tokens. */

const blank = 'This field may not be blank.';

export const passwordChangeBody = z.object({
  current_password: z.string().min(1, blank).max(PASSWORD_MAX_LENGTH),
  new_password: z
    .string()
    .min(1, blank)
    .max(PASSWORD_MAX_LENGTH, `The password must be at most ${PASSWORD_MAX_LENGTH} characters.`)
    .describe('At least 8 characters, not all digits: the rules of `parley createuser`.'),
});

export const passwordChangeResponse = z
  .object({
    sessions_ended: z
      .number()
      .int()
      .describe('How many other dashboard sessions were signed out; the one making the request stays.'),
  })
  .meta({ id: 'PasswordChanged' });

export const dashboardSessionItem = z
  .object({
    id: z.string(),
    user_agent: z.string().nullable().describe('The browser that signed in, as it named itself.'),
    created_at: z.string(),
    last_seen_at: z.string().describe('Kept to within about a minute.'),
    expires_at: z.string().describe('If left unused; never later than PARLEY_DASHBOARD_MAX_DAYS after sign-in.'),
    current: z.boolean().describe('The session this request is signed in with.'),
  })
  .meta({ id: 'DashboardSessionItem' });

export const dashboardSessionList = pageOf(dashboardSessionItem).meta({ id: 'DashboardSessionList' });

/** Ten years, as `parley token create --expires-in` allows. */
export const MAX_TOKEN_DAYS = 3650;

export const newTokenBody = z.object({
  name: z.string().trim().min(1, blank).max(100, 'Use at most 100 characters.'),
  expires_in_days: z
    .number()
    .int('Use a whole number of days.')
    .min(1, `Use 1 to ${MAX_TOKEN_DAYS} days.`)
    .max(MAX_TOKEN_DAYS, `Use 1 to ${MAX_TOKEN_DAYS} days.`)
    .nullable()
    .default(null)
    .describe(
      'Null: never expires. A token made with a token expires no later than that one, so a token cannot outlive itself.',
    ),
});

export const newTokenResponse = tokenItem
  .omit({ current: true })
  .extend({ token: z.string().describe('The token itself: shown this once, stored only as a hash.') })
  .meta({ id: 'NewApiToken' });
