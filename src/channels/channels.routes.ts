import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { responses } from '../kernel/http-errors.js';
import { withWarnings } from '../kernel/ignored-fields.js';
import { currentUser, requireToken } from '../auth/authenticate.js';
import { channelBody, channelItem, channelList, channelParams } from './channels.schema.js';
import { channelView, connectChannel, deleteChannel, listChannels, type ChannelDeps } from './channels.service.js';

const security = [{ bearer: [] }];

/** Connecting a business's Telegram bot or Instagram account. Credentials go in; they never come out. */
export const channelRoutes: FastifyPluginAsyncZod<ChannelDeps> = async (app, deps) => {
  app.addHook('onRequest', requireToken(deps.db));

  app.get(
    '/api/v1/channels/',
    {
      schema: {
        tags: ['channels'],
        summary: "This business's connected channels",
        security,
        response: responses({ 200: channelList }, 401),
      },
    },
    async (request) => {
      const results = (await listChannels(deps.db, currentUser(request).id)).map((c) => channelView(c, deps));
      return { count: results.length, next: null, previous: null, results };
    },
  );

  app.post(
    '/api/v1/channels/',
    {
      schema: {
        tags: ['channels'],
        summary: 'Connect a Telegram bot or an Instagram account',
        description:
          'Telegram: `{type: "telegram", bot_token}`; with Telegram’s own Bot API (the default TELEGRAM_API_BASE), a PUBLIC_URL Telegram would not call (not https, a port other than 443, 80, 88 or 8443, a private address, or PUBLIC_URL unset) is 400 `public_url_unusable` before Telegram is asked; then the token is checked with Telegram (400 `invalid_bot_token` with Telegram’s reason) and the bot’s webhook is set to Parley with a secret. Instagram: `{type: "instagram", ig_user_id, access_token}`; Instagram is asked whose token it is (`GET /me`), and a token it refuses, or one of another account, is 400 `invalid_access_token`. Telegram or Instagram unreachable, failing (5xx) or busy is 502 `telegram_unreachable` / `instagram_unreachable`, with the reason, and nothing is connected. A bot or account already connected (here or to another business) is 409.',
        security,
        body: channelBody,
        response: responses({ 201: withWarnings(channelItem) }, 400, 401, 409, 502),
      },
    },
    async (request, reply) => {
      const channel = await connectChannel(deps, currentUser(request).id, request.body);
      return reply.code(201).send(channelView(channel, deps));
    },
  );

  app.delete(
    '/api/v1/channels/:channel_id/',
    {
      schema: {
        tags: ['channels'],
        summary: 'Disconnect a channel (a Telegram bot’s webhook is removed)',
        description:
          'Telegram is told first to stop delivering. When Telegram cannot be reached (or fails) the channel stays connected and the answer is 502 `telegram_unreachable`: try again. A bot whose token Telegram no longer accepts is disconnected without it.',
        security,
        params: channelParams,
        response: responses({ 204: z.null().describe('Disconnected') }, 401, 404, 502),
      },
    },
    async (request, reply) => {
      await deleteChannel(deps, currentUser(request).id, request.params.channel_id);
      return reply.code(204).send(null);
    },
  );
};
