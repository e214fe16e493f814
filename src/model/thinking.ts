/**
 * How much a Gemini model may think before it answers (thinkingConfig.thinkingBudget),
 * per model as Google documents it (ai.google.dev/gemini-api/docs/thinking):
 * 2.5 Pro 128–32768 and never off; 2.5 Flash 0–24576; 2.5 Flash-Lite 0 or 512–24576.
 */
export interface ThinkingRange {
  min: number;
  max: number;
  /** Whether 0 (thinking off) is allowed below `min`. */
  canTurnOff: boolean;
}

const KNOWN_RANGES: Record<string, ThinkingRange> = {
  'gemini-2.5-pro': { min: 128, max: 32_768, canTurnOff: false },
  'gemini-2.5-flash': { min: 1, max: 24_576, canTurnOff: true },
  'gemini-2.5-flash-lite': { min: 512, max: 24_576, canTurnOff: true },
};

/** The range of a model Parley knows; undefined for others (aliases such as gemini-flash-latest move). */
export function thinkingRange(model: string): ThinkingRange | undefined {
  return Object.hasOwn(KNOWN_RANGES, model) ? KNOWN_RANGES[model] : undefined;
}

/** The largest budget any model takes: what the API body accepts before the model is known. */
export const MAX_THINKING_BUDGET = 32_768;

/**
 * The budget sent for a business's setting: its own when set; otherwise thinking off where the
 * model allows it (chat replies need no reasoning, and thinking is billed as output), else the
 * model's smallest; undefined (no thinkingConfig, Google's default) for a model Parley does not know.
 */
export function thinkingBudgetFor(model: string, budget: number | null): number | undefined {
  if (budget !== null) return budget;
  const range = thinkingRange(model);
  if (!range) return undefined;
  return range.canTurnOff ? 0 : range.min;
}

/** Why `model` cannot take `budget`, in words naming its range; undefined when it can. */
export function thinkingBudgetProblem(model: string, budget: number | null): string | undefined {
  const range = thinkingRange(model);
  if (budget === null || !range) return undefined;
  if (budget === 0 && range.canTurnOff) return undefined;
  if (budget >= range.min && budget <= range.max) return undefined;
  const off = range.canTurnOff ? '0 (thinking off) or ' : '';
  const never = range.canTurnOff ? '' : ` (${model} cannot turn thinking off)`;
  return `${model} takes a thinking budget of ${off}${range.min} to ${range.max} tokens${never}.`;
}

/**
 * Gemini 2.5 counts thinking inside maxOutputTokens, so a budget taken from a small limit can
 * leave no room for the answer (MAX_TOKENS with only a thought). The answer keeps its full
 * `max_tokens`: the limit sent is that plus the budget.
 */
export function outputLimitWithThinking(maxTokens: number, thinkingBudget: number | undefined): number {
  return maxTokens + Math.max(thinkingBudget ?? 0, 0);
}
