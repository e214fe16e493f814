import { z } from 'zod';
import { aiStatusRows, setAutoResponse } from '../../ai/ai-settings.js';
import { findUser } from '../../auth/auth.service.js';
import { modelHealthView } from '../../jobs/scheduled.jobs.js';
import { defineCommand, EXIT, table, type CommandContext } from '../command.js';

const userArgs = z.object({ user: z.string().optional() });

async function switchAutoResponse({ database, config, io }: CommandContext, enabled: boolean, username?: string) {
  let userIds: string[] | undefined;
  if (username !== undefined) {
    const user = await findUser(database.db, username);
    if (!user) {
      io.err(`Error: no user named "${username}".`);
      return EXIT.failure;
    }
    userIds = [user.id];
  }
  const changed = await setAutoResponse(database.db, enabled, config.gemini.defaultModel, userIds);
  const verb = enabled ? 'Enabled' : 'Disabled';
  if (changed.length === 0) io.out('No users yet: nothing to change.');
  else io.out(`${verb} AI auto-response for ${changed.length === 1 ? changed[0] : `${changed.length} users`}.`);
  if (enabled && !config.gemini.apiKey) {
    io.err('Note: GEMINI_API_KEY is not set, so the AI stays unavailable until it is.');
  }
  return EXIT.ok;
}

export const aiControlEnable = defineCommand({
  args: userArgs,
  run: (context, args) => switchAutoResponse(context, true, args.user),
});

export const aiControlDisable = defineCommand({
  args: userArgs,
  run: (context, args) => switchAutoResponse(context, false, args.user),
});

export const aiControlStatus = defineCommand({
  args: z.object({ json: z.boolean().default(false) }),
  async run({ database, config, io }, args) {
    const keyConfigured = Boolean(config.gemini.apiKey);
    const rows = await aiStatusRows(database.db, config.gemini.defaultModel);
    const health = await modelHealthView(database.db);
    if (args.json) {
      io.out(
        JSON.stringify({
          api_key_configured: keyConfigured,
          model_health: health,
          users: rows.map((row) => ({
            username: row.username,
            auto_response_enabled: row.autoResponseEnabled,
            default_reply_handler: row.defaultReplyHandler,
            model_name: row.modelName,
            api_key_configured: keyConfigured,
            conversations: { active: row.active, support_active: row.supportActive },
          })),
        }),
      );
      return EXIT.ok;
    }
    io.out(`Global Gemini API key: ${keyConfigured ? 'configured' : 'NOT configured (set GEMINI_API_KEY)'}`);
    io.out(
      health
        ? `Last model health check: ${health.ok ? 'OK' : 'FAILED'} at ${health.checked_at} (${health.detail ?? 'no detail'})`
        : 'Last model health check: none yet (it runs every 12 hours)',
    );
    if (rows.length === 0) {
      io.out('No users yet. Create one with `parley createuser USERNAME`.');
      return EXIT.ok;
    }
    const lines = table(
      ['user', 'auto-response', 'default handler', 'model', 'key', 'active', 'support_active'],
      rows.map((row) => [
        row.username,
        row.autoResponseEnabled ? 'enabled' : 'disabled',
        row.defaultReplyHandler,
        row.modelName,
        keyConfigured ? 'yes' : 'no',
        row.active,
        row.supportActive,
      ]),
    );
    for (const line of lines) io.out(line);
    return EXIT.ok;
  },
});
