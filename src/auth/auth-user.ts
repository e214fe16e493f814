import type { ReplyHandler } from '../db/schema/index.js';

/** Who a request is from, as the token or dashboard session it presents says. */
export interface AuthUser {
  id: string;
  username: string;
  email: string;
  isAdmin: boolean;
  defaultReplyHandler: ReplyHandler;
  /**
   * The token this request was authenticated with, or for a dashboard session
   * its id (which never looks like a token id): what per-token limits, sockets
   * and revocations count by.
   */
  tokenId: string;
  /** When that token stops working; null: never, or a dashboard session (which expires when left idle). */
  tokenExpiresAt: Date | null;
  /** Set when the request was authenticated by a dashboard session cookie rather than a token. */
  sessionId?: string;
}
