import { useQuery, type QueryClient } from '@tanstack/react-query';
import { api } from './api.js';
import type { Setup } from './types-account.js';

// How far the business's setup is (GET /api/v1/ai/setup/): the first-run checklist, the
// "Get started" menu item. Read afresh whenever a screen showing it opens, when the person comes
// back to the tab, and after any save (forms.tsx's useSave), so the ticks follow what they do.

export const SETUP_KEY = ['setup'] as const;

export function useSetup(options: { poll?: boolean } = {}) {
  return useQuery({
    queryKey: SETUP_KEY,
    queryFn: () => api<Setup>('GET', '/api/v1/ai/setup/'),
    staleTime: 0,
    refetchOnWindowFocus: true,
    // While the checklist is open, changes made elsewhere (the API, another tab, a customer's
    // first message) tick it too; a hidden tab does not poll.
    refetchInterval: options.poll ? 4_000 : false,
  });
}

/** A save may have finished a step: the checklist and the menu read it again. */
export function setupMayHaveChanged(client: QueryClient): void {
  void client.invalidateQueries({ queryKey: SETUP_KEY });
}
