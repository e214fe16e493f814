import { useQuery, type QueryClient } from '@tanstack/react-query';
import { api } from '../../api.js';
import type { AiConfig, AiConfigPatch, DefaultHandler } from '../../types-ai.js';

// The AI screens' data: the business's AI configuration and its default handler, one query each.

export const aiKeys = {
  config: ['ai-config'] as const,
  handler: ['default-handler'] as const,
  tryIt: ['try-it'] as const,
};

export function useAiConfig() {
  return useQuery({ queryKey: aiKeys.config, queryFn: () => api<AiConfig>('GET', '/api/v1/ai/config/') });
}

export function useDefaultHandler() {
  return useQuery({
    queryKey: aiKeys.handler,
    queryFn: async () =>
      (await api<{ default_reply_handler: DefaultHandler }>('GET', '/api/v1/ai/default-handler/'))
        .default_reply_handler,
  });
}

/** Saves part of the configuration; the answer is the whole configuration, which every AI screen then shows. */
export async function saveAiConfig(client: QueryClient, patch: AiConfigPatch): Promise<AiConfig> {
  const saved = await api<AiConfig>('PATCH', '/api/v1/ai/config/', patch);
  client.setQueryData(aiKeys.config, saved);
  return saved;
}

export async function saveDefaultHandler(client: QueryClient, handler: DefaultHandler): Promise<void> {
  await api('PUT', '/api/v1/ai/default-handler/', { default_reply_handler: handler });
  client.setQueryData(aiKeys.handler, handler);
  // What new customers get depends on the handler too.
  await client.invalidateQueries({ queryKey: aiKeys.config });
}
