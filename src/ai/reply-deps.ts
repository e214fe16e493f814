import type { Config } from '../kernel/config.js';
import type { Database } from '../db/client.js';
import type { EventBus } from '../events/events.js';
import type { Watchers } from '../events/watchers.js';
import type { Cache } from '../infra/cache.js';
import type { ModelError, ModelProvider } from '../model/model-provider.js';

export interface ReplyDeps {
  db: Database;
  config: Config;
  /** Undefined when no global key is configured: the AI is unavailable to everyone. */
  model: ModelProvider | undefined;
  events: EventBus;
  /**
   * Shared by every process: the caps' reservations, each customer's replies this hour, and the
   * names of explicit prompt cache entries (PARLEY_EXPLICIT_CACHE).
   */
  cache: Cache;
  now?: () => Date;
  /**
   * For a failed model call: true to leave the conversation with the AI and
   * rethrow, so a queued reply is tried again, instead of handing it to people.
   */
  retryLater?: (error: ModelError) => boolean;
  /** Who watches live: answers stream only to watched businesses. Without it, every answer streams. */
  watchers?: Watchers;
}

/** Why no AI answer was generated, the first that applies (contract §5). */
export type NoAnswerReason =
  | 'suspended'
  | 'ai_disabled'
  | 'no_api_key'
  | 'manual_handling'
  | 'outside_business_hours'
  | 'quota_exceeded'
  | 'customer_rate_limited'
  | 'safety_blocked'
  | 'handed_over'
  | 'ai_unavailable';
