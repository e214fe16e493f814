import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { RawData, WebSocket } from 'ws';
import type { Config } from '../kernel/config.js';
import { AppError, NotAuthenticatedError, PermissionDeniedError } from '../kernel/errors.js';
import { errorBody } from '../kernel/http-errors.js';
import { authenticateToken } from '../auth/auth.service.js';
import { currentUser } from '../auth/authenticate.js';
import { tokenFromHeader } from '../auth/tokens.js';
import type { Database } from '../db/client.js';
import type { Watchers } from '../events/watchers.js';
import type { EventBus, ParleyEvent } from '../events/events.js';
import { clientMessage, WEBSOCKET_DESCRIPTION, websocketQuery } from './ws.schema.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Open WebSocket connections on this process (for /metrics). */
    websocketConnections(): number;
  }
}

export interface WebSocketDeps {
  db: Database;
  config: Pick<Config, 'corsOrigins'>;
  events: EventBus;
  /** Protocol ping period; a socket that has not answered the previous ping by the next is dropped. */
  heartbeatMs?: number;
  /** Told which businesses are watched, so their replies stream; without it every reply streams. */
  watchers?: Watchers;
}

const HEARTBEAT_MS = 30_000;
// Clients only ever send pings: anything bigger is not ours.
const MAX_CLIENT_FRAME_BYTES = 4 * 1024;
// A client that stops reading would otherwise make this process buffer its events without end.
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
// On shutdown, how long clients get to answer the close frame before their sockets are cut.
const CLOSE_GRACE_MS = 1_000;
const GOING_AWAY = 1001;

class UpgradeRequiredError extends AppError {
  override readonly status = 426;
  override readonly code = 'upgrade_required';
  constructor() {
    super('GET /ws/ is a WebSocket: send the Upgrade: websocket handshake.', { headers: { upgrade: 'websocket' } });
  }
}

/**
 * Live events for a business's people (contract §7): one room per business,
 * fed by the process's event bus, which carries events from every process.
 * Installed on the root instance, like the error handler, because the
 * WebSocket server and the connection count belong to the whole app.
 */
export async function installWebSocket(app: FastifyInstance, deps: WebSocketDeps): Promise<void> {
  await app.register(websocket, {
    options: { maxPayload: MAX_CLIENT_FRAME_BYTES },
    preClose: () => closeAll(app),
    // A client vanishing mid-frame or sending an oversized one is its problem, not a server error.
    errorHandler: (error, socket, request) => {
      request.log.info({ err: error }, 'WebSocket connection failed');
      socket.terminate();
    },
  });
  app.decorate('websocketConnections', () => app.websocketServer.clients.size);
  await app.register(websocketRoutes, deps);
}

const websocketRoutes: FastifyPluginAsyncZod<WebSocketDeps> = async (app, deps) => {
  const rooms = new Map<string, Set<WebSocket>>();
  const unsubscribe = deps.events.subscribe((userId, event) => deliver(rooms.get(userId), event));
  const alive = new WeakSet<WebSocket>();
  const heartbeatMs = deps.heartbeatMs ?? HEARTBEAT_MS;
  // Outlives a missed renewal or two, so a watched business does not flicker to unwatched.
  const watch = (userId: string) => deps.watchers?.watch(userId, heartbeatMs * 2.5).catch(() => undefined);
  const heartbeat = setInterval(() => {
    for (const userId of rooms.keys()) void watch(userId);
    for (const socket of app.websocketServer.clients) {
      if (!alive.has(socket)) {
        socket.terminate();
        continue;
      }
      alive.delete(socket);
      socket.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    unsubscribe();
  });

  // Before the upgrade: a refused client gets a plain HTTP answer in the error shape, never a socket.
  app.addHook('onRequest', async (request) => {
    checkOrigin(request, deps.config.corsOrigins);
    const token = tokenFromQuery(request) ?? tokenFromHeader(request.headers.authorization);
    if (!token) throw new NotAuthenticatedError();
    const user = await authenticateToken(deps.db, token);
    if (!user) throw new NotAuthenticatedError('The token is invalid or has been revoked.', 'invalid_token');
    request.user = user;
  });

  app.route({
    method: 'GET',
    url: '/ws/',
    schema: {
      tags: ['realtime'],
      summary: "Live events of this business's conversations (WebSocket)",
      description: WEBSOCKET_DESCRIPTION,
      security: [{ bearer: [] }],
      querystring: websocketQuery,
      response: { 401: errorBody, 403: errorBody, 426: errorBody },
    },
    handler: async () => {
      throw new UpgradeRequiredError();
    },
    wsHandler: (socket, request) => {
      const user = currentUser(request);
      let room = rooms.get(user.id);
      if (!room) {
        room = new Set();
        rooms.set(user.id, room);
      }
      room.add(socket);
      alive.add(socket);
      socket.on('pong', () => alive.add(socket));
      socket.on('message', (data, isBinary) => {
        const parsed = isBinary ? undefined : clientMessage.safeParse(parseJson(textOf(data)));
        if (parsed?.success) {
          send(socket, JSON.stringify({ type: 'pong' }));
          return;
        }
        send(
          socket,
          JSON.stringify({
            type: 'error',
            data: { code: 'unknown_message', detail: 'The only message a client may send is {"type": "ping"}.' },
          }),
        );
      });
      socket.on('close', () => {
        room.delete(socket);
        if (room.size === 0 && rooms.get(user.id) === room) rooms.delete(user.id);
      });
      const heartbeatSeconds = Math.round(heartbeatMs / 1000);
      // Hello once marked watched: from then on this business's replies stream.
      void Promise.resolve(watch(user.id)).then(() =>
        send(
          socket,
          JSON.stringify({ type: 'hello', data: { username: user.username, heartbeat_seconds: heartbeatSeconds } }),
        ),
      );
    },
  });
};

function deliver(room: Set<WebSocket> | undefined, event: ParleyEvent): void {
  if (!room || room.size === 0) return;
  // Serialised once for the whole room.
  const frame = JSON.stringify(event);
  for (const socket of room) send(socket, frame);
}

function send(socket: WebSocket, frame: string): void {
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
    socket.terminate();
    return;
  }
  socket.send(frame);
}

function tokenFromQuery(request: FastifyRequest): string | undefined {
  const token = (request.query as Record<string, unknown> | undefined)?.token;
  return typeof token === 'string' && token !== '' ? token : undefined;
}

/**
 * A browser names the page's origin; a page on another site must not reach a
 * business's events with a token it got hold of. Clients that are not
 * browsers send no Origin and are let through.
 */
function checkOrigin(request: FastifyRequest, allowed: string[]): void {
  const origin = request.headers.origin;
  if (origin === undefined || allowed.includes('*') || allowed.includes(origin)) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  // The dashboard served by this very server.
  if (host !== undefined && host === request.headers.host) return;
  throw new PermissionDeniedError(`WebSocket connections from ${origin} are not allowed (see CORS_ORIGINS).`);
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Shutdown: a close frame to every client, then the sockets of those that do not answer it are cut. */
function closeAll(app: FastifyInstance): Promise<void> {
  const server = app.websocketServer;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of server.clients) socket.close(GOING_AWAY, 'server shutting down');
  const timer = setTimeout(() => {
    for (const socket of server.clients) socket.terminate();
  }, CLOSE_GRACE_MS);
  return closed.finally(() => clearTimeout(timer));
}
