import { createHash, randomBytes } from 'node:crypto';
import { BadRequestError, NotAuthenticatedError, NotFoundError } from '../kernel/errors.js';
import { randomId } from '../kernel/ids.js';
import type { Database } from '../db/client.js';
import { findUser } from './auth.service.js';
import {
  openSession,
  type SessionDeps,
  type SessionOptions,
  type SessionStart,
  type StartedSession,
} from './sessions.service.js';
import { deleteSpentSignInLinks, insertSignInLink, redeemSignInLink } from './sign-in-links.repo.js';

/**
 * One-time sign-in links: `<PUBLIC_URL>/sign-in#link=<token>` opens the dashboard signed in, once.
 * The token travels in the URL's fragment, which browsers never send to a server, so neither
 * access logs nor a chat app's link preview can spend it: the page posts it itself.
 */
export const DEFAULT_LINK_MINUTES = 60;
export const MAX_LINK_MINUTES = 7 * 24 * 60;

export interface SignInLink {
  /** Goes after `#link=`; shown once, never stored. */
  token: string;
  expiresAt: Date;
}

/** The link to open: the dashboard's sign-in page, carrying the token in its fragment. */
export function signInLinkUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/sign-in#link=${token}`;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export async function createSignInLink(
  db: Database,
  input: { username: string; minutes?: number },
): Promise<SignInLink> {
  const minutes = input.minutes ?? DEFAULT_LINK_MINUTES;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_LINK_MINUTES) {
    throw new BadRequestError(`A sign-in link lasts 1 to ${MAX_LINK_MINUTES} minutes (7 days).`, 'invalid_minutes');
  }
  const user = await findUser(db, input.username);
  if (!user) throw new NotFoundError(`There is no user ${input.username}.`);
  const token = randomBytes(32).toString('base64url');
  const expiresAt = await insertSignInLink(db, {
    id: randomId(16),
    userId: user.id,
    tokenHash: hashToken(token),
    minutes,
  });
  return { token, expiresAt };
}

/** Spends a link for a dashboard session; a used, expired or unknown link is a 401. */
export async function signInWithLink(
  deps: SessionDeps,
  input: SessionStart & { token: string },
  options: SessionOptions,
): Promise<StartedSession> {
  const user = await redeemSignInLink(deps.db, hashToken(input.token));
  if (!user) {
    throw new NotAuthenticatedError(
      'This sign-in link has been used or has expired. Sign in with your username and password, or ask for a new link.',
      'sign_in_link_invalid',
    );
  }
  return openSession(deps, user, input, options);
}

export { deleteSpentSignInLinks };
