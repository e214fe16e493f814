import { z } from 'zod';
import { aiStatusRows, setAutoResponse, setSuspended } from '../../ai/ai-settings.js';
import { aiAvailability, NO_KEY_HELP } from '../../ai/availability.js';
import { handBackWaiting } from '../../ai/handback.js';
import { findUser } from '../../auth/auth.service.js';
import type { AiUnavailableReason } from '../../conversations/status.service.js';
import { modelHealthView } from '../../jobs/scheduled.jobs.js';
import { defineCommand, EXIT, table, type CommandContext } from '../command.js';

const userArgs = z.object({ user: z.string().optional() });

async function switchAutoResponse(context: CommandContext, enabled: boolean, username?: string) {
  const { database, config, io } = context;
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
  if (enabled && changed.length > 0) await explainEnabled(context, changed, userIds);
  return EXIT.ok;
}

/** After switching auto-response on: whether the AI can now answer, and what became of the waiting conversations. */
async function explainEnabled(context: CommandContext, usernames: string[], userIds: string[] | undefined) {
  const { database, config, io } = context;
  if (aiAvailability(config, { autoResponseEnabled: true, suspended: false }) === 'no_api_key') {
    io.err('But the AI still cannot answer.');
    for (const line of NO_KEY_HELP) io.err(line);
    return;
  }
  const changed = new Set(usernames);
  const rows = await aiStatusRows(database.db, config.gemini.defaultModel);
  for (const row of rows) {
    if (changed.has(row.username) && row.defaultReplyHandler === 'Manual') {
      io.err(
        `Note: ${row.username}'s default handler is Manual, so their new conversations still go to people first (PUT /api/v1/ai/default-handler/ with {"default_reply_handler": "AI"} changes it).`,
      );
    }
  }
  const handback = { db: database.db, events: context.events, config };
  for (const report of await handBackWaiting(handback, { userIds })) {
    if (report.returned > 0) {
      io.out(
        `Handed ${plural(report.returned, 'conversation')} of ${report.username} back to the AI: they went to people only because the AI was unavailable.`,
      );
    }
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
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
          simulated: config.gemini.simulated,
          model_health: health,
          users: rows.map((row) => ({
            username: row.username,
            auto_response_enabled: row.autoResponseEnabled,
            suspended: row.suspended,
            default_reply_handler: row.defaultReplyHandler,
            model_name: row.modelName,
            api_key_configured: keyConfigured,
            conversations: {
              active: row.active,
              support_active: row.supportActive,
              waiting_for_ai: row.waitingForAi,
            },
          })),
        }),
      );
      return EXIT.ok;
    }
    io.out(`Global Gemini API key: ${keyView(config)}`);
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
      ['user', 'auto-response', 'default handler', 'model', 'key', 'active', 'support_active', 'waiting for AI'],
      rows.map((row) => [
        row.username,
        `${row.autoResponseEnabled ? 'enabled' : 'disabled'}${row.suspended ? ', SUSPENDED' : ''}`,
        row.defaultReplyHandler,
        row.modelName,
        config.gemini.simulated ? 'simulated' : keyConfigured ? 'yes' : 'no',
        row.active,
        row.supportActive,
        row.waitingForAi,
      ]),
    );
    for (const line of lines) io.out(line);
    return EXIT.ok;
  },
});

function keyView(config: CommandContext['config']): string {
  if (config.gemini.simulated) return 'none: replies are SIMULATED (PARLEY_SIMULATED_MODEL)';
  return config.gemini.apiKey ? 'configured' : 'NOT configured (set GEMINI_API_KEY)';
}

const STILL_UNAVAILABLE: Record<AiUnavailableReason, string> = {
  no_api_key: 'no Gemini API key',
  ai_disabled: 'auto-response is off',
  suspended: 'suspended',
};

async function switchSuspension(context: CommandContext, suspended: boolean, username: string) {
  const { database, config, io } = context;
  const user = await findUser(database.db, username);
  if (!user) {
    io.err(`Error: no user named "${username}".`);
    return EXIT.failure;
  }
  await setSuspended(database.db, suspended, config.gemini.defaultModel, [user.id]);
  if (suspended) {
    io.out(
      `Suspended the AI of ${user.username}: it answers no one, whatever they set; new conversations go to people.`,
    );
    return EXIT.ok;
  }
  io.out(`Resumed the AI of ${user.username}: their own settings decide again.`);
  // Conversations that waited for the AI only because of the suspension are the AI's again.
  const reports = await handBackWaiting({ db: database.db, events: context.events, config }, { userIds: [user.id] });
  for (const report of reports) {
    if (report.returned > 0) io.out(`Handed ${plural(report.returned, 'conversation')} back to the AI.`);
  }
  return EXIT.ok;
}

const suspendArgs = z.object({ user: z.string() });

export const aiControlSuspend = defineCommand({
  args: suspendArgs,
  run: (context, args) => switchSuspension(context, true, args.user),
});

export const aiControlResume = defineCommand({
  args: suspendArgs,
  run: (context, args) => switchSuspension(context, false, args.user),
});

export const aiControlHandback = defineCommand({
  args: z.object({ user: z.string().optional(), dryRun: z.boolean().default(false), json: z.boolean().default(false) }),
  async run({ database, config, io, events }, args) {
    let userIds: string[] | undefined;
    if (args.user !== undefined) {
      const user = await findUser(database.db, args.user);
      if (!user) {
        io.err(`Error: no user named "${args.user}".`);
        return EXIT.failure;
      }
      userIds = [user.id];
    }
    const reports = await handBackWaiting({ db: database.db, events, config }, { userIds, dryRun: args.dryRun });
    if (args.json) {
      io.out(
        JSON.stringify({
          dry_run: args.dryRun,
          users: reports.map((report) => ({
            username: report.username,
            waiting: report.waiting,
            returned_to_ai: report.returned,
            kept_with_people: report.keptWithPeople,
            still_waiting_because: report.stillUnavailable,
          })),
        }),
      );
      return EXIT.ok;
    }
    if (reports.length === 0) {
      io.out('No conversation is waiting for the AI.');
      return EXIT.ok;
    }
    if (args.dryRun) io.out('Dry run: nothing changed. This is what `ai_control handback` would do:');
    const lines = table(
      ['user', 'waiting', 'to the AI', 'kept with people', 'still waiting because'],
      reports.map((report) => [
        report.username,
        report.waiting,
        report.returned,
        report.keptWithPeople,
        report.stillUnavailable ? STILL_UNAVAILABLE[report.stillUnavailable] : '-',
      ]),
    );
    for (const line of lines) io.out(line);
    return EXIT.ok;
  },
});
