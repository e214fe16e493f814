import type { Message } from '../types.js';

/** Why people have a conversation, in words (status_reason). */
const REASONS: Record<string, string> = {
  customer_request: 'the customer asked for a person',
  complaint: 'the customer has a complaint',
  ai_unavailable: 'the AI was unavailable',
  quota_exceeded: 'the AI quota is used up',
  customer_rate_limited: 'the customer had as many AI answers this hour as allowed',
  safety_blocked: "the AI's answer was blocked for safety",
  agent_takeover: 'a person took it over',
  default_handler_manual: 'new conversations go to people',
  waiting_for_ai: 'waiting for the AI to be available',
  no_api_key: 'no AI key is set up',
  ai_disabled: 'auto-response is off',
  suspended: 'the AI is suspended by whoever runs Parley',
};

export function reasonText(reason: string | null | undefined): string | null {
  if (!reason) return null;
  return REASONS[reason] ?? reason.replaceAll('_', ' ');
}

export const AUTHOR: Record<Message['type'], string> = {
  customer: 'Customer',
  AI: 'AI',
  support: 'Agent',
  system: 'System',
};

export const CHANNEL: Record<string, string> = {
  telegram: 'Telegram',
  instagram: 'Instagram',
  api: 'API',
  website: 'Website',
};

export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  const today = new Date();
  return date.toDateString() === today.toDateString()
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleDateString([], { month: 'short', day: 'numeric' });
}
