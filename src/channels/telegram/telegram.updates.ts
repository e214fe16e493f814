import { stripUnsafeCharacters } from '../../kernel/text.js';
import type { InboundMessage } from '../inbound.js';

/**
 * What Parley takes from a Telegram update: a customer's message in a private
 * chat. Media arrive as a readable placeholder (plus any caption) so people
 * and the model know something was sent; everything else is ignored. The
 * customer's words are kept even with characters Parley refuses from its own
 * API (NUL, other controls): those are stripped, the rest stored.
 */

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const PLACEHOLDERS: [string, string][] = [
  ['photo', '[photo]'],
  ['sticker', '[sticker]'],
  ['voice', '[voice message]'],
  ['video', '[video]'],
  ['video_note', '[video message]'],
  ['audio', '[audio]'],
  ['document', '[file]'],
  ['location', '[location]'],
  ['contact', '[contact]'],
];

/** Telegram's own limit is 4096; a longer text cannot be a real message. */
const MAX_TEXT = 4_096;

export function inboundFromUpdate(update: unknown): InboundMessage | undefined {
  if (!isObject(update)) return undefined;
  const edited = isObject(update.edited_message);
  const message = edited ? update.edited_message : update.message;
  if (!isObject(message) || !isObject(message.chat) || message.chat.type !== 'private') return undefined;
  if (typeof message.message_id !== 'number' || typeof message.chat.id !== 'number') return undefined;
  let text = typeof message.text === 'string' ? stripUnsafeCharacters(message.text) : undefined;
  if (text === undefined) {
    const placeholder = PLACEHOLDERS.find(([field]) => message[field] !== undefined)?.[1];
    if (!placeholder) return undefined;
    const caption = typeof message.caption === 'string' ? stripUnsafeCharacters(message.caption) : '';
    text = caption.trim() ? `${placeholder} ${caption}` : placeholder;
  }
  if (!text.trim()) return undefined;
  const from = isObject(message.from) ? message.from : {};
  const name = stripUnsafeCharacters(
    [from.first_name, from.last_name].filter((part) => typeof part === 'string' && part).join(' '),
  );
  const username = typeof from.username === 'string' ? stripUnsafeCharacters(from.username) : '';
  return {
    channelMessageId: edited
      ? `${message.message_id}:edit:${typeof message.edit_date === 'number' ? message.edit_date : ''}`
      : String(message.message_id),
    customerId: String(message.chat.id),
    customerName: name || (username ? `@${username}` : null),
    // Stripped again: the cut can fall inside an emoji and leave half of it.
    text: stripUnsafeCharacters((edited ? `(edited) ${text}` : text).slice(0, MAX_TEXT)),
  };
}
