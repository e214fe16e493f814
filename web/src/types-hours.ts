// The business-hours screen's API shapes, from the server's zod schemas (type-only: nothing reaches the bundle).
import type { z } from 'zod';
import type { aiConfigBody, aiConfigResponse } from '../../src/ai/ai.schema.js';
import type { hoursPreview } from '../../src/ai/business-hours.schema.js';

type AiConfig = z.infer<typeof aiConfigResponse>;
/** The part of `GET/PATCH /api/v1/ai/config/` this screen reads and writes. */
export type HoursConfig = Pick<
  AiConfig,
  'business_hours_enabled' | 'business_hours' | 'away_message' | 'auto_response_enabled'
>;
export type HoursPatch = Pick<
  z.input<typeof aiConfigBody>,
  'business_hours_enabled' | 'business_hours' | 'away_message'
>;
export type WeeklyHours = NonNullable<AiConfig['business_hours']>;
export type Weekday = keyof WeeklyHours['schedule'];
/** `POST /api/v1/ai/business-hours/preview/` */
export type HoursPreview = z.infer<typeof hoursPreview>;
