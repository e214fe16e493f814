import { useRef } from 'preact/hooks';
import { VList, type VListHandle } from 'virtua';
import { useConversations, type ConversationFilters } from '../data.js';
import { Link } from '../nav.js';
import { navigate } from '../router.js';
import type { Conversation } from '../types.js';
import { AUTHOR, CHANNEL, reasonText, shortTime } from './labels.js';

const ASK_EXAMPLE = `curl -s ${location.origin}/api/v1/ai/ask/ \\
  -H "Authorization: Bearer <your token>" \\
  -d question="Are you open on Sunday?" -d customer_id=ana@example.com`;

export function ConversationList({ filters, openId }: { filters: ConversationFilters; openId: string | null }) {
  const list = useConversations(filters);
  const handle = useRef<VListHandle>(null);
  const rows = list.data?.pages.flatMap((page) => page.results) ?? [];
  const filtered = Object.values(filters).some((value) => value !== undefined);

  const focusRow = (index: number) => {
    const target = Math.max(0, Math.min(rows.length - 1, index));
    handle.current?.scrollToIndex(target, { align: 'nearest' });
    requestAnimationFrame(() => document.querySelector<HTMLElement>(`[data-row="${target}"]`)?.focus());
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const current = Number((event.target as HTMLElement).dataset.row ?? -1);
    if (current < 0) return;
    const moves: Record<string, number> = {
      ArrowDown: current + 1,
      ArrowUp: current - 1,
      Home: 0,
      End: rows.length - 1,
      PageDown: current + 10,
      PageUp: current - 10,
    };
    const to = moves[event.key];
    if (to === undefined) return;
    event.preventDefault();
    focusRow(to);
  };

  if (list.isPending) return <p class="list-note">Loading conversations…</p>;
  if (list.isError) return <p class="list-note error">Conversations could not be loaded: {list.error.message}</p>;
  if (rows.length === 0) {
    return filtered ? (
      <div class="empty">
        <h2>Nothing matches</h2>
        <p>No conversation matches these filters. Clear the search or choose "Everyone".</p>
      </div>
    ) : (
      <div class="empty">
        <h2>No conversations yet</h2>
        <p>
          <Link href="/channels">Connect a channel</Link> (a Telegram bot or an Instagram account) so your customers
          reach you here, or <Link href="/ai/try">try the AI</Link> with a question as a customer would ask it.
        </p>
        <p>
          From a program, ask through the API (see <a href="/api/docs">/api/docs</a>):
        </p>
        <pre>
          <code>{ASK_EXAMPLE}</code>
        </pre>
        <p>New conversations appear here as they arrive.</p>
      </div>
    );
  }

  return (
    <nav class="list" aria-label="Conversations" onKeyDown={onKeyDown}>
      <VList
        // preact/compat's ref typing meets virtua's React types here; the handle is virtua's.
        ref={handle as never}
        class="vlist"
        data={rows}
        onScroll={() => {
          const range = handle.current;
          if (!range) return;
          if (range.findItemIndex(range.scrollOffset + range.viewportSize) >= rows.length - 10) {
            if (list.hasNextPage && !list.isFetchingNextPage) void list.fetchNextPage();
          }
        }}
      >
        {/* A render function: only the rows in view are made, however many pages are loaded. */}
        {(row: Conversation, index: number) => <Row key={row.id} row={row} index={index} open={row.id === openId} />}
      </VList>
    </nav>
  );
}

function Row({ row, index, open }: { row: Conversation; index: number; open: boolean }) {
  const name = row.customer_name || row.customer_id;
  const unread = row.unread_count ?? 0;
  const people = row.status === 'support_active';
  return (
    <a
      href={`/c/${encodeURIComponent(row.id)}`}
      class={`row ${open ? 'row--open' : ''} ${unread > 0 ? 'row--unread' : ''}`}
      data-row={index}
      aria-current={open ? 'page' : undefined}
      onClick={(event) => {
        event.preventDefault();
        navigate(`/c/${encodeURIComponent(row.id)}`);
      }}
    >
      <span class="row-top">
        <span class="row-name">{name}</span>
        <span class="row-time">{shortTime(row.last_message_at ?? row.updated_at)}</span>
      </span>
      <span class="row-preview">
        {row.last_message
          ? `${AUTHOR[row.last_message.type]}: ${row.last_message.text}`
          : row.last_message === null
            ? 'No messages yet'
            : ''}
      </span>
      <span class="row-tags">
        <span class={`tag ${people ? 'tag--people' : 'tag--ai'}`}>{people ? 'People' : 'AI'}</span>
        <span class="tag">{CHANNEL[row.channel] ?? row.channel}</span>
        {row.needs_person && (
          <span class="tag tag--attention">
            Needs a person{row.status_reason ? `: ${reasonText(row.status_reason)}` : ''}
          </span>
        )}
        {unread > 0 && (
          <span class="unread" aria-label={`${unread} unread`}>
            {unread}
          </span>
        )}
      </span>
    </a>
  );
}
