import type { Config } from '../kernel/config.js';
import type { Database } from '../db/client.js';
import { usersNamed } from './ai.repo.js';
import { getAiSettings, type AiSettings } from './ai-settings.js';
import { ModelError, type ModelProvider } from '../model/model-provider.js';

/** What `ai_control validate` finds wrong with one business's AI setup. */
export interface BusinessCheck {
  username: string;
  modelName: string;
  problems: string[];
}

/** Looks each distinct model up once, however many businesses use it. */
export function modelChecker(model: ModelProvider | undefined) {
  const seen = new Map<string, Promise<string | undefined>>();
  return (name: string): Promise<string | undefined> => {
    if (!model) return Promise.resolve(undefined);
    let verdict = seen.get(name);
    if (!verdict) {
      verdict = model.describeModel(name).then(
        (info) => (info ? undefined : `the model "${name}" does not exist or this key cannot use it`),
        (error: unknown) =>
          `could not check the model "${name}": ${error instanceof ModelError ? `${error.errorClass}, ${error.message}` : String(error)}`,
      );
      seen.set(name, verdict);
    }
    return verdict;
  };
}

function problemsOf(settings: AiSettings, username: string, keyConfigured: boolean): string[] {
  const problems: string[] = [];
  if (!settings.autoResponseEnabled) {
    problems.push(`AI auto-response is disabled (enable it with: parley ai_control enable --user ${username})`);
  }
  if (!keyConfigured) problems.push('GEMINI_API_KEY is not set on the server, so the AI cannot answer anyone');
  const { manualPrompt, knowledgeSource, productService, questionAnswer } = settings.prompts;
  if (![manualPrompt, knowledgeSource, productService, questionAnswer].some((text) => text.trim())) {
    problems.push(
      'no prompts are set, so the AI knows nothing about the business (PUT /api/v1/ai/config/ with "prompts")',
    );
  }
  if (settings.businessHoursEnabled) {
    const ranges = Object.values(settings.businessHours?.schedule ?? {}).flat();
    if (ranges.length === 0)
      problems.push('business hours are enabled but no day has opening hours, so the AI never answers');
  }
  return problems;
}

/** Every problem with each business's AI setup (all businesses, or the named ones). */
export async function checkBusinesses(
  db: Database,
  config: Config,
  model: ModelProvider | undefined,
  usernames?: string[],
): Promise<BusinessCheck[]> {
  const rows = await usersNamed(db, usernames);
  const checkModel = modelChecker(model);
  const keyConfigured = Boolean(config.gemini.apiKey);
  return Promise.all(
    rows.map(async (user) => {
      const settings = await getAiSettings(db, user.id, config.gemini.defaultModel);
      const problems = problemsOf(settings, user.username, keyConfigured);
      const modelProblem = await checkModel(settings.modelName);
      if (modelProblem) problems.push(modelProblem);
      return { username: user.username, modelName: settings.modelName, problems };
    }),
  );
}
