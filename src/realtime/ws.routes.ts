import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import type { Config } from '../kernel/config.js';
import { AppError, NotAuthenticatedError, PermissionDeniedError } from '../kernel/errors.js';
import { errorBody } from '../kernel/http-errors.js';
import { authenticateToken, liveTokenIds, type AuthUser } from '../auth/auth.service.js';
import { checkOrigin as checkSessionOrigin, currentUser } from '../auth/authenticate.js';
import {
  authenticateSession,
  isSessionId,
  keepLiveSessions,
  sessionFromCookieHeader,
} from '../auth/sessions.service.js';
import { tokenFromHeader } from '../auth/tokens.js';
import type { Database } from '../db/client.js';
import type { Watchers } from '../events/watchers.js';
import type { EventBus, ParleyEvent } from '../events/events.js';
import type { TokenRevocations } from '../events/revocations.js';
import { messageBudget, parseJson, socketHeartbeat, textOf } from '../kernel/socket-frames.js';
import { createConnectionRegistry } from './connections.js';
import { clientMessage, WEBSOCKET_DESCRIPTION, websocketQuery } from './ws.schema.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Open WebSocket connections on this process (for /metrics). */
    websocketConnections(): number;
  }
}

export interface WebSocketDeps {
  db: Database;
  config: Pick<Config, 'corsOrigins' | 'websocket' | 'publicUrl' | 'dashboard'>;
  events: EventBus;
  /** Revokes and sign-outs announced by any process: the token's or session's sockets here close. */
  revocations: TokenRevocations;
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
/** A limit passed: too many connections, or too many messages. */
const POLICY_VIOLATION = 1008;
/** The token is no longer valid (revoked or expired): sign in again rather than retry. */
const TOKEN_INVALID = 4001;
// setTimeout holds at most 2^31 - 1 ms (about 24.8 days); a later expiry is re-armed on the way.
const MAX_TIMER_MS = 2 ** 31 - 1;
// How many token ids one backstop query checks at once.
const SWEEP_BATCH = 1_000;

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
  const connections = createConnectionRegistry<WebSocket>(deps.config.websocket);
  const unsubscribe = deps.events.subscribe((userId, event) => deliver(connections.room(userId), event));
  const closeToken = (tokenId: string, reason: string) => {
    for (const socket of connections.withToken(tokenId)) {
      // Out of the rooms at once: not one more event after the revoke.
      connections.remove(socket);
      socket.close(TOKEN_INVALID, reason);
    }
  };
  const stopRevocations = deps.revocations.subscribe((tokenIds) => {
    for (const tokenId of tokenIds) closeToken(tokenId, isSessionId(tokenId) ? 'signed out' : 'token revoked');
  });
  const heartbeatMs = deps.heartbeatMs ?? HEARTBEAT_MS;
  // Only this route's sockets: the widget's visitors have sockets on the same server, with their own heartbeat.
  const liveness = socketHeartbeat(heartbeatMs);
  // Outlives a missed renewal or two, so a watched business does not flicker to unwatched.
  const watch = (userId: string) => deps.watchers?.watch(userId, heartbeatMs * 2.5).catch(() => undefined);
  /**
   * The backstop for a revoke this process never heard of: a pub/sub message
   * lost while Redis was away, or the CLI on PostgreSQL without Redis.
   */
  const sweep = async () => {
    const open = connections.tokenIds();
    const sessions = open.filter(isSessionId);
    const tokens = open.filter((id) => !isSessionId(id));
    for (let start = 0; start < tokens.length; start += SWEEP_BATCH) {
      const batch = tokens.slice(start, start + SWEEP_BATCH);
      const live = await liveTokenIds(deps.db, batch);
      for (const tokenId of batch) if (!live.has(tokenId)) closeToken(tokenId, 'token revoked or expired');
    }
    // A socket open on a session keeps it in use, so a dashboard left open to watch stays signed in.
    for (let start = 0; start < sessions.length; start += SWEEP_BATCH) {
      const batch = sessions.slice(start, start + SWEEP_BATCH);
      const live = await keepLiveSessions(deps.db, batch, deps.config.dashboard);
      for (const sessionId of batch) if (!live.has(sessionId)) closeToken(sessionId, 'signed out or session expired');
    }
  };
  const heartbeat = setInterval(() => {
    for (const userId of connections.businesses()) void watch(userId);
    sweep().catch((error: unknown) => app.log.warn({ err: error }, 'could not recheck the tokens of open sockets'));
  }, heartbeatMs);
  heartbeat.unref();
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    liveness.stop();
    unsubscribe();
    stopRevocations();
  });

  // Before the upgrade: a refused client gets a plain HTTP answer in the error shape, never a socket.
  app.addHook('onRequest', async (request) => {
    checkOrigin(request, deps.config.corsOrigins);
    const token = tokenFromQuery(request) ?? tokenFromHeader(request.headers.authorization);
    const noToken = token === undefined && request.headers.authorization === undefined;
    const cookie = noToken ? sessionFromCookieHeader(request.headers.cookie) : undefined;
    if (cookie !== undefined) {
      // A cookie goes with every request the browser makes, from any site: only the dashboard's own pages may use it.
      checkSessionOrigin(request, deps.config);
      const sessionUser = await authenticateSession(deps.db, cookie, deps.config.dashboard);
      if (!sessionUser) throw new NotAuthenticatedError('The session has ended or expired: sign in again.');
      request.user = sessionUser;
      return;
    }
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
      security: [{ bearer: [] }, { session: [] }],
      querystring: websocketQuery,
      response: { 401: errorBody, 403: errorBody, 426: errorBody },
    },
    handler: async () => {
      throw new UpgradeRequiredError();
    },
    wsHandler: (socket, request) => {
      const user = currentUser(request);
      // Accepted, then closed with the reason: a browser sees the close reason, never a refused handshake's status.
      const refusal = connections.admit(socket, { userId: user.id, tokenId: user.tokenId });
      if (refusal) {
        socket.close(POLICY_VIOLATION, refusal);
        return;
      }
      const expiry = closeOnExpiry(user, () => {
        connections.remove(socket);
        socket.close(TOKEN_INVALID, 'token expired');
      });
      const withinBudget = messageBudget(deps.config.websocket.messagesPerSecond);
      liveness.track(socket);
      socket.on('message', (data, isBinary) => {
        if (!withinBudget()) {
          connections.remove(socket);
          socket.close(POLICY_VIOLATION, 'too many messages');
          return;
        }
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
        expiry.cancel();
        connections.remove(socket);
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

/** Calls `expire` when the token expires, however far away that is; never for a token without an expiry. */
function closeOnExpiry(user: AuthUser, expire: () => void): { cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (user.tokenExpiresAt === null) return;
    const remaining = user.tokenExpiresAt.getTime() - Date.now();
    if (remaining <= 0) {
      expire();
      return;
    }
    timer = setTimeout(arm, Math.min(remaining, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}

function deliver(room: ReadonlySet<WebSocket> | undefined, event: ParleyEvent): void {
  if (!room || room.size === 0) return;
  // Serialised and encoded once for the whole room: a string would be encoded again for every socket.
  const frame = Buffer.from(JSON.stringify(event));
  for (const socket of room) send(socket, frame);
}

function send(socket: WebSocket, frame: string | Buffer): void {
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
    socket.terminate();
    return;
  }
  // A text frame, whichever form the JSON comes in.
  socket.send(frame, { binary: false });
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
