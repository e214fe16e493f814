import type { InboundMessage } from '../inbound.js';

/**
 * What Parley takes from a Telegram update: a customer's message in a private
 * chat. Media arrive as a readable placeholder (plus any caption) so people
 * and the model know something was sent; everything else is ignored.
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
  let text = typeof message.text === 'string' ? message.text : undefined;
  if (text === undefined) {
    const placeholder = PLACEHOLDERS.find(([field]) => message[field] !== undefined)?.[1];
    if (!placeholder) return undefined;
    const caption = typeof message.caption === 'string' && message.caption.trim() ? ` ${message.caption}` : '';
    text = `${placeholder}${caption}`;
  }
  if (!text.trim()) return undefined;
  const from = isObject(message.from) ? message.from : {};
  const name = [from.first_name, from.last_name].filter((part) => typeof part === 'string' && part).join(' ');
  return {
    channelMessageId: edited
      ? `${message.message_id}:edit:${typeof message.edit_date === 'number' ? message.edit_date : ''}`
      : String(message.message_id),
    customerId: String(message.chat.id),
    customerName: name || (typeof from.username === 'string' ? `@${from.username}` : null),
    text: (edited ? `(edited) ${text}` : text).slice(0, MAX_TEXT),
  };
}
