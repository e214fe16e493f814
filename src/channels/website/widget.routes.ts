import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../kernel/errors.js';
import { errorBody, responses } from '../../kernel/http-errors.js';
import { createWidgetSocketHub, type WidgetSocketDeps } from './widget.socket.js';
import {
  messagesQuery,
  newMessageBody,
  newVisitor,
  newVisitorBody,
  typingBody,
  visitorHeaders,
  widgetMessage,
  widgetMessages,
  widgetParams,
  widgetPublicSettings,
} from './widget.schema.js';
import {
  checkOrigin,
  createVisitor,
  findWidget,
  listMessages,
  postMessage,
  visitorFromToken,
  visitorTyping,
  widgetSettingsView,
  type Widget,
} from './widget.service.js';

/** A visitor's request is small: one message of at most 2000 characters. */
const BODY_LIMIT = 8 * 1024;
const PREFIX = '/api/v1/widget/:public_id';
const tags = ['widget'];
// The widget's CORS is its own (its allowed origins): the app-wide CORS_ORIGINS stays out of it.
const config = { cors: false } as const;

class UpgradeRequiredError extends AppError {
  override readonly status = 426;
  override readonly code = 'upgrade_required';
}

const widgets = new WeakMap<FastifyRequest, Widget>();
const widgetOf = (request: FastifyRequest): Widget => {
  const widget = widgets.get(request);
  if (!widget) throw new Error('widget routes run after the widget hook');
  return widget;
};
const visitorOf = (deps: WidgetSocketDeps, request: FastifyRequest) => {
  const header = request.headers['x-parley-visitor'];
  return visitorFromToken(deps, widgetOf(request), typeof header === 'string' ? header : undefined);
};

/**
 * The website widget's public API and socket (docs/widget.md): no account, so every request
 * names its widget by public id and must come from a page on one of its allowed origins.
 */
export const widgetRoutes: FastifyPluginAsyncZod<WidgetSocketDeps> = async (app, deps) => {
  const hub = createWidgetSocketHub(deps);
  app.addHook('onClose', async () => hub.close());

  // Before anything else, the socket's upgrade included: an unknown widget is 404, a foreign page 403.
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const { public_id: publicId } = request.params as { public_id?: string };
    const widget = await findWidget(deps, publicId ?? '');
    const origin = checkOrigin(widget, request.headers.origin);
    reply
      .header('access-control-allow-origin', origin)
      .header('access-control-expose-headers', 'retry-after, x-request-id')
      .header('vary', 'origin');
    widgets.set(request, widget);
  });

  app.options(`${PREFIX}/*`, { config, schema: { hide: true } }, async (_request, reply) =>
    reply
      .code(204)
      .header('access-control-allow-methods', 'GET, POST')
      .header('access-control-allow-headers', 'content-type, x-parley-visitor')
      .header('access-control-max-age', '600')
      .send(),
  );

  app.get(
    `${PREFIX}/settings/`,
    {
      config,
      schema: {
        tags,
        summary: 'A widget’s public settings',
        description: 'What the loader needs to draw the launcher. Origin checked (403 `origin_not_allowed`).',
        params: widgetParams,
        response: responses({ 200: widgetPublicSettings }, 403, 404),
      },
    },
    async (request) => widgetSettingsView(deps, widgetOf(request)),
  );

  app.post(
    `${PREFIX}/visitors/`,
    {
      config,
      bodyLimit: BODY_LIMIT,
      schema: {
        tags,
        summary: 'Start as a visitor: a token for this browser',
        description:
          'With `user_id` and a valid `user_hash` the visitor is that signed-in customer, on every device (401 `identity_invalid` for a wrong hash). New visitors per address are limited (PARLEY_WIDGET_VISITORS_PER_IP_PER_HOUR, 429).',
        params: widgetParams,
        body: newVisitorBody.optional(),
        response: responses({ 201: newVisitor }, 400, 401, 403, 404, 413, 429),
      },
    },
    async (request, reply) => {
      // An IPv6 client holds a whole /64: counted per address, it could start a visitor from each.
      const created = await createVisitor(deps, widgetOf(request), request.body ?? {}, normalizeIP(request.ip));
      return reply.code(201).send(created);
    },
  );

  app.get(
    `${PREFIX}/messages/`,
    {
      config,
      schema: {
        tags,
        summary: 'The visitor’s conversation',
        description:
          'Oldest first: the 100 after `after`, or without it the latest 50; with who answers now. `X-Parley-Visitor` required (401 `visitor_required`).',
        params: widgetParams,
        querystring: messagesQuery,
        headers: visitorHeaders,
        response: responses({ 200: widgetMessages }, 400, 401, 403, 404),
      },
    },
    async (request) => {
      const visitor = await visitorOf(deps, request);
      return listMessages(deps, widgetOf(request), visitor, request.query.after);
    },
  );

  app.post(
    `${PREFIX}/messages/`,
    {
      config,
      bodyLimit: BODY_LIMIT,
      schema: {
        tags,
        summary: 'The visitor writes',
        description:
          'Stored before the 202, then answered as any channel’s message (the reply wait, business hours, handover). The same `client_id` again answers the stored message with 200 and stores nothing. Messages per visitor are limited (PARLEY_WIDGET_MESSAGES_PER_MINUTE, 429); text is 1–2000 characters after trimming.',
        params: widgetParams,
        headers: visitorHeaders,
        body: newMessageBody,
        response: responses(
          { 200: z.object({ message: widgetMessage }), 202: z.object({ message: widgetMessage }) },
          400,
          401,
          403,
          404,
          413,
          429,
        ),
      },
    },
    async (request, reply) => {
      const visitor = await visitorOf(deps, request);
      const { created, message } = await postMessage(
        deps,
        widgetOf(request),
        visitor,
        request.body,
        normalizeIP(request.ip),
      );
      return reply.code(created ? 202 : 200).send({ message });
    },
  );

  app.post(
    `${PREFIX}/typing/`,
    {
      config,
      bodyLimit: BODY_LIMIT,
      schema: {
        tags,
        summary: 'The visitor is typing (or stopped)',
        description:
          'Shown to the business’s people watching the conversation (`customer.typing` on /ws/); at most 60 a minute per visitor (429).',
        params: widgetParams,
        headers: visitorHeaders,
        body: typingBody,
        response: responses({ 204: z.null().describe('Told') }, 400, 401, 403, 404, 413, 429),
      },
    },
    async (request, reply) => {
      const visitor = await visitorOf(deps, request);
      await visitorTyping(deps, widgetOf(request), visitor, request.body.typing);
      return reply.code(204).send(null);
    },
  );

  app.route({
    method: 'GET',
    url: `${PREFIX}/socket/`,
    config,
    schema: {
      tags,
      summary: 'The visitor’s live conversation (WebSocket)',
      description:
        'Origin checked before the upgrade (403). The first frame within 5 s must be `{"type": "auth", "visitor_token"}`, else the socket closes with 4401. Then `ready` `{last_seq}`, and `message`, `ai.delta`, `ai.done`, `typing`, `status` frames as docs/widget.md says; the client may send `typing` and `ping`.',
      params: widgetParams,
      response: { 403: errorBody, 404: errorBody, 426: errorBody },
    },
    handler: async () => {
      throw new UpgradeRequiredError('This is a WebSocket: send the Upgrade: websocket handshake.', {
        headers: { upgrade: 'websocket' },
      });
    },
    wsHandler: (socket, request) => hub.accept(socket, widgetOf(request)),
  });
};
