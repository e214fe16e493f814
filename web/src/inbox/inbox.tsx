import { useEffect, useRef, useState } from 'preact/hooks';
import { useAttentionCount, type ConversationFilters } from '../data.js';
import { useAttentionSound, useSoundPreference } from './attention-sound.js';
import { ConversationList } from './list.js';
import { Thread } from './thread.js';

export function Inbox({ openId }: { openId: string | null }) {
  const [filters, setFilters] = useState<ConversationFilters>({});
  const [search, setSearch] = useState('');
  const attention = useAttentionCount();
  const searchBox = useRef<HTMLInputElement>(null);

  // Searching as one types, but not on every key.
  useEffect(() => {
    const timer = setTimeout(() => setFilters((f) => ({ ...f, search: search.trim() || undefined })), 250);
    return () => clearTimeout(timer);
  }, [search]);

  const waiting = attention.data ?? 0;
  const [sound, setSound] = useSoundPreference();
  useAttentionSound(attention.data, sound);
  useEffect(() => {
    document.title = waiting > 0 ? `(${waiting}) Inbox · Parley` : 'Inbox · Parley';
  }, [waiting]);

  // "/" jumps to the search, as on many sites, and Escape back to the open conversation's row;
  // never a bare Alt+letter (it types accented letters on many layouts).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (target.closest('input, textarea, select, [contenteditable]')) return;
      if (event.key === '/') {
        event.preventDefault();
        searchBox.current?.focus();
      } else if (event.key === 'Escape') {
        document.querySelector<HTMLElement>('.row--open')?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div class={`inbox ${openId ? 'inbox--open' : ''}`}>
      <section class="pane list-pane" aria-labelledby="inbox-heading">
        <div class="list-head">
          <h1 id="inbox-heading">
            Inbox
            {waiting > 0 && (
              <span class="badge badge--attention" title="Conversations waiting for a person">
                {waiting} need{waiting === 1 ? 's' : ''} a person
              </span>
            )}
          </h1>
          <button
            type="button"
            class="quiet sound-switch"
            aria-pressed={sound}
            title="A chime when a conversation starts waiting for a person (one tab plays it)"
            onClick={() => setSound(!sound)}
          >
            Sound {sound ? 'on' : 'off'}
          </button>
          <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
            <label class="visually-hidden" for="search">
              Search customers and messages
            </label>
            <input
              id="search"
              type="search"
              ref={searchBox}
              placeholder="Search customers and messages (/)"
              value={search}
              onInput={(e) => setSearch(e.currentTarget.value)}
            />
            <div class="filter-row">
              <label>
                <span class="visually-hidden">Who answers</span>
                <select
                  value={filters.status ?? ''}
                  onChange={(e) =>
                    setFilters((f) => ({
                      ...f,
                      status: (e.currentTarget.value || undefined) as ConversationFilters['status'],
                    }))
                  }
                >
                  <option value="">Everyone</option>
                  <option value="active">AI answers</option>
                  <option value="support_active">People answer</option>
                </select>
              </label>
              <label>
                <span class="visually-hidden">Channel</span>
                <select
                  value={filters.channel ?? ''}
                  onChange={(e) =>
                    setFilters((f) => ({
                      ...f,
                      channel: (e.currentTarget.value || undefined) as ConversationFilters['channel'],
                    }))
                  }
                >
                  <option value="">All channels</option>
                  <option value="telegram">Telegram</option>
                  <option value="instagram">Instagram</option>
                  <option value="api">API</option>
                </select>
              </label>
              <label class="check">
                <input
                  type="checkbox"
                  checked={!!filters.needs_person}
                  onChange={(e) => setFilters((f) => ({ ...f, needs_person: e.currentTarget.checked || undefined }))}
                />
                Needs a person
              </label>
            </div>
          </form>
        </div>
        <ConversationList filters={filters} openId={openId} />
      </section>
      <section class="pane thread-pane" aria-label="Conversation">
        {openId ? (
          <Thread key={openId} id={openId} />
        ) : (
          <div class="empty">
            <h2>Pick a conversation</h2>
            <p>Choose one on the left (arrow keys move in the list) to read it, answer, or take it over from the AI.</p>
          </div>
        )}
      </section>
    </div>
  );
}
