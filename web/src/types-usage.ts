// The usage and analytics screens' API shapes, from the server's zod schemas (type-only imports).
import type { z } from 'zod';
import type { analyticsResponse } from '../../src/analytics/analytics.schema.js';
import type {
  globalUsageResponse,
  quotaView,
  usageStatsResponse,
  userQuotaResponse,
} from '../../src/usage/usage.schema.js';

/** `GET /api/v1/ai/analytics/?days=` */
export type Analytics = z.infer<typeof analyticsResponse>;
/** `GET /api/v1/ai/usage/stats/?days=` */
export type UsageStats = z.infer<typeof usageStatsResponse>;
/** `GET /api/v1/ai/usage/global/?days=` (administrators) */
export type GlobalUsage = z.infer<typeof globalUsageResponse>;
/** A business's caps and what is used of them. */
export type Quota = z.infer<typeof quotaView>;
/** `GET|PUT /api/v1/ai/usage/quotas/{username}/` */
export type UserQuota = z.infer<typeof userQuotaResponse>;
