import { desc, eq } from 'drizzle-orm';
import { randomId } from '../kernel/ids.js';
import type { Database } from '../db/client.js';
import { handovers, type HandoverSource } from '../db/schema/index.js';
import type { Conversation } from './conversations.repo.js';

/** One handover, for analytics and for the status view's reason. */
export async function recordHandover(
  tx: Database,
  conversation: Conversation,
  handover: { source: HandoverSource; reason: string; detail?: string | undefined },
): Promise<void> {
  await tx.insert(handovers).values({
    id: randomId(16),
    userId: conversation.userId,
    conversationId: conversation.id,
    source: handover.source,
    reason: handover.reason,
    detail: handover.detail ?? null,
  });
}

/** An agent's takeover of each of the business's `conversationIds`, in one statement. */
export async function recordAgentTakeovers(tx: Database, userId: string, conversationIds: string[]): Promise<void> {
  await tx.insert(handovers).values(
    conversationIds.map((conversationId) => ({
      id: randomId(16),
      userId,
      conversationId,
      source: 'agent' as const,
      reason: 'agent_takeover',
    })),
  );
}

export async function lastHandoverReason(db: Database, conversationId: string): Promise<string | undefined> {
  const [last] = await db
    .select({ reason: handovers.reason })
    .from(handovers)
    .where(eq(handovers.conversationId, conversationId))
    .orderBy(desc(handovers.createdAt))
    .limit(1);
  return last?.reason;
}
