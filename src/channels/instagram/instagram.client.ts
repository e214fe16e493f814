import { fetchFailureReason } from '../../kernel/fetch-failure.js';
import { keepAliveFetch } from '../../kernel/keep-alive-fetch.js';

/**
 * The Instagram Graph API (Instagram API with Instagram Login) over HTTP: the
 * only module that speaks it. Errors come in the Graph shape
 * `{error: {message, type, code, error_subcode}}`.
 */
export class InstagramError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly subcode?: number,
  ) {
    super(message);
    this.name = 'InstagramError';
  }

  /** Errors that sending again cannot fix: bad token, outside the window, person unavailable, bad request. */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && ![4, 17, 32, 613].includes(this.code);
  }

  /** Why Instagram could not do it when it is not a refusal, in words for a person. */
  get outage(): string {
    if (this.status === 0) return `Instagram could not be reached: ${this.message}`;
    return `Instagram is unavailable: it answered ${this.status} (${this.message.replace(/\.$/, '')})`;
  }
}

const TIMEOUT_MS = 10_000;

type GraphAnswer = Record<string, unknown> & {
  error?: { message?: string; code?: number; error_subcode?: number };
};

async function graphRequest(
  url: string,
  accessToken: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  timeoutMs = TIMEOUT_MS,
): Promise<GraphAnswer> {
  let response: Response;
  try {
    response = await keepAliveFetch(url, {
      ...init,
      headers: { authorization: `Bearer ${accessToken}`, ...init.headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new InstagramError(0, 0, fetchFailureReason(error, timeoutMs));
  }
  const body = (await response.json().catch(() => ({}))) as GraphAnswer;
  if (!response.ok || body.error) {
    throw new InstagramError(
      response.status,
      body.error?.code ?? 0,
      body.error?.message ?? `Instagram answered ${response.status}`,
      body.error?.error_subcode,
    );
  }
  return body;
}

/** Who an access token speaks for: `user_id` is the professional account id Meta's webhooks name. */
export interface InstagramAccount {
  userId: string | undefined;
  username: string | undefined;
}

export function instagramClient(graphBase: string, igUserId: string, accessToken: string) {
  return {
    async sendText(recipientId: string, text: string, humanAgent: boolean): Promise<{ message_id: string }> {
      const body = await graphRequest(`${graphBase}/${igUserId}/messages`, accessToken, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          recipient: { id: recipientId },
          ...(humanAgent ? { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' } : { messaging_type: 'RESPONSE' }),
          message: { text },
        }),
      });
      if (typeof body.message_id !== 'string') {
        throw new InstagramError(200, 0, 'Instagram answered without a message id');
      }
      return { message_id: body.message_id };
    },
  };
}

/** `GET /me`: the account the token belongs to, as Instagram sees it. */
export async function instagramAccountOf(
  graphBase: string,
  accessToken: string,
  timeoutMs = TIMEOUT_MS,
): Promise<InstagramAccount> {
  const body = await graphRequest(`${graphBase}/me?fields=user_id,username`, accessToken, {}, timeoutMs);
  const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : undefined);
  return { userId: text(body.user_id), username: text(body.username) };
}

/** Instagram counts a message's text in UTF-8 bytes. */
export const INSTAGRAM_LIMIT_BYTES = 1_000;
/** Past this since the customer's last message, only a human agent may write, with the HUMAN_AGENT tag. */
export const STANDARD_WINDOW_MS = 24 * 60 * 60 * 1000;
