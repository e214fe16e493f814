import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { addMessage, keys, patchConversation, threadMessages, useThread, useWriting } from '../data.js';
import type { AgentReply, Conversation, ConversationStatus, Message } from '../types.js';
import { Link } from '../nav.js';
import { AUTHOR, CHANNEL, reasonText, shortTime } from './labels.js';
import { useAgentTyping } from './typing.js';

export function Thread({ id }: { id: string }) {
  const client = useQueryClient();
  const conversation = useQuery({
    queryKey: ['conversation', id],
    queryFn: () => api<Conversation>('GET', `/api/v1/conversations/${encodeURIComponent(id)}/`),
  });
  const status = useQuery({
    queryKey: keys.status(id),
    queryFn: () => api<ConversationStatus>('GET', `/api/v1/ai/conversations/${encodeURIComponent(id)}/status/`),
  });
  const thread = useThread(id);
  const messages = threadMessages(thread.data);
  const writing = useWriting(id);
  const heading = useRef<HTMLHeadingElement>(null);

  // Reading the thread marks it read, and so does every customer message that arrives while it is open.
  const customerCount = messages.filter((message) => message.type === 'customer').length;
  useEffect(() => {
    if (!thread.data) return;
    void api<{ unread_count: number }>('POST', `/api/v1/conversations/${encodeURIComponent(id)}/read/`, {})
      .then(() => patchConversation(client, id, (row) => ({ ...row, unread_count: 0 })))
      .catch(() => undefined);
  }, [id, customerCount, !!thread.data]);

  const toggle = useMutation({
    mutationFn: (next: 'active' | 'support_active') =>
      api<ConversationStatus>('PUT', `/api/v1/ai/conversations/${encodeURIComponent(id)}/status/`, { status: next }),
    onSuccess: (answer) => {
      client.setQueryData(keys.status(id), answer);
      patchConversation(client, id, (row) => ({ ...row, status: answer.status, status_reason: answer.reason }));
      void client.invalidateQueries({ queryKey: keys.conversations });
      void client.invalidateQueries({ queryKey: keys.attention });
    },
  });

  const name = conversation.data ? conversation.data.customer_name || conversation.data.customer_id : '…';
  const people = status.data?.status === 'support_active';
  const why = reasonText(status.data?.reason);

  return (
    <div class="thread">
      <header class="thread-head">
        {/* On a phone the list and the thread take turns: this is the way back (so is the browser's back button). */}
        <Link href="/" class="back-to-list">
          <span aria-hidden="true">←</span> Conversations
        </Link>
        <div class="thread-title">
          <h2 ref={heading} tabIndex={-1}>
            {name}
          </h2>
          <p class="thread-meta">
            {conversation.data && <span class="tag">{CHANNEL[conversation.data.channel]}</span>}{' '}
            <span class="who-answers" role="status">
              {!status.data
                ? ''
                : people
                  ? `People answer${why ? ` — ${why}` : ''}.`
                  : status.data.ai_available
                    ? 'The AI answers.'
                    : `The AI cannot answer${why ? ` — ${why}` : ''}.`}
            </span>
          </p>
        </div>
        {status.data && (
          <button
            type="button"
            class={people ? 'secondary' : 'primary'}
            // Not `disabled`: a disabled button drops the keyboard focus.
            aria-disabled={toggle.isPending}
            onClick={() => {
              if (!toggle.isPending) toggle.mutate(people ? 'active' : 'support_active');
            }}
          >
            {people ? 'Hand back to AI' : 'Take over'}
          </button>
        )}
      </header>
      {toggle.isError && (
        <p class="error" role="alert">
          {toggle.error.message}
        </p>
      )}
      <Messages
        messages={messages}
        writing={people ? undefined : writing}
        hasOlder={!!thread.hasNextPage}
        loadingOlder={thread.isFetchingNextPage}
        loadOlder={() => void thread.fetchNextPage()}
        loading={thread.isPending}
        error={thread.error?.message}
      />
      <Reply id={id} people={people} website={conversation.data?.channel === 'website'} />
    </div>
  );
}

interface MessagesProps {
  messages: Message[];
  writing: string | undefined;
  hasOlder: boolean;
  loadingOlder: boolean;
  loadOlder: () => void;
  loading: boolean;
  error: string | undefined;
}

