import type { Database } from '../db/client.js';
import { recountConversations } from './conversations.repo.js';

/**
 * Recomputes each conversation's message count and last activity from its
 * messages, fixing any that drifted (a restore, a manual edit). Idempotent.
 */
export async function reconcileConversations(db: Database): Promise<{ checked: number; updated: string[] }> {
  return recountConversations(db);
}
