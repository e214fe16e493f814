import type { DatabaseCommand } from '../command.js';
import { aiControlDisable, aiControlEnable, aiControlStatus } from './ai-control.js';
import { createuser } from './createuser.js';
import { migrate } from './migrate.js';
import { tokenCreate } from './token.js';

/** Every command that works on the database, by the name the control socket uses. */
export const databaseCommands: Record<string, DatabaseCommand> = {
  migrate,
  createuser,
  'token create': tokenCreate,
  'ai_control enable': aiControlEnable,
  'ai_control disable': aiControlDisable,
  'ai_control status': aiControlStatus,
};
