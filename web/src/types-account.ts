// The Account screen's and the first-run checklist's API shapes, from the server's zod schemas
// (type-only imports: nothing of the server reaches the bundle).
import type { z } from 'zod';
import type {
  dashboardSessionList,
  newTokenBody,
  newTokenResponse,
  passwordChangeBody,
  passwordChangeResponse,
} from '../../src/auth/account.schema.js';
import type { tokenList } from '../../src/auth/auth.schema.js';
import type { setupResponse } from '../../src/ai/setup.schema.js';

/** `POST /api/v1/auth/password/` */
export type PasswordChange = z.input<typeof passwordChangeBody>;
export type PasswordChanged = z.infer<typeof passwordChangeResponse>;
/** `GET /api/v1/auth/sessions/` */
export type DashboardSessions = z.infer<typeof dashboardSessionList>;
export type DashboardSessionItem = DashboardSessions['results'][number];
/** `GET /api/v1/auth/tokens/` */
export type ApiTokens = z.infer<typeof tokenList>;
export type ApiToken = ApiTokens['results'][number];
/** `POST /api/v1/auth/tokens/` */
export type NewToken = z.input<typeof newTokenBody>;
export type CreatedToken = z.infer<typeof newTokenResponse>;
/** `GET /api/v1/ai/setup/` */
export type Setup = z.infer<typeof setupResponse>;
export type SetupFinding = Setup['findings'][number];
export type SetupStep = keyof Setup['steps'];
