import type { Config } from '../kernel/config.js';
import type { Database } from '../db/client.js';
import { usersNamed } from './ai.repo.js';
import { getAiSettings, modelInUse, type AiSettings } from './ai-settings.js';
import { ModelError, type ModelProvider } from '../model/model-provider.js';

/**
 * What is wrong with a business's AI setup: the one list `ai_control validate`,
 * `test_ai_setup` and the dashboard's first-run checklist all show (issue #14).
 *
 * A finding is `broken` when the business has the AI on and it cannot answer
 * (no key, a model it cannot use, business hours that never open): that is
 * the operator's to fix, and the operator's checks fail on it. It is
 * `unfinished` when the business has not finished setting up (the AI off, no
 * prompts): the business's choice, reported, failing a check only with
 * `--strict`.
 */
export type FindingCode =
  | 'ai_off'
  | 'no_key'
  | 'no_prompts'
  | 'no_opening_hours'
  | 'model_not_allowed'
  | 'model_unavailable'
  | 'model_unchecked';
export type Severity = 'broken' | 'unfinished';
/** `ready`: nothing found; otherwise the worst finding's severity. */
export type SetupStatus = 'ready' | Severity;

export interface SetupFinding {
  code: FindingCode;
  severity: Severity;
  /** In words a shop owner can read; the CLI adds how to fix it from a terminal. */
  message: string;
}

export interface BusinessCheck {
  userId: string;
  username: string;
  modelName: string;
  aiOn: boolean;
  findings: SetupFinding[];
}

export function statusOf(findings: SetupFinding[]): SetupStatus {
  if (findings.some((finding) => finding.severity === 'broken')) return 'broken';
  return findings.length > 0 ? 'unfinished' : 'ready';
}

/** Whether a check of these findings fails: on what is broken, and with `strict` on anything found. */
export function failsCheck(findings: SetupFinding[], strict: boolean): boolean {
  const status = statusOf(findings);
  return status === 'broken' || (strict && status === 'unfinished');
}

type ModelVerdict = Pick<SetupFinding, 'code' | 'message'> | undefined;

/** Looks each distinct model up once, however many businesses use it. */
export function modelChecker(model: ModelProvider | undefined) {
  const seen = new Map<string, Promise<ModelVerdict>>();
  return (name: string): Promise<ModelVerdict> => {
    if (!model) return Promise.resolve(undefined);
    let verdict = seen.get(name);
    if (!verdict) {
      verdict = lookUp(model, name);
      seen.set(name, verdict);
    }
    return verdict;
  };
}

export type ModelCheck = ReturnType<typeof modelChecker>;

/**
 * The same, remembering each answer for `ttlMs` (a failure to check for a
 * tenth of that), for a server that checks on every page view: the model
 * list changes rarely, and each look-up is a call to Google.
 */
export function rememberingModelChecker(model: ModelProvider | undefined, ttlMs: number): ModelCheck {
  const seen = new Map<string, { verdict: Promise<ModelVerdict>; until: number }>();
  return (name) => {
    if (!model) return Promise.resolve(undefined);
    const now = Date.now();
    const hit = seen.get(name);
    if (hit && hit.until > now) return hit.verdict;
    const verdict = lookUp(model, name);
    seen.set(name, { verdict, until: now + ttlMs });
    void verdict.then((found) => {
      if (found?.code === 'model_unchecked') seen.set(name, { verdict, until: now + ttlMs / 10 });
    });
    return verdict;
  };
}

function lookUp(model: ModelProvider, name: string): Promise<ModelVerdict> {
  return model.describeModel(name).then(
    (info) =>
      info
        ? undefined
        : {
            code: 'model_unavailable' as const,
            message: `the model "${name}" does not exist or this key cannot use it`,
          },
    (error: unknown) => ({
      code: 'model_unchecked' as const,
      message: `could not check the model "${name}": ${error instanceof ModelError ? `${error.errorClass}, ${error.message}` : String(error)}`,
    }),
  );
}

function findingsOf(settings: AiSettings, config: Pick<Config, 'gemini'>, modelVerdict: ModelVerdict): SetupFinding[] {
  const keyConfigured = Boolean(config.gemini.apiKey);
  const aiOn = settings.autoResponseEnabled;
  // What stops answers breaks a business that has the AI on; one that has it off has only not finished.
  const stopsAnswers: Severity = aiOn ? 'broken' : 'unfinished';
  const findings: SetupFinding[] = [];
  if (!aiOn) {
    findings.push({
      code: 'ai_off',
      severity: 'unfinished',
      message: 'AI auto-response is off, so people answer every conversation',
    });
  }
  if (!keyConfigured) {
    findings.push({
      code: 'no_key',
      severity: stopsAnswers,
      message: 'the server has no Gemini API key (GEMINI_API_KEY), so the AI cannot answer anyone',
    });
  }
  const { manualPrompt, knowledgeSource, productService, questionAnswer } = settings.prompts;
  if (![manualPrompt, knowledgeSource, productService, questionAnswer].some((text) => text.trim())) {
    findings.push({
      code: 'no_prompts',
      severity: 'unfinished',
      message: 'no prompts are set, so the AI knows nothing about the business',
    });
  }
  if (settings.businessHoursEnabled) {
    const ranges = Object.values(settings.businessHours?.schedule ?? {}).flat();
    if (ranges.length === 0) {
      findings.push({
        code: 'no_opening_hours',
        severity: stopsAnswers,
        message: 'business hours are on but no day has opening hours, so the AI never answers',
      });
    }
  }
  if (modelInUse(config, settings) !== settings.modelName) {
    // Replies still go out, with the default: the business's choice is not what answers.
    findings.push({
      code: 'model_not_allowed',
      severity: 'unfinished',
      message: `the model "${settings.modelName}" is no longer allowed on this server, so replies use ${config.gemini.defaultModel}; choose one of: ${config.gemini.allowedModels.join(', ')}`,
    });
  }
  if (modelVerdict) findings.push({ ...modelVerdict, severity: stopsAnswers });
  return findings;
}

/** One business's setup, by id: what the dashboard asks about its own business. */
export async function checkBusiness(
  db: Database,
  config: Config,
  checkModel: ModelCheck,
  user: { id: string; username: string },
): Promise<BusinessCheck> {
  const settings = await getAiSettings(db, user.id, config.gemini.defaultModel);
  const findings = findingsOf(settings, config, await checkModel(modelInUse(config, settings)));
  return {
    userId: user.id,
    username: user.username,
    modelName: settings.modelName,
    aiOn: settings.autoResponseEnabled,
    findings,
  };
}

/** Every business's setup (all businesses, or the named ones), by username. */
export async function checkBusinesses(
  db: Database,
  config: Config,
  model: ModelProvider | undefined,
  usernames?: string[],
): Promise<BusinessCheck[]> {
  const rows = await usersNamed(db, usernames);
  const checkModel = modelChecker(model);
  return Promise.all(rows.map((user) => checkBusiness(db, config, checkModel, user)));
}
