import type { z } from 'zod';
import type { Config } from '../kernel/config.js';
import type { DatabaseHandle } from '../db/client.js';
import type { EventBus } from '../events/events.js';
import type { TokenRevocations } from '../events/revocations.js';

/** Where a command writes: the terminal, or the control socket back to a waiting CLI. */
export interface CommandIO {
  out(line: string): void;
  err(line: string): void;
}

export interface CommandContext {
  database: DatabaseHandle;
  config: Config;
  io: CommandIO;
  /** Where a revoke is announced, so running servers close the token's WebSockets. */
  revocations: TokenRevocations;
  /** Live events, for status changes a command makes (a hand-back) to reach the dashboards. */
  events: EventBus;
}

/**
 * A command that works on the database. It runs in the CLI process, or, when
 * an embedded server already holds the database, inside that server (see
 * control.ts). Its arguments are plain data so they can cross the socket, and
 * are validated wherever it runs.
 */
export interface DatabaseCommand {
  run(context: CommandContext, args: unknown): Promise<number>;
}

export function defineCommand<A>(spec: {
  args: z.ZodType<A>;
  run(context: CommandContext, args: A): Promise<number>;
}): DatabaseCommand {
  return {
    async run(context, raw) {
      const parsed = spec.args.safeParse(raw);
      if (!parsed.success) {
        context.io.err(`Error: invalid arguments: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
        return EXIT.usage;
      }
      return spec.run(context, parsed.data);
    },
  };
}

/** Exit codes shared by every command (contract §3). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Renders rows as an aligned plain-text table. */
export function table(headers: string[], rows: (string | number | boolean)[][]): string[] {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)];
}
