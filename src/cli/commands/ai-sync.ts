import { z } from 'zod';
import { reconcileConversations } from '../../conversations/reconcile.js';
import { defineCommand, EXIT } from '../command.js';

/**
 * `ai_control sync`: the seed kept AI chat sessions apart from the message
 * system's conversations and synced them. Here a session is the conversation
 * itself, so what can drift is what is kept on it for speed: its message
 * count and last activity. Sync recomputes them from the messages.
 */
export const aiControlSync = defineCommand({
  args: z.object({ json: z.boolean().default(false) }),
  async run({ database, io }, args) {
    const result = await reconcileConversations(database.db);
    if (args.json) io.out(JSON.stringify({ checked: result.checked, updated: result.updated }));
    else {
      io.out(
        result.updated.length === 0
          ? `Checked ${result.checked} conversations: all in sync.`
          : `Checked ${result.checked} conversations: updated ${result.updated.length} (${result.updated.join(', ')}).`,
      );
    }
    return EXIT.ok;
  },
});
