import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { responses } from '../kernel/http-errors.js';
import { withWarnings } from '../kernel/ignored-fields.js';
import { currentUser, requireToken } from '../auth/authenticate.js';
import {
  channelBody,
  channelHealth,
  channelItem,
  channelList,
  channelParams,
  channelSetup,
  widgetSecret,
} from './channels.schema.js';
import { widgetSettingsPatch } from './website/website.settings.js';
import { createdWidgetSecret, rotateWidgetSecret, updateWidgetSettings } from './website/website.service.js';
import {
  channelHealth as checkChannel,
  channelSetup as setupOf,
  channelView,
  connectChannel,
  deleteChannel,
  listChannels,
  type ChannelDeps,
} from './channels.service.js';

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

  app.get(
    '/api/v1/channels/setup/',
    {
      schema: {
        tags: ['channels'],
        summary: 'What connecting each platform needs of this server, and whether it has it',
        description:
          'The server’s PUBLIC_URL and, per platform, the rule it must meet (Telegram: public HTTPS on port 443, 80, 88 or 8443), whether it does, and what to do when not: the same check `POST /channels/` makes before asking Telegram.',
        security,
        response: responses({ 200: channelSetup }, 401),
      },
    },
    async () => setupOf(deps.config),
  );

  app.get(
    '/api/v1/channels/:channel_id/health/',
    {
      schema: {
        tags: ['channels'],
        summary: 'How a channel is doing: the platform’s view and failed deliveries',
        description:
          'Asks the platform now, with a 5 s timeout (Telegram: `getWebhookInfo`, the webhook’s address, waiting updates and last error; Instagram: whether the access token still works), and counts replies that could not be delivered in the last 24 hours. A platform that cannot be reached is reported in `problems` (`telegram_unreachable`, `instagram_unreachable`) with `platform_reachable: false`, not as an error.',
        security,
        params: channelParams,
        response: responses({ 200: channelHealth }, 401, 404),
      },
    },
    async (request) => checkChannel(deps, currentUser(request).id, request.params.channel_id),
  );

  app.post(
    '/api/v1/channels/',
    {
      schema: {
        tags: ['channels'],
        summary: 'Connect a Telegram bot or an Instagram account, or create a website widget',
        description:
          'Telegram: `{type: "telegram", bot_token}`; with Telegram’s own Bot API (the default TELEGRAM_API_BASE), a PUBLIC_URL Telegram would not call (not https, a port other than 443, 80, 88 or 8443, a private address, or PUBLIC_URL unset) is 400 `public_url_unusable` before Telegram is asked; then the token is checked with Telegram (400 `invalid_bot_token` with Telegram’s reason) and the bot’s webhook is set to Parley with a secret. Instagram: `{type: "instagram", ig_user_id, access_token}`; Instagram is asked whose token it is (`GET /me`), and a token it refuses, or one of another account, is 400 `invalid_access_token`. Telegram or Instagram unreachable, failing (5xx) or busy is 502 `telegram_unreachable` / `instagram_unreachable`, with the reason, and nothing is connected. A bot or account already connected (here or to another business) is 409. Website: `{type: "website", allowed_origins, greeting?, colour?, position?, launcher_label?, language?, ask_identity?, z_index?, unverified_ai_replies?}` creates a widget at once; the answer carries its `widget` (public id, snippet, settings) and `widget_secret`, shown this once.',
        security,
        body: channelBody,
        response: responses({ 201: withWarnings(channelItem) }, 400, 401, 409, 502),
      },
    },
    async (request, reply) => {
      const channel = await connectChannel(deps, currentUser(request).id, request.body);
      const secret = createdWidgetSecret(deps, channel);
      return reply.code(201).send({ ...channelView(channel, deps), ...(secret ? { widget_secret: secret } : {}) });
    },
  );

  app.patch(
    '/api/v1/channels/:channel_id/',
    {
      schema: {
        tags: ['channels'],
        summary: 'Change a website widget’s settings',
        description:
          'Any of `allowed_origins`, `greeting`, `colour`, `position`, `launcher_label`, `language`, `ask_identity`, `z_index`, `unverified_ai_replies`; the others stay. A bad value is 400 naming the field; a channel of another platform is 400 `not_a_website_channel`.',
        security,
        params: channelParams,
        body: widgetSettingsPatch,
        response: responses({ 200: withWarnings(channelItem) }, 400, 401, 404),
      },
    },
    async (request) => {
      const channel = await updateWidgetSettings(
        deps,
        currentUser(request).id,
        request.params.channel_id,
        request.body,
      );
      return channelView(channel, deps);
    },
  );

  app.post(
    '/api/v1/channels/:channel_id/secret/',
    {
      schema: {
        tags: ['channels'],
        summary: 'Rotate a website widget’s secret',
        description:
          'A new `widget_secret`, shown this once; user hashes made with the old one are refused from now on (401 `identity_invalid`), so update the site’s server with it.',
        security,
        params: channelParams,
        response: responses({ 200: widgetSecret }, 400, 401, 404),
      },
    },
    async (request) => ({
      widget_secret: await rotateWidgetSecret(deps, currentUser(request).id, request.params.channel_id),
    }),
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