function Messages({ messages, writing, hasOlder, loadingOlder, loadOlder, loading, error }: MessagesProps) {
  const box = useRef<HTMLOListElement>(null);
  const pinned = useRef(true);
  const fromBottom = useRef(0);
  const firstId = messages[0]?.id;
  const shownFirstId = useRef(firstId);

  // Keep the view where the reader left it: at the bottom when they were there (new messages
  // scroll in); otherwise older messages added above keep the same distance from the bottom,
  // and new ones added below leave the view alone.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const olderAdded = shownFirstId.current !== undefined && firstId !== shownFirstId.current;
    shownFirstId.current = firstId;
    if (pinned.current) el.scrollTop = el.scrollHeight;
    else if (olderAdded) el.scrollTop = el.scrollHeight - el.clientHeight - fromBottom.current;
    fromBottom.current = el.scrollHeight - el.clientHeight - el.scrollTop;
  }, [messages.length, firstId, writing]);

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    fromBottom.current = el.scrollHeight - el.clientHeight - el.scrollTop;
    pinned.current = fromBottom.current < 40;
    if (el.scrollTop < 200 && hasOlder && !loadingOlder) loadOlder();
  };

  if (loading) return <p class="thread-note">Loading messages…</p>;
  if (error) return <p class="thread-note error">Messages could not be loaded: {error}</p>;
  return (
    <ol class="messages" ref={box} onScroll={onScroll} tabIndex={0} aria-label="Messages">
      {hasOlder && (
        <li class="older">
          <button type="button" class="quiet" onClick={loadOlder} disabled={loadingOlder}>
            {loadingOlder ? 'Loading older messages…' : 'Load older messages'}
          </button>
        </li>
      )}
      {messages.length === 0 && <li class="thread-note">No messages yet.</li>}
      {messages.map((message) => (
        <MessageItem key={message.id} message={message} />
      ))}
      {writing !== undefined && (
        <li class="msg msg--AI msg--writing" aria-busy="true">
          <span class="msg-author">AI · writing…</span>
          <p class="msg-text">{writing || '…'}</p>
        </li>
      )}
    </ol>
  );
}

const DELIVERY: Record<string, string> = { pending: 'Sending…', sent: 'Delivered', failed: 'Not delivered' };

function MessageItem({ message }: { message: Message }) {
  return (
    <li class={`msg msg--${message.type}`}>
      <span class="msg-author">
        {AUTHOR[message.type]}
        {message.type === 'AI' && <span class="ai-mark"> (automatic answer)</span>}
        <time dateTime={message.created_at}> · {shortTime(message.created_at)}</time>
      </span>
      {/* Text as text: a customer's words never become markup. */}
      <p class="msg-text">{message.text}</p>
      {message.delivery_status && (
        <span class={`delivery delivery--${message.delivery_status}`}>
          {DELIVERY[message.delivery_status]}
          {message.delivery_status === 'failed' && message.delivery_error ? `: ${message.delivery_error}` : ''}
        </span>
      )}
    </li>
  );
}

function Reply({ id, people, website }: { id: string; people: boolean; website: boolean }) {
  const client = useQueryClient();
  const [text, setText] = useState('');
  const typed = useAgentTyping(id, website);
  const [keepAi, setKeepAi] = useState(false);
  const send = useMutation({
    mutationFn: (body: { text: string; keep_ai: boolean }) =>
      api<AgentReply>('POST', `/api/v1/conversations/${encodeURIComponent(id)}/messages/`, body),
    onSuccess: (answer) => {
      setText('');
      typed('');
      addMessage(client, id, answer.message);
      patchConversation(client, id, (row) => ({ ...row, ...answer.conversation }));
      void client.invalidateQueries({ queryKey: keys.status(id) });
      void client.invalidateQueries({ queryKey: keys.attention });
    },
  });
  const submit = () => {
    if (!text.trim() || send.isPending) return;
    send.mutate({ text, keep_ai: keepAi });
  };
  return (
    <form
      class="reply"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <label for="reply-text" class="visually-hidden">
        Your reply
      </label>
      <textarea
        id="reply-text"
        rows={3}
        placeholder="Write a reply… (Enter sends, Shift+Enter for a new line)"
        value={text}
        onInput={(event) => {
          setText(event.currentTarget.value);
          typed(event.currentTarget.value);
        }}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            submit();
          }
        }}
      />
      <div class="reply-actions">
        <label class="check">
          <input type="checkbox" checked={keepAi} onChange={(event) => setKeepAi(event.currentTarget.checked)} />
          Keep the AI answering {people ? '' : '(otherwise your reply takes the conversation over)'}
        </label>
        <button type="submit" class="primary" disabled={send.isPending || !text.trim()}>
          {send.isPending ? 'Sending…' : 'Send'}
        </button>
      </div>
      {send.isError && (
        <p class="error" role="alert">
          {send.error.message}
        </p>
      )}
    </form>
  );
}
