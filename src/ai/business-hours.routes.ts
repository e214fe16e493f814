import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Database } from '../db/client.js';
import { responses } from '../kernel/http-errors.js';
import { requireToken } from '../auth/authenticate.js';
import { businessHoursNow } from './business-hours.js';
import { hoursPreview, hoursPreviewBody } from './business-hours.schema.js';

/**
 * Whether some weekly hours are open now and when that changes, decided by the rule the
 * reply pipeline uses: the dashboard previews hours before they are saved, and cannot
 * disagree with what the AI will do.
 */
export const businessHoursRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', requireToken(db));

  app.post(
    '/api/v1/ai/business-hours/preview/',
    {
      schema: {
        tags: ['ai'],
        summary: 'Whether these business hours are open now, and when they next open or close',
        description:
          'Takes `business_hours` as `ai/config` does (saved or not) and changes nothing. Times are wall-clock times in the hours’ own zone; a range whose close is not after its open runs past midnight.',
        security: [{ bearer: [] }],
        body: hoursPreviewBody,
        response: responses({ 200: hoursPreview }, 400, 401),
      },
    },
    async (request) => {
      const now = businessHoursNow(request.body.business_hours, new Date());
      return {
        open_now: now.open,
        timezone: now.timezone,
        local_time: { weekday: now.local.weekday, date: now.local.date, time: now.local.time },
        next_change: now.next,
      };
    },
  );
};
