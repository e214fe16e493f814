import { NotFoundError } from '../kernel/errors.js';
import { createUser } from '../auth/auth.service.js';
import { generatePassword } from '../auth/password.js';
import type { Database } from '../db/client.js';
import type { Config } from '../kernel/config.js';
import { capsInForce, quotaStatusOf, quotaStatusView } from '../usage/quota.service.js';
import { businessRows, type BusinessRow } from './admin.repo.js';

/** Days and months are calendar periods in PARLEY_TIMEZONE, as the quotas count them. */
export interface AdminDeps {
  db: Database;
  timezone: string;
  /** For businesses without caps of their own. */
  defaultQuota: Config['defaultQuota'];
}

export function businessView(row: BusinessRow, defaultQuota: Config['defaultQuota']) {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    is_admin: row.isAdmin,
    created_at: row.createdAt.toISOString(),
    ai_enabled: row.aiEnabled,
    suspended: row.suspended,
    default_reply_handler: row.defaultReplyHandler,
    conversations: row.conversations,
    usage_this_month: {
      requests: row.monthRequests,
      total_tokens: row.used.month,
      estimated_cost_usd: row.monthCostUsd,
    },
    quota: quotaStatusView(quotaStatusOf(capsInForce(row.limits, defaultQuota), row.used)),
  };
}

export type BusinessView = ReturnType<typeof businessView>;

export async function listBusinesses(
  { db, timezone, defaultQuota }: AdminDeps,
  now = new Date(),
): Promise<BusinessView[]> {
  return (await businessRows(db, timezone, now)).map((row) => businessView(row, defaultQuota));
}

export async function getBusiness(
  { db, timezone, defaultQuota }: AdminDeps,
  id: string,
  now = new Date(),
): Promise<BusinessView> {
  const [row] = await businessRows(db, timezone, now, id);
  if (!row) throw new NotFoundError('No such business.');
  return businessView(row, defaultQuota);
}

export interface NewBusiness {
  username: string;
  email?: string | undefined;
  isAdmin: boolean;
}

/**
 * `parley createuser` from the admin screen: the same rules (createUser), and
 * a generated password the operator hands on, since nobody typed one.
 */
export async function createBusiness(
  deps: AdminDeps,
  input: NewBusiness,
): Promise<{ business: BusinessView; password: string }> {
  const password = generatePassword();
  const user = await createUser(deps.db, {
    username: input.username,
    email: input.email,
    password,
    isAdmin: input.isAdmin,
  });
  return { business: await getBusiness(deps, user.id), password };
}
