import type { Prompts } from './ai-settings.js';
import { describeLocalTime } from './business-hours.js';
import { PROMPT_SECTIONS, sectionLines, STANDING_RULES } from './prompt-sections.js';

/**
 * The system instruction: Parley's standing rules, the business's local time,
 * and the business's own material, each in its own tagged section. Only the
 * business writes into it; customer text always travels in `contents`.
 */
export interface PromptContext {
  prompts: Prompts;
  timezone: string;
  now: Date;
}

export function buildSystemInstruction({ prompts, timezone, now }: PromptContext): string {
  const lines = [...STANDING_RULES, '', `The business's local date and time now: ${describeLocalTime(timezone, now)}.`];
  for (const section of PROMPT_SECTIONS) lines.push(...sectionLines(section, prompts[section.key]));
  return lines.join('\n');
}
