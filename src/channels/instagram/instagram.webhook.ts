import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BadRequestError, PermissionDeniedError } from '../../kernel/errors.js';
import { hasUnsafeCharacters, stripUnsafeCharacters } from '../../kernel/text.js';
import { responses } from '../../kernel/http-errors.js';
import type { WebhookResult } from '../../metrics/metrics.js';
import type { WebhookDeps } from '../adapter.js';
import { findDeliveryChannelByAccount } from '../delivery-channels.js';
import { receiveCustomerMessage, type InboundMessage } from '../inbound.js';

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const ATTACHMENT_PLACEHOLDERS: Record<string, string> = {
  image: '[photo]',
  video: '[video]',
  audio: '[voice message]',
  file: '[file]',
  share: '[shared post]',
  story_mention: '[story mention]',
  ig_reel: '[reel]',
};

/** Meta's ids are plain strings; one with control characters cannot be real, nor stored. */
const isPlatformId = (value: unknown): value is string => typeof value === 'string' && !hasUnsafeCharacters(value);

/** The events of a delivery that are customers' messages: Meta batches several, and echoes our own. */
export function inboundFromEvent(event: unknown): (InboundMessage & { igId: string }) | undefined {
  if (!isObject(event) || !isObject(event.message) || !isObject(event.sender) || !isObject(event.recipient))
    return undefined;
  const message = event.message;
  if (message.is_echo === true || !isPlatformId(message.mid)) return undefined;
  if (!isPlatformId(event.sender.id) || !isPlatformId(event.recipient.id)) return undefined;
  // The customer's words are kept; characters Parley refuses from its own API (NUL …) are stripped.
  let text = typeof message.text === 'string' ? stripUnsafeCharacters(message.text) : '';
  if (!text.trim() && Array.isArray(message.attachments)) {
    text = message.attachments
      .map((attachment) =>
        isObject(attachment) ? (ATTACHMENT_PLACEHOLDERS[String(attachment.type)] ?? '[attachment]') : '',
      )
      .filter(Boolean)
      .join(' ');
  }
  if (!text.trim()) return undefined;
  return {
    igId: event.recipient.id,
    channelMessageId: message.mid,
    customerId: event.sender.id,
    customerName: null,
    // Stripped again: the cut can fall inside an emoji and leave half of it.
    text: stripUnsafeCharacters(text.slice(0, 4_096)),
  };
}

function signatureMatches(raw: Buffer, header: string | undefined, appSecret: string): boolean {
  const presented = /^sha256=([0-9a-f]{64})$/i.exec(header ?? '')?.[1];
  if (!presented) return false;
  const expected = createHmac('sha256', appSecret).update(raw).digest();
  return timingSafeEqual(expected, Buffer.from(presented, 'hex'));
}

/** Compared as digests, so the time taken tells nothing of the token, its length included. */
function sameVerifyToken(presented: string | undefined, expected: string | undefined): boolean {
  if (!presented || !expected) return false;
  const digest = (token: string) => createHash('sha256').update(token).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new BadRequestError('The request body is not valid JSON.', 'malformed_json');
  }
}

/**
 * Meta's webhook for every connected Instagram account: the verification
 * handshake, then signed deliveries, each checked over the exact bytes Meta
 * sent before anything reads them. Refused while META_APP_SECRET /
 * META_VERIFY_TOKEN are not set.
 */
export const instagramWebhookRoutes: FastifyPluginAsyncZod<WebhookDeps> = async (app, deps) => {
  const { appSecret, verifyToken } = deps.config.meta;
  // The body stays the bytes received: the signature is checked over them, and only then are they parsed,
  // so an unsigned sender cannot make Parley parse a megabyte of JSON.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.get(
    '/webhooks/instagram/',
    {
      schema: {
        tags: ['webhooks'],
        summary: "Meta's verification handshake",
        querystring: z.object({
          'hub.mode': z.string().optional(),
          'hub.verify_token': z.string().optional(),
          'hub.challenge': z.string().optional(),
        }),
        response: responses({ 200: z.string() }, 403),
      },
    },
    async (request, reply) => {
      const query = request.query;
      if (query['hub.mode'] !== 'subscribe' || !sameVerifyToken(query['hub.verify_token'], verifyToken)) {
        throw new PermissionDeniedError('The verification token does not match.');
      }
      return reply.type('text/plain').send(query['hub.challenge'] ?? '');
    },
  );

  app.post(
    '/webhooks/instagram/',
    {
      config: { limit: 'webhook' },
      schema: {
        tags: ['webhooks'],
        summary: "Meta's deliveries for connected Instagram accounts",
        description:
          'Checks `X-Hub-Signature-256` over the raw body with META_APP_SECRET before reading it (403 otherwise, nothing stored); a signed body that is not JSON is 400.',
        body: z.unknown(),
        response: responses({ 200: z.string() }, 400, 403),
      },
    },
    async (request, reply) => {
      const header = request.headers['x-hub-signature-256'];
      const raw = request.body;
      if (
        !appSecret ||
        !Buffer.isBuffer(raw) ||
        !signatureMatches(raw, typeof header === 'string' ? header : undefined, appSecret)
      ) {
        deps.metrics.webhookDelivery('instagram', 'rejected');
        throw new PermissionDeniedError('The delivery signature is missing or wrong.');
      }
      // Meta batches events, so each messaging event counts as one delivery.
      let events = 0;
      const count = (result: WebhookResult) => {
        events++;
        deps.metrics.webhookDelivery('instagram', result);
      };
      const body = parseJson(raw);
      const entries = isObject(body) && body.object === 'instagram' && Array.isArray(body.entry) ? body.entry : [];
      for (const entry of entries) {
        if (!isObject(entry) || !Array.isArray(entry.messaging)) continue;
        for (const event of entry.messaging) {
          const inbound = inboundFromEvent(event);
          if (!inbound) {
            count('ignored');
            continue;
          }
          const row = await findDeliveryChannelByAccount(deps.db, 'instagram', inbound.igId);
          // An account no business connected: acknowledged, as Meta retries anything else.
          if (!row) {
            count('ignored');
            continue;
          }
          const stored = await receiveCustomerMessage(deps, { ...row.channel, owner: row.owner }, inbound);
          count(stored ? 'stored' : 'duplicate');
        }
      }
      if (events === 0) count('ignored');
      return reply.type('text/plain').send('EVENT_RECEIVED');
    },
  );
};
