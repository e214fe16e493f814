import type { AnsweringNow, TryAnswer } from '../../types-ai.js';

// The AI screens' reasons, in words.

const NEW_CONVERSATIONS: Record<NonNullable<AnsweringNow['reason']>, string> = {
  no_api_key:
    'No: the server has no Gemini key (GEMINI_API_KEY), so the AI cannot answer anyone. Whoever runs Parley needs to set it; until then new conversations wait for your people.',
  suspended:
    'No: whoever runs Parley has suspended the AI for your business, whatever your settings say. Conversations go to your people until they resume it.',
  ai_disabled: 'No: auto-response is off, so the AI answers no one. Conversations go to your people.',
  default_handler_manual:
    'No: new conversations go to your people first (the default handler is Manual). You can hand any of them to the AI from the inbox.',
  outside_business_hours:
    'Not now: it is outside your business hours, so customers get your away message instead of an AI answer.',
  quota_exceeded: 'No: your AI quota is used up, so conversations go to your people until it resets.',
};

/** Whether a customer who writes now gets an AI answer, and why not. */
export function answeringNowText(now: AnsweringNow): string {
  return now.reason ? NEW_CONVERSATIONS[now.reason] : 'Yes: the AI answers new conversations.';
}

const NO_ANSWER: Record<NonNullable<TryAnswer['reason']>, string> = {
  suspended: 'Whoever runs Parley has suspended the AI for your business, so it answers no one, not even here.',
  ai_disabled: 'Auto-response is off.',
  no_api_key: 'The server has no Gemini key (GEMINI_API_KEY), so the AI cannot answer anyone.',
  manual_handling:
    'The AI handed this conversation to people earlier, so it stays quiet, as it would with a customer. Start over to try again.',
  outside_business_hours: 'It is outside your business hours.',
  quota_exceeded: 'Your AI quota is used up, so the AI does not answer until it resets.',
  customer_rate_limited:
    'This customer has had as many AI answers this hour as Parley allows one customer, so their messages go to your people.',
  safety_blocked: "The model blocked its answer for safety reasons. A customer's conversation would go to your people.",
  handed_over:
    "The AI passed this to your people instead of answering (the question calls for a person, or the answer is not in your prompts). A customer's conversation would go to your people.",
  ai_unavailable:
    "The model failed or could not be reached, even after retries. A customer's conversation would go to your people.",
};

/** Why a question got no AI answer. */
export function noAnswerText(reason: NonNullable<TryAnswer['reason']>): string {
  return NO_ANSWER[reason];
}

export const SIMULATED_NOTE =
  'This server runs a simulated model (PARLEY_SIMULATED_MODEL): its replies start with “[Simulated]” and only repeat lines of your prompts. They are not real AI answers.';
