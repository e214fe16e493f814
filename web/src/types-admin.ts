// The admin screens' API shapes, from the server's zod schemas (type-only imports).
import type { z } from 'zod';
import type {
  businessList,
  businessView,
  createBusinessBody,
  createdBusiness,
  systemResponse,
} from '../../src/admin/admin.schema.js';

/** A business as `GET /api/v1/admin/businesses/` lists it. */
export type Business = z.infer<typeof businessView>;
export type BusinessList = z.infer<typeof businessList>;
/** What `POST /api/v1/admin/businesses/` takes, and answers (with the one-time password). */
export type NewBusiness = z.input<typeof createBusinessBody>;
export type CreatedBusiness = z.infer<typeof createdBusiness>;
/** `GET /api/v1/admin/system/` */
export type SystemStatus = z.infer<typeof systemResponse>;
