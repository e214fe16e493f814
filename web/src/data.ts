import { useInfiniteQuery, useQuery, type InfiniteData, type QueryClient } from '@tanstack/react-query';
import { useSyncExternalStore } from 'preact/compat';
import { api, query } from './api.js';
import type { Conversation, LiveEvent, Message, Page, SyncPage, ThreadPage } from './types.js';

// The inbox's data: fetched and cached by TanStack Query, kept current by the live events,
// and caught up after a reconnect. Messages are merged by id, so nothing shows twice.

export interface ConversationFilters {
  status?: 'active' | 'support_active' | undefined;
  needs_person?: boolean | undefined;
  channel?: Conversation['channel'] | undefined;
  search?: string | undefined;
}

const LIST_PAGE = 50;
const THREAD_PAGE = 50;
type ListData = InfiniteData<Page<Conversation>, number>;
type ThreadData = InfiniteData<ThreadPage, number | undefined>;

export const keys = {
  conversations: ['conversations'] as const,
  list: (filters: ConversationFilters) => ['conversations', filters] as const,
  attention: ['attention'] as const,
  thread: (id: string) => ['thread', id] as const,
  status: (id: string) => ['status', id] as const,
};

export function useConversations(filters: ConversationFilters) {
  return useInfiniteQuery({
    queryKey: keys.list(filters),
    initialPageParam: 1,
    queryFn: ({ pageParam }) =>
      api<Page<Conversation>>(
        'GET',
        `/api/v1/conversations/${query({ ...filters, needs_person: filters.needs_person || undefined, page: pageParam, page_size: LIST_PAGE })}`,
      ),
    getNextPageParam: (last, _all, page) => (last.next ? page + 1 : undefined),
  });
}

/** How many conversations wait for a person: the badge and the tab title. */
export function useAttentionCount() {
  return useQuery({
    queryKey: keys.attention,
    queryFn: () =>
      api<Page<Conversation>>('GET', `/api/v1/conversations/${query({ needs_person: true, page_size: 1 })}`),
    select: (page) => page.count,
  });
}

export function useThread(id: string) {
  return useInfiniteQuery({
    queryKey: keys.thread(id),
    initialPageParam: undefined as number | undefined,
    queryFn: async ({ pageParam }) => {
      const page = await api<ThreadPage & { next?: string | null }>(
        'GET',
        `/api/v1/conversations/${id}/messages/${query({ before_seq: pageParam, limit: THREAD_PAGE })}`,
      );
      for (const message of page.results) sawSeq(message.seq);
      return { results: page.results, has_more: page.has_more ?? false };
    },
    // Pages go back in time: the first is the newest.
    getNextPageParam: (last) => (last.has_more ? last.results[0]?.seq : undefined),
  });
}

/** A thread's messages, oldest first. */
export function threadMessages(data: { pages: ThreadPage[] } | undefined): Message[] {
  if (!data) return [];
  return data.pages.toReversed().flatMap((page) => page.results);
}

// ---- the highest message seq seen: where a catch-up starts ----

let highestSeq = 0;
export function sawSeq(seq: number | undefined): void {
  if (seq !== undefined && seq > highestSeq) highestSeq = seq;
}

// ---- answers being written, from ai.reply.* events ----

const writing = new Map<string, string>();
const writingListeners = new Set<() => void>();
function setWriting(id: string, text: string | undefined) {
  if (text === undefined) writing.delete(id);
  else writing.set(id, text);
  for (const listener of writingListeners) listener();
}
export function useWriting(id: string): string | undefined {
  return useSyncExternalStore(
    (listener) => {
      writingListeners.add(listener);
      return () => writingListeners.delete(listener);
    },
    () => writing.get(id),
  );
}

// ---- merging into the cache ----

export function addMessage(client: QueryClient, conversationId: string, message: Message): void {
  sawSeq(message.seq);
  client.setQueryData<ThreadData>(keys.thread(conversationId), (data) => {
    if (!data) return data;
    // Known already (the reply's own answer, then its event; or a catch-up): merge what is new.
    if (data.pages.some((page) => page.results.some((known) => known.id === message.id))) {
      return {
        ...data,
        pages: data.pages.map((page) => ({
          ...page,
          results: page.results.map((known) => (known.id === message.id ? { ...known, ...message } : known)),
        })),
      };
    }
    const [newest, ...older] = data.pages;
    if (!newest) return data;
    // In seq order; a message without one yet (just sent) goes last.
    const results = [...newest.results, message].sort(
      (a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER),
    );
    return { ...data, pages: [{ ...newest, results }, ...older] };
  });
}

