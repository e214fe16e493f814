/** A website visitor as the widget behaves: a visitor token, one authenticated socket, messages by POST. */
import { WebSocket } from 'ws';

/** The page the bench's widget is allowed on; every request carries it as its Origin. */
export const SITE = 'https://shop.example';

const ANSWER_TIMEOUT_MS = 30_000;

export interface Visitor {
  /**
   * Writes `text` and waits for its whole answer (`ai.done`). When it was sent (`performance.now()`),
   * and the times from then to the 202 and to the first `ai.delta` frame on the socket.
   */
  ask(text: string, clientId: string): Promise<{ sentAt: number; acceptedMs: number; firstDeltaMs: number }>;
  close(): void;
}

interface Waiter {
  sentAt: number;
  firstDeltaAt?: number;
  done: () => void;
}

export async function connectVisitor(port: number, publicId: string): Promise<Visitor> {
  const base = `http://127.0.0.1:${port}/api/v1/widget/${publicId}`;
  const started = await fetch(`${base}/visitors/`, {
    method: 'POST',
    headers: { origin: SITE, 'content-type': 'application/json' },
    body: '{}',
  });
  if (started.status !== 201) throw new Error(`POST …/visitors/ answered ${started.status}: ${await started.text()}`);
  const { visitor_token: token } = (await started.json()) as { visitor_token: string };

  const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/socket/`, { headers: { origin: SITE } });
  let waiter: Waiter | undefined;
  let ready: (() => void) | undefined;
  socket.on('message', (data) => {
    const text = (data as Buffer).toString();
    const now = performance.now();
    // Only three frame types matter here: skip parsing the rest (messages, typing, status).
    if (text.includes('"ai.delta"')) {
      if (waiter && waiter.firstDeltaAt === undefined) waiter.firstDeltaAt = now;
    } else if (text.includes('"ai.done"')) {
      waiter?.done();
    } else if (text.includes('"ready"')) {
      ready?.();
    }
  });
  await new Promise<void>((resolve, reject) => {
    ready = resolve;
    socket.once('open', () => socket.send(JSON.stringify({ type: 'auth', visitor_token: token })));
    socket.once('error', reject);
    socket.once('close', (code) => reject(new Error(`the socket closed with ${code} before ready`)));
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`the socket's handshake was refused with ${response.statusCode}`)),
    );
  });

  return {
    async ask(text, clientId) {
      let finish!: () => void;
      const answered = new Promise<void>((resolve) => (finish = resolve));
      const sentAt = performance.now();
      const current: Waiter = { sentAt, done: () => finish() };
      waiter = current;
      const timer = setTimeout(finish, ANSWER_TIMEOUT_MS);
      try {
        const response = await fetch(`${base}/messages/`, {
          method: 'POST',
          headers: { origin: SITE, 'content-type': 'application/json', 'x-parley-visitor': token },
          body: JSON.stringify({ client_id: clientId, text }),
        });
        const acceptedMs = performance.now() - sentAt;
        if (response.status !== 202)
          throw new Error(`POST …/messages/ answered ${response.status}: ${await response.text()}`);
        await response.arrayBuffer();
        await answered;
        if (current.firstDeltaAt === undefined) throw new Error(`no ai.delta within ${ANSWER_TIMEOUT_MS} ms`);
        return { sentAt, acceptedMs, firstDeltaMs: current.firstDeltaAt - sentAt };
      } finally {
        clearTimeout(timer);
        waiter = undefined;
      }
    },
    close: () => socket.terminate(),
  };
}
