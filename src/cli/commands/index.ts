import type { DatabaseCommand } from '../command.js';
import {
  aiControlDisable,
  aiControlEnable,
  aiControlHandback,
  aiControlResume,
  aiControlStatus,
  aiControlSuspend,
} from './ai-control.js';
import { aiControlConversations } from './ai-conversations.js';
import { aiControlQuota } from './ai-quota.js';
import { aiControlSync } from './ai-sync.js';
import { aiControlTest } from './ai-test.js';
import { aiControlValidate } from './ai-validate.js';
import { testAiSetup } from './test-ai-setup.js';
import { createuser } from './createuser.js';
import { migrate } from './migrate.js';
import { signinLink } from './signin-link.js';
import { tokenCreate, tokenList, tokenRevoke } from './token.js';

/** Every command that works on the database, by the name the control socket uses. */
export const databaseCommands: Record<string, DatabaseCommand> = {
  migrate,
  createuser,
  'token create': tokenCreate,
  'token list': tokenList,
  'token revoke': tokenRevoke,
  'ai_control enable': aiControlEnable,
  'ai_control disable': aiControlDisable,
  'ai_control status': aiControlStatus,
  'ai_control test': aiControlTest,
  'ai_control validate': aiControlValidate,
  'ai_control sync': aiControlSync,
  'ai_control conversations': aiControlConversations,
  'ai_control quota': aiControlQuota,
  'ai_control handback': aiControlHandback,
  'ai_control suspend': aiControlSuspend,
  'ai_control resume': aiControlResume,
  test_ai_setup: testAiSetup,
  signin_link: signinLink,
};