function patchMessage(client: QueryClient, conversationId: string, id: string, patch: Partial<Message>): void {
  client.setQueryData<ThreadData>(keys.thread(conversationId), (data) =>
    data
      ? {
          ...data,
          pages: data.pages.map((page) => ({
            ...page,
            results: page.results.map((message) => (message.id === id ? { ...message, ...patch } : message)),
          })),
        }
      : data,
  );
}

/** Changes a conversation's row wherever it is listed; false when no list holds it. */
export function patchConversation(
  client: QueryClient,
  id: string,
  patch: (row: Conversation) => Conversation,
): boolean {
  let found = false;
  client.setQueriesData<ListData>({ queryKey: keys.conversations }, (data) => {
    if (!data) return data;
    return {
      ...data,
      pages: data.pages.map((page) => ({
        ...page,
        results: page.results.map((row) => {
          if (row.id !== id) return row;
          found = true;
          return patch(row);
        }),
      })),
    };
  });
  return found;
}

let refreshTimer: ReturnType<typeof setTimeout> | undefined;
/** Lists re-sort and re-filter on the server; many events in a burst cause one refetch. */
function refreshLists(client: QueryClient): void {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    void client.invalidateQueries({ queryKey: keys.conversations });
    void client.invalidateQueries({ queryKey: keys.attention });
  }, 250);
}

export interface LiveContext {
  /** The conversation open on screen: its new messages are read at once. */
  openId: () => string | null;
}

export function applyEvent(client: QueryClient, event: LiveEvent, context: LiveContext): void {
  switch (event.type) {
    case 'message.created': {
      const { conversation_id: id } = event.data;
      const message = event.data.message as Message;
      addMessage(client, id, message);
      if (message.type === 'AI') setWriting(id, undefined);
      patchConversation(client, id, (row) => ({
        ...row,
        message_count: row.message_count + 1,
        last_message_at: message.created_at,
        last_message: { type: message.type, text: message.text.slice(0, 200), created_at: message.created_at },
        unread_count:
          message.type === 'customer' && context.openId() !== id ? (row.unread_count ?? 0) + 1 : row.unread_count,
      }));
      refreshLists(client);
      return;
    }
    case 'conversation.created':
      refreshLists(client);
      return;
    case 'conversation.status_changed': {
      const { conversation_id: id, status, reason } = event.data;
      patchConversation(client, id, (row) => ({
        ...row,
        status,
        status_reason: status === 'active' ? null : reason,
      }));
      void client.invalidateQueries({ queryKey: keys.status(id) });
      if (status === 'support_active') setWriting(id, undefined);
      refreshLists(client);
      return;
    }
    case 'ai.reply.started':
      setWriting(event.data.conversation_id, '');
      return;
    case 'ai.reply.delta': {
      const id = event.data.conversation_id;
      setWriting(id, (writing.get(id) ?? '') + event.data.text);
      return;
    }
    case 'ai.reply.completed':
      addMessage(client, event.data.conversation_id, event.data.message);
      setWriting(event.data.conversation_id, undefined);
      return;
    case 'ai.reply.failed':
      setWriting(event.data.conversation_id, undefined);
      return;
    case 'message.delivery_changed': {
      const { conversation_id: id, message_id: messageId, delivery_status, delivery_error } = event.data;
      patchMessage(client, id, messageId, { delivery_status, delivery_error });
      return;
    }
  }
}

/** After a reconnect: everything missed, page by page, merged without duplicates. */
export async function catchUp(client: QueryClient): Promise<void> {
  if (highestSeq > 0) {
    for (;;) {
      const page = await api<SyncPage>('GET', `/api/v1/conversations/sync/${query({ after_seq: highestSeq })}`);
      for (const message of page.messages) addMessage(client, message.conversation_id, message);
      for (const row of page.conversations) patchConversation(client, row.id, () => row);
      sawSeq(page.last_seq);
      if (!page.has_more || page.messages.length === 0) break;
    }
  } else {
    // Nothing with a seq seen yet: fetching open threads again is as cheap.
    await client.invalidateQueries({ queryKey: ['thread'] });
  }
  await client.invalidateQueries({ queryKey: keys.conversations });
  await client.invalidateQueries({ queryKey: keys.attention });
}
