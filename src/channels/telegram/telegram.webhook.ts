import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotAuthenticatedError, NotFoundError } from '../../kernel/errors.js';
import { responses } from '../../kernel/http-errors.js';
import type { WebhookDeps } from '../adapter.js';
import { findDeliveryChannelById } from '../delivery-channels.js';
import { receiveCustomerMessage } from '../inbound.js';
import { inboundFromUpdate } from './telegram.updates.js';

const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export function hashWebhookSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

function sameSecret(presented: string | undefined, storedHash: string | null): boolean {
  if (!presented || !storedHash) return false;
  const a = Buffer.from(hashWebhookSecret(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Telegram's deliveries. A customer's message is stored before the 200 goes
 * back, once however often Telegram retries it (unique per chat and message
 * id), and answered later by the reply job.
 */
export const telegramWebhookRoutes: FastifyPluginAsyncZod<WebhookDeps> = async (app, deps) => {
  app.post(
    '/webhooks/telegram/:channel_id/',
    {
      config: { limit: 'webhook' },
      schema: {
        tags: ['webhooks'],
        summary: "Telegram's webhook for one connected bot",
        description: 'Checks `X-Telegram-Bot-Api-Secret-Token` (401 otherwise, nothing stored).',
        params: z.object({ channel_id: z.string().min(1).max(100) }),
        body: z.unknown(),
        response: responses({ 200: z.object({ ok: z.boolean() }) }, 400, 401, 404),
      },
    },
    async (request) => {
      const row = await findDeliveryChannelById(deps.db, 'telegram', request.params.channel_id);
      const header = request.headers[SECRET_HEADER];
      if (!row || !sameSecret(typeof header === 'string' ? header : undefined, row.channel.webhookSecretHash)) {
        deps.metrics.webhookDelivery('telegram', 'rejected');
        if (!row) throw new NotFoundError('No such channel.');
        throw new NotAuthenticatedError('The webhook secret is missing or wrong.', 'invalid_secret');
      }
      const inbound = inboundFromUpdate(request.body);
      // Whatever a business chat does not need (group chats, button presses, joins) is acknowledged and dropped.
      if (!inbound) {
        deps.metrics.webhookDelivery('telegram', 'ignored');
        return { ok: true };
      }

      const stored = await receiveCustomerMessage(deps, { ...row.channel, owner: row.owner }, inbound);
      deps.metrics.webhookDelivery('telegram', stored ? 'stored' : 'duplicate');
      return { ok: true };
    },
  );
};
