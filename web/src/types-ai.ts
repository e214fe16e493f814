// The AI screens' API shapes, from the server's own zod schemas (type-only: nothing of the server is bundled).
import type { z } from 'zod';
import type { aiConfigBody, aiConfigResponse } from '../../src/ai/ai.schema.js';
import type { tryAnswer, tryConversation } from '../../src/ai/try-it.schema.js';
import type { defaultHandlerResponse } from '../../src/auth/auth.schema.js';

/** `GET /api/v1/ai/config/` */
export type AiConfig = z.infer<typeof aiConfigResponse>;
/** `PATCH /api/v1/ai/config/`: any subset. */
export type AiConfigPatch = z.input<typeof aiConfigBody>;
export type Prompts = AiConfig['prompts'];
export type AnsweringNow = AiConfig['answering_now'];
/** `GET|PUT /api/v1/ai/default-handler/` */
export type DefaultHandler = z.infer<typeof defaultHandlerResponse>['default_reply_handler'];
/** `POST /api/v1/ai/try/` */
export type TryAnswer = z.infer<typeof tryAnswer>;
/** `GET /api/v1/ai/try/` */
export type TryConversation = z.infer<typeof tryConversation>;
