import type { Prompts } from './ai-settings.js';
import { describeLocalTime } from './business-hours.js';
import { PROMPT_SECTIONS, sectionLines, STANDING_RULES } from './prompt-sections.js';

/**
 * The system instruction: Parley's standing rules and the business's own
 * material, each in its own tagged section, then the business's local time.
 * Only the business writes into it; customer text always travels in `contents`.
 */
export interface PromptContext {
  prompts: Prompts;
  timezone: string;
  now: Date;
}

/**
 * Everything but the clock, byte-identical for every reply of a business until
 * it edits its texts: Gemini's prompt cache only reuses an identical prefix.
 */
export function stablePrefix(prompts: Prompts): string {
  const lines = [...STANDING_RULES];
  for (const section of PROMPT_SECTIONS) lines.push(...sectionLines(section, prompts[section.key]));
  return lines.join('\n');
}

// The line changes once a minute; formatting it costs more than the rest of the prompt.
const timeLines = new Map<string, string>();

/** What varies from one reply to the next: the business's clock, for "are you open now?". */
export function localTimeLine(timezone: string, now: Date): string {
  const key = `${timezone}|${Math.floor(now.getTime() / 60_000)}`;
  const known = timeLines.get(key);
  if (known !== undefined) return known;
  if (timeLines.size >= 1_000) timeLines.clear();
  const line = `The business's local date and time now: ${describeLocalTime(timezone, now)}.`;
  timeLines.set(key, line);
  return line;
}

export function buildSystemInstruction({ prompts, timezone, now }: PromptContext): string {
  // The local time goes last, so the part before it stays cacheable.
  return `${stablePrefix(prompts)}\n\n${localTimeLine(timezone, now)}`;
}
