import { z } from 'zod';

const FINDING_CODES = [
  'ai_off',
  'no_key',
  'no_prompts',
  'no_opening_hours',
  'model_not_allowed',
  'model_unavailable',
  'model_unchecked',
] as const;

export const setupFinding = z
  .object({
    code: z.enum(FINDING_CODES),
    severity: z
      .enum(['broken', 'unfinished'])
      .describe(
        '`broken`: the AI is on and cannot answer. `unfinished`: setup is not finished (the AI off, no prompts).',
      ),
    message: z.string(),
  })
  .meta({ id: 'SetupFinding' });

export const setupResponse = z
  .object({
    status: z
      .enum(['ready', 'unfinished', 'broken'])
      .describe('`ready` when nothing was found; otherwise the worst finding’s severity.'),
    complete: z.boolean().describe('Every first-run step done and nothing broken.'),
    steps: z
      .object({
        prompts: z.boolean().describe('Some prompt is written.'),
        ai_on: z.boolean().describe('AI auto-response is on.'),
        tried: z.boolean().describe('The business has asked the AI at least once (`ask`, the dashboard’s "Try it").'),
        channel: z.boolean().describe('A Telegram or Instagram channel is connected.'),
      })
      .describe('The first-run checklist, in order.'),
    findings: z.array(setupFinding).describe('What `parley ai_control validate` finds for this business.'),
  })
  .meta({ id: 'AiSetup' });
