import { z } from 'zod';
import { WEEKDAYS } from '../db/schema/index.js';
import { withWarnings } from '../kernel/ignored-fields.js';
import { businessHoursSchema } from './business-hours.js';

export const hoursPreviewBody = z.object({ business_hours: businessHoursSchema });

const weekday = z.enum(WEEKDAYS);
const date = z.string().describe('`YYYY-MM-DD` in the business’s zone.');
const time = z.string().describe('`HH:MM` in the business’s zone.');

export const hoursPreview = withWarnings(
  z.object({
    open_now: z.boolean().describe('Whether these hours are open now: what the AI decides for a message now.'),
    timezone: z.string().describe('The zone’s own IANA name (`US/Eastern` → `America/New_York`).'),
    local_time: z.object({ weekday, date, time }).describe('Now, in the zone.'),
    next_change: z
      .object({ open: z.boolean().describe('Open from then on.'), weekday, date, time })
      .nullable()
      .describe('When these hours next open or close; null when never (closed all week, or open around the clock).'),
  }),
).meta({ id: 'BusinessHoursPreview' });
