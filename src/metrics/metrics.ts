import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelUsage } from '../model/model-provider.js';
import type { Queue } from '../infra/queue.js';

/**
 * The process's Prometheus metrics, all named `parley_…`. Each call makes its
 * own registry (never prom-client's global one), so several apps in one
 * process (tests) do not clash. Label values are kept to small sets: a route
 * is its template, an unknown route is `unmatched`, and model names past a
 * cap are `other`, because businesses choose their model's name.
 */

/** What happened to one webhook delivery (for Instagram, one messaging event of a batch). */
export type WebhookResult = 'stored' | 'duplicate' | 'ignored' | 'rejected';

/** What a model call ended with: the result's kind, or `error`. */
export type ModelOutcome = 'text' | 'function_call' | 'blocked' | 'empty' | 'error';

export const UNMATCHED_ROUTE = 'unmatched';
const MODEL_LABELS_KEPT = 50;
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

export interface Metrics {
  readonly registry: Registry;
  /** The Content-Type of `scrape()`'s text. */
  readonly contentType: string;
  scrape(): Promise<string>;
  /** `route` is the route's template, or undefined when no route matched. */
  httpRequest(method: string, route: string | undefined, status: number, seconds: number): void;
  modelCall(model: string, outcome: ModelOutcome, seconds: number, usage?: ModelUsage): void;
  modelError(model: string, errorClass: string): void;
  webhookDelivery(channel: string, result: WebhookResult): void;
  /** Read the queue's depth at each scrape. */
  observeQueue(queue: Pick<Queue, 'counts'>): void;
  /** Read the number of open WebSocket connections at each scrape. */
  observeWebsocketConnections(source: () => number): void;
}

/** Only the part of Metrics that webhook routes use. */
export type WebhookMetrics = Pick<Metrics, 'webhookDelivery'>;

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'parley_' });

  const httpRequests = new Counter({
    name: 'parley_http_requests_total',
    help: 'HTTP requests answered, by route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route template.',
    labelNames: ['method', 'route'] as const,
    registers: [registry],
  });
  const modelCalls = new Counter({
    name: 'parley_model_calls_total',
    help: 'Model calls (retries inside one call included), by how they ended.',
    labelNames: ['model', 'outcome'] as const,
    registers: [registry],
  });
  const modelDuration = new Histogram({
    name: 'parley_model_call_duration_seconds',
    help: 'Time a model call took, retries and waits included.',
    labelNames: ['model'] as const,
    // Calls may retry for up to a minute (GEMINI_DEADLINE_MS).
    buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    registers: [registry],
  });
  const modelTokens = new Counter({
    name: 'parley_model_tokens_total',
    help: 'Tokens the model reported using, by kind (prompt, completion, thought).',
    labelNames: ['model', 'kind'] as const,
    registers: [registry],
  });
  const modelErrors = new Counter({
    name: 'parley_model_errors_total',
    help: 'Model calls that failed for good, by error class.',
    labelNames: ['model', 'error_class'] as const,
    registers: [registry],
  });
  const webhookDeliveries = new Counter({
    name: 'parley_webhook_deliveries_total',
    help: 'Channel webhook deliveries: stored (a new customer message), duplicate (a retry), ignored (nothing for us), rejected (bad secret or signature, unknown channel).',
    labelNames: ['channel', 'result'] as const,
    registers: [registry],
  });

  let queue: Pick<Queue, 'counts'> | undefined;
  new Gauge({
    name: 'parley_queue_jobs',
    help: 'Jobs in the queue by job type and state, read at scrape time.',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!queue) return;
      let counts: Awaited<ReturnType<Queue['counts']>>;
      try {
        counts = await queue.counts();
      } catch {
        // Redis being away must not fail the whole scrape; /readyz reports it.
        return;
      }
      for (const [name, count] of Object.entries(counts)) {
        for (const state of QUEUE_STATES) this.set({ queue: name, state }, count[state]);
      }
    },
  });

  let websocketConnections: (() => number) | undefined;
  new Gauge({
    name: 'parley_websocket_connections',
    help: 'Open WebSocket connections to this process.',
    registers: [registry],
    collect() {
      this.set(websocketConnections?.() ?? 0);
    },
  });

  const models = new Set<string>();
  const modelLabel = (model: string) => {
    if (models.has(model)) return model;
    if (models.size >= MODEL_LABELS_KEPT) return 'other';
    models.add(model);
    return model;
  };

  return {
    registry,
    contentType: registry.contentType,
    scrape: () => registry.metrics(),

    httpRequest(method, route, status, seconds) {
      const labels = { method, route: route ?? UNMATCHED_ROUTE };
      httpRequests.inc({ ...labels, status: String(status) });
      httpDuration.observe(labels, seconds);
    },

    modelCall(model, outcome, seconds, usage) {
      const label = modelLabel(model);
      modelCalls.inc({ model: label, outcome });
      modelDuration.observe({ model: label }, seconds);
      if (usage) {
        modelTokens.inc({ model: label, kind: 'prompt' }, usage.promptTokens);
        modelTokens.inc({ model: label, kind: 'completion' }, usage.completionTokens);
        modelTokens.inc({ model: label, kind: 'thought' }, usage.thoughtTokens);
      }
    },

    modelError(model, errorClass) {
      modelErrors.inc({ model: modelLabel(model), error_class: errorClass });
    },

    webhookDelivery(channel, result) {
      webhookDeliveries.inc({ channel, result });
    },

    observeQueue(source) {
      queue = source;
    },

    observeWebsocketConnections(source) {
      websocketConnections = source;
    },
  };
}
