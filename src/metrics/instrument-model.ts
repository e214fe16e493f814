import { ModelError, type ModelProvider, type ModelRequest, type ModelResult } from '../model/model-provider.js';
import type { Metrics } from './metrics.js';

type ModelMetrics = Pick<Metrics, 'modelCall' | 'modelError'>;

/**
 * The same provider, counting each call's outcome, time and tokens. One
 * count per call as the reply pipeline sees it: retries inside a call are
 * the provider's business (the usage records keep their number).
 */
export function instrumentModel(provider: ModelProvider, metrics: ModelMetrics): ModelProvider;
export function instrumentModel(provider: ModelProvider | undefined, metrics: ModelMetrics): ModelProvider | undefined;
export function instrumentModel(provider: ModelProvider | undefined, metrics: ModelMetrics): ModelProvider | undefined {
  if (!provider) return undefined;
  const measure = async (request: ModelRequest, call: () => Promise<ModelResult>): Promise<ModelResult> => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await call();
      metrics.modelCall(request.model, result.kind, seconds(), result.usage);
      return result;
    } catch (error) {
      metrics.modelCall(request.model, 'error', seconds());
      metrics.modelError(request.model, error instanceof ModelError ? error.errorClass : 'unknown');
      throw error;
    }
  };
  return {
    name: provider.name,
    generate: (request) => measure(request, () => provider.generate(request)),
    stream: (request, onDelta) => measure(request, () => provider.stream(request, onDelta)),
    describeModel: (model) => provider.describeModel(model),
    ...(provider.createCachedPrompt ? { createCachedPrompt: provider.createCachedPrompt.bind(provider) } : {}),
    ...(provider.deleteCachedPrompt ? { deleteCachedPrompt: provider.deleteCachedPrompt.bind(provider) } : {}),
  };
}
