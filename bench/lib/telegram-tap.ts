/**
 * Telegram as a Parley under bench reaches it: a pass-through in front of the
 * fake Bot API (test/fakes/telegram.ts) that notes when each `sendMessage` and
 * `sendChatAction` arrives, per chat, and lets the bench wait for the next `sendMessage`.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { TelegramFake } from '../../test/fakes/telegram.js';

/**
 * Sits between Parley and the fake Bot API and notes when each `sendMessage`
 * arrives, per chat: that moment is "reply sent". Everything is passed on to
 * the fake, which answers as Telegram would.
 */
export class TelegramTap {
  /** `method chat` → arrival time of the latest such call. */
  private readonly latest = new Map<string, number>();
  private readonly waiters = new Map<string, ((at: number) => void)[]>();
  replies = 0;
  lastReplyAt = 0;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(fake: TelegramFake): Promise<TelegramTap> {
    const upstream = new URL(fake.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const holder: { tap?: TelegramTap } = {};
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        holder.tap?.note(request.url ?? '', body);
        const forward = http.request(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: request.method,
            path: request.url,
            headers: { ...request.headers, host: upstream.host },
            agent,
          },
          (answer) => {
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(response);
          },
        );
        forward.on('error', (error) => {
          response.writeHead(502, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ ok: false, error_code: 502, description: error.message }));
        });
        forward.end(body);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    holder.tap = new TelegramTap(server, `http://127.0.0.1:${port}`);
    return holder.tap;
  }

  private note(url: string, body: Buffer): void {
    const at = performance.now();
    const method = /\/([A-Za-z]+)$/.exec(url)?.[1];
    if (method !== 'sendMessage' && method !== 'sendChatAction') return;
    let chat: string;
    try {
      chat = String((JSON.parse(body.toString('utf8')) as { chat_id?: unknown }).chat_id);
    } catch {
      return;
    }
    if (method === 'sendMessage') {
      this.replies += 1;
      this.lastReplyAt = at;
    }
    const key = `${method} ${chat}`;
    this.latest.set(key, at);
    const waiting = this.waiters.get(key);
    if (waiting) {
      this.waiters.delete(key);
      for (const resolve of waiting) resolve(at);
    }
  }

  lastReplyTo(chat: string): number | undefined {
    return this.latest.get(`sendMessage ${chat}`);
  }

  /** When "typing…" last reached Telegram for `chat`, if it ever did. */
  lastTypingTo(chat: string): number | undefined {
    return this.latest.get(`sendChatAction ${chat}`);
  }

  /** Resolves with the arrival time of the next such call for `chat`; call it before the message is posted. */
  next(method: 'sendMessage', chat: string, timeoutMs: number): Promise<number> {
    return waitFor(this.waiters, `${method} ${chat}`, timeoutMs, `no ${method} within ${timeoutMs} ms`);
  }

  async close(): Promise<void> {
    const closed = once(this.server, 'close');
    this.server.close();
    this.server.closeAllConnections();
    await closed;
  }
}

/** Registers a one-shot waiter under `key`, removed again when it times out. */
export function waitFor<K>(
  waiters: Map<K, ((at: number) => void)[]>,
  key: K,
  timeoutMs: number,
  message: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const list = waiters.get(key)?.filter((waiter) => waiter !== done) ?? [];
      if (list.length > 0) waiters.set(key, list);
      else waiters.delete(key);
      reject(new Error(message));
    }, timeoutMs);
    const done = (at: number) => {
      clearTimeout(timer);
      resolve(at);
    };
    waiters.set(key, [...(waiters.get(key) ?? []), done]);
  });
}
