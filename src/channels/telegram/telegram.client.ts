import { fetchFailureReason } from '../../kernel/fetch-failure.js';
import { keepAliveFetch } from '../../kernel/keep-alive-fetch.js';

/**
 * The Telegram Bot API over HTTP: the only module that speaks it. Telegram
 * answers JSON `{ok, result}` or `{ok: false, error_code, description,
 * parameters}` whatever the HTTP status, so `ok` decides.
 */
export class TelegramError extends Error {
  constructor(
    /** Telegram's error code (its HTTP status); 0 when Telegram could not be reached at all. */
    readonly code: number,
    /** Telegram's description, or why it could not be reached. */
    readonly description: string,
    /** Seconds Telegram asks us to wait (429). */
    readonly retryAfter?: number,
  ) {
    super(description);
    this.name = 'TelegramError';
  }

  /** Telegram itself said no (a bad token, a bad request): asking again cannot help. */
  get refusal(): boolean {
    return this.code >= 400 && this.code < 500 && this.code !== 429;
  }

  /** Why Telegram could not do it when it is not a refusal, in words for a person. */
  get outage(): string {
    if (this.code === 0) return `Telegram could not be reached: ${this.description}`;
    if (this.code === 429) {
      return `Telegram is busy and asks to wait${this.retryAfter ? ` ${this.retryAfter} s` : ''} (${this.description})`;
    }
    return `Telegram is unavailable: it answered ${this.code} (${this.description})`;
  }
}

export interface TelegramBot {
  id: number;
  username?: string;
  first_name: string;
}

interface TelegramAnswer {
  ok: boolean;
  result?: unknown;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

/** What Telegram says of a bot's webhook (`getWebhookInfo`); dates are Unix seconds. */
export interface TelegramWebhookInfo {
  url: string;
  pending_update_count: number;
  last_error_date?: number;
  last_error_message?: string;
}

const TIMEOUT_MS = 10_000;

/** `timeoutMs`: how long one call may take; shorter where a person waits on a check. */
export function telegramClient(apiBase: string, token: string, { timeoutMs = TIMEOUT_MS } = {}) {
  async function call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    let response: Response;
    try {
      response = await keepAliveFetch(`${apiBase}/bot${token}/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new TelegramError(0, fetchFailureReason(error, timeoutMs));
    }
    let answer: TelegramAnswer;
    try {
      answer = (await response.json()) as TelegramAnswer;
    } catch {
      throw new TelegramError(response.status, `Telegram answered ${response.status} without JSON`);
    }
    if (!answer.ok) {
      throw new TelegramError(
        answer.error_code ?? response.status,
        answer.description ?? 'unknown error',
        answer.parameters?.retry_after,
      );
    }
    return answer.result as T;
  }

  return {
    getMe: () => call<TelegramBot>('getMe'),
    setWebhook: (params: { url: string; secret_token: string; allowed_updates: string[] }) =>
      call<boolean>('setWebhook', params),
    deleteWebhook: () => call<boolean>('deleteWebhook'),
    getWebhookInfo: () => call<TelegramWebhookInfo>('getWebhookInfo'),
    sendMessage: (params: { chat_id: string; text: string }) => call<{ message_id: number }>('sendMessage', params),
    sendChatAction: (params: { chat_id: string; action: 'typing' }) => call<boolean>('sendChatAction', params),
  };
}

/** The updates a business chat needs; Telegram sends nothing else. */
export const ALLOWED_UPDATES = ['message', 'edited_message', 'my_chat_member'];
