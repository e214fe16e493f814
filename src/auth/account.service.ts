import { AppError, NotAuthenticatedError, ValidationError } from '../kernel/errors.js';
import type { Database } from '../db/client.js';
import type { TokenRevocations } from '../events/revocations.js';
import { setPasswordHash, type TokenSummary } from './auth.repo.js';
import { issueToken, verifyCredentials, withLockOut, type AuthUser } from './auth.service.js';
import { hashPassword, passwordProblemSentences } from './password.js';
import { endUserSessions } from './sessions.service.js';
import type { SignInGuard } from './sign-in-guard.js';

/** A wrong current password: a 400 beside the field, not a 401, which would read as "signed out". */
export class WrongPasswordError extends AppError {
  override readonly status = 400;
  override readonly code = 'wrong_password';
  constructor() {
    super('The current password is not right.', {
      errors: { current_password: ['This is not your current password.'] },
    });
  }
}

const DAY_MS = 86_400_000;

export interface AccountDeps {
  db: Database;
  /** Wrong current passwords count towards the username's sign-in lock-out. */
  guard: SignInGuard;
  revocations: TokenRevocations;
}

/**
 * Changes the password once the current one is proved, then signs out every
 * other dashboard session of the user (whoever changes a password may be
 * shutting someone out), keeping the one making the change. API tokens stay:
 * they are listed beside it to revoke. How many sessions ended.
 */
export async function changePassword(
  deps: AccountDeps,
  user: AuthUser,
  passwords: { current: string; next: string },
): Promise<number> {
  try {
    await withLockOut(deps.guard, user.username, () => verifyCredentials(deps.db, user.username, passwords.current));
  } catch (error) {
    if (error instanceof NotAuthenticatedError) throw new WrongPasswordError();
    throw error;
  }
  const problems = passwordProblemSentences(passwords.next);
  if (passwords.next === passwords.current) problems.push('The new password must differ from the current one.');
  if (problems.length > 0) throw new ValidationError({ new_password: problems });
  await setPasswordHash(deps.db, user.id, await hashPassword(passwords.next));
  return endUserSessions(deps.db, user.id, deps.revocations, user.sessionId);
}

/**
 * A new API token for the signed-in user. One made with a token expires no
 * later than that token, so a leaked short-lived token cannot mint a lasting one.
 */
export async function createOwnToken(
  db: Database,
  user: AuthUser,
  request: { name: string; expiresInDays: number | null },
): Promise<{ token: string; summary: TokenSummary }> {
  let expiresAt = request.expiresInDays === null ? null : new Date(Date.now() + request.expiresInDays * DAY_MS);
  const ceiling = user.tokenExpiresAt;
  if (ceiling && (expiresAt === null || expiresAt > ceiling)) expiresAt = ceiling;
  return issueToken(db, user.id, request.name, expiresAt);
}
