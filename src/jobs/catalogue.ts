import type { Config } from '../kernel/config.js';
import type { SecretBox } from '../kernel/secret-box.js';
import { registerReplyJobs, sweepReplies } from '../ai/reply.jobs.js';
import type { ModelProvider } from '../model/model-provider.js';
import { channelCourier, typingIndicator } from '../channels/adapters.js';
import { registerOutboxJobs, sendPendingNow, sweepOutbox } from '../conversations/outbox.js';
import type { Database } from '../db/client.js';
import type { Cache } from '../infra/cache.js';
import type { Queue } from '../infra/queue.js';
import type { EventBus } from '../events/events.js';
import type { Watchers } from '../events/watchers.js';
import { registerScheduledJobs, scheduleJobs } from './scheduled.jobs.js';

export interface JobDeps {
  db: Database;
  config: Config;
  model: ModelProvider | undefined;
  events: EventBus;
  /** Shared with every process: the caps' reservations, each customer's replies this hour, prompt cache entries. */
  cache: Cache;
  secrets: SecretBox;
  /** Who watches live: replies stream only to them. */
  watchers?: Watchers;
}

/** Every job's handler, registered where workers run; each job type gets exactly one. */
export async function startAllJobs(queue: Queue, deps: JobDeps): Promise<void> {
  registerScheduledJobs(queue, deps);
  const outbox = { db: deps.db, queue, courier: channelCourier(deps), events: deps.events };
  registerOutboxJobs(queue, outbox);
  registerReplyJobs(queue, {
    ...deps,
    queue,
    showTyping: typingIndicator(deps),
    sendPending: (conversationId, claimed) => sendPendingNow(outbox, conversationId, claimed),
  });
  await scheduleJobs(queue, deps.config.timezone);
  // Anything left pending (a crash between storing and enqueuing) is picked up within a minute.
  await queue.schedule(sweepOutbox, '* * * * *', deps.config.timezone, {});
  // And customer messages whose reply job was lost (in-memory queue, crash) are answered.
  await queue.schedule(sweepReplies, '* * * * *', deps.config.timezone, {});
  await queue.start();
}
