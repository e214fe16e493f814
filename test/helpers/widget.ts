import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { WebSocket } from 'ws';
import type { TestApp } from './app.js';
import { until } from './wait.js';

export const SITE = 'https://shop.example';

export interface CreatedWidget {
  id: string;
  publicId: string;
  secret: string;
}

/** Creates a website channel for the business whose token is given. */
export async function createWidget(
  t: TestApp,
  token: string,
  settings: Record<string, unknown> = {},
): Promise<CreatedWidget> {
  const response = await t.as(token, {
    method: 'POST',
    url: '/api/v1/channels/',
    payload: { type: 'website', allowed_origins: [SITE], ...settings },
  });
  if (response.statusCode !== 201) throw new Error(`widget not created: ${response.body}`);
  const body = response.json<{ id: string; widget: { public_id: string }; widget_secret: string }>();
  return { id: body.id, publicId: body.widget.public_id, secret: body.widget_secret };
}

/** A visitor's browser on `origin`: the widget's public API as it calls it. */
/** `origin` null: a client that is not a browser, which sends none. */
export function widgetClient(t: TestApp, publicId: string, origin: string | null = SITE) {
  let token: string | undefined;
  // The browser's address, once given: its messages come from there too.
  let from: { remoteAddress?: string } = {};
  const call = (options: InjectOptions & { url: string }): Promise<LightMyRequestResponse> =>
    t.app.inject({
      ...options,
      url: `/api/v1/widget/${publicId}/${options.url}`,
      headers: {
        ...(origin ? { origin } : {}),
        ...(token ? { 'x-parley-visitor': token } : {}),
        ...options.headers,
      },
    });
  return {
    call,
    get token() {
      return token;
    },
    /** Starts as a new visitor, from `remoteAddress` when given (the per-address limit counts it). */
    async start(body: Record<string, unknown> = {}, remoteAddress?: string) {
      from = remoteAddress === undefined ? {} : { remoteAddress };
      const response = await call({ method: 'POST', url: 'visitors/', payload: body, ...from });
      if (response.statusCode === 201) token = response.json<{ visitor_token: string }>().visitor_token;
      return response;
    },
    send: (text: string, clientId: string) =>
      call({ method: 'POST', url: 'messages/', payload: { client_id: clientId, text }, ...from }),
    history: (after?: number) =>
      call({ method: 'GET', url: `messages/${after === undefined ? '' : `?after=${after}`}` }),
  };
}

export interface WidgetFrame {
  type: string;
  [key: string]: unknown;
}

/** The widget's socket, authenticated; resolves once `ready` came. */
export async function connectWidget(baseUrl: string, publicId: string, visitorToken: string, origin = SITE) {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/v1/widget/${publicId}/socket/`, {
    headers: { origin },
  });
  const frames: WidgetFrame[] = [];
  socket.on('message', (data) => frames.push(JSON.parse((data as Buffer).toString()) as WidgetFrame));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'auth', visitor_token: visitorToken }));
  const client = {
    socket,
    frames,
    waitFor: (match: (frame: WidgetFrame) => boolean, ms?: number) => until(() => frames.find(match), ms),
    send: (message: unknown) => socket.send(JSON.stringify(message)),
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.close();
      await closed;
    },
  };
  await client.waitFor((frame) => frame.type === 'ready');
  return client;
}
