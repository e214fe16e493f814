import { AI_HANDOVER_REASONS, type AiHandoverReason } from '../conversations/handover.js';
import type { ToolDeclaration } from '../model/model-provider.js';

/** The tool the model calls to pass a conversation to the business's people. */
export const HANDOVER_TOOL: ToolDeclaration = {
  name: 'handover_to_human',
  description:
    'Hand this conversation to a person from the business. Use it when the customer asks for a person, when the answer is not in the business information, for complaints, and for sensitive matters (health, legal, payment disputes, personal data).',
  parameters: {
    type: 'object',
    properties: {
      reason: { type: 'string', enum: [...AI_HANDOVER_REASONS], description: 'Why a person should take over.' },
      note: { type: 'string', description: 'One short sentence for the person taking over.' },
    },
    required: ['reason'],
  },
};

export function handoverReason(tool: string, args: Record<string, unknown>): AiHandoverReason {
  if (tool !== HANDOVER_TOOL.name) return 'other';
  return AI_HANDOVER_REASONS.find((known) => known === args.reason) ?? 'other';
}

export function handoverNote(args: Record<string, unknown>): string | undefined {
  return typeof args.note === 'string' && args.note.trim() ? args.note.trim().slice(0, 500) : undefined;
}
