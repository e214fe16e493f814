import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { useWriting } from '../data.js';
import { shortTime } from '../inbox/labels.js';
import type { ScreenProps } from '../screens.js';
import { setupMayHaveChanged } from '../setup.js';
import type { TryAnswer, TryConversation } from '../types-ai.js';
import { aiKeys, useAiConfig } from './ai/data.js';
import { AiTabs } from './ai/parts.js';
import { answeringNowText, noAnswerText, SIMULATED_NOTE } from './ai/words.js';

// The owner asks as a customer would, in a test conversation of their own, and sees the answer
// and why (or why not). The server keeps the test out of the inbox and the statistics.

const AUTHOR: Record<TryConversation['messages'][number]['type'], string> = {
  customer: 'You, as a customer',
  AI: 'AI',
  support: 'Your people',
  system: 'Note',
};

export function TryIt(_props: ScreenProps) {
  const client = useQueryClient();
  const config = useAiConfig();
  const conversation = useQuery({
    queryKey: aiKeys.tryIt,
    queryFn: () => api<TryConversation>('GET', '/api/v1/ai/try/'),
  });
  const [question, setQuestion] = useState('');
  const [outcome, setOutcome] = useState<TryAnswer | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const sessionId = conversation.data?.session_id ?? outcome?.session_id ?? null;
  const writing = useWriting(sessionId ? sessionId.slice('msg_'.length) : '');

  const ask = useMutation({
    mutationFn: (text: string) => api<TryAnswer>('POST', '/api/v1/ai/try/', { question: text }),
    onSuccess: async (answer) => {
      setOutcome(answer);
      setQuestion('');
      // "Try a question" on the first-run checklist ticks with the first one.
      setupMayHaveChanged(client);
      await client.invalidateQueries({ queryKey: aiKeys.tryIt });
    },
  });
  const startOver = useMutation({
    mutationFn: () => api<void>('DELETE', '/api/v1/ai/try/'),
    onSuccess: () => {
      setOutcome(null);
      ask.reset();
      client.setQueryData<TryConversation>(aiKeys.tryIt, (data) =>
        data ? { ...data, session_id: null, status: null, messages: [] } : data,
      );
      input.current?.focus();
    },
  });
  const submit = () => {
    if (!question.trim() || ask.isPending) return;
    ask.mutate(question);
  };
  const messages = conversation.data?.messages ?? [];
  const now = outcome?.answering_now ?? conversation.data?.answering_now;

  return (
    <main class="screen ai-screen">
      <h1>Try it</h1>
      <AiTabs current="/ai/try" />
      <p class="intro">
        Ask a question as a customer would: the AI answers with your prompts and settings as they are saved now, even
        while it does not answer real customers, so you can try it first. This test conversation is not in your inbox or
        your conversation statistics; its answers count toward your AI usage, like any other answer.
      </p>
      {now && (
        <p class="hint">
          <strong>Real customers now:</strong> {answeringNowText(now)}
        </p>
      )}
      {config.data?.simulated && <p class="hint">{SIMULATED_NOTE}</p>}
      <section class="card try-panel" aria-labelledby="try-title">
        <h2 id="try-title" class="visually-hidden">
          Test conversation
        </h2>
        {conversation.isError ? (
          <p class="error" role="alert">
            The test conversation could not be loaded: {conversation.error.message}
          </p>
        ) : (
          <TryMessages
            messages={messages}
            pending={ask.isPending ? ask.variables : undefined}
            writing={ask.isPending ? writing : undefined}
          />
        )}
        <p class="why" role="status">
          {outcome && <OutcomeText outcome={outcome} />}
        </p>
        <form
          class="try-form"
          onSubmit={(event) => {
            event.preventDefault();
            submit();
          }}
        >
          <div class="field">
            <label for="try-question">Your question</label>
            <textarea
              id="try-question"
              ref={input}
              rows={2}
              placeholder="Are you open on Sunday? (Enter asks, Shift+Enter for a new line)"
              value={question}
              onInput={(event) => setQuestion(event.currentTarget.value)}
              onKeyDown={(event) => {
                if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
                  event.preventDefault();
                  submit();
                }
              }}
              aria-describedby={ask.isError ? 'try-error' : undefined}
            />
          </div>
          <div class="form-actions">
            <button type="submit" class="primary" aria-disabled={ask.isPending || !question.trim()}>
              {ask.isPending ? 'Asking…' : 'Ask'}
            </button>
            <button
              type="button"
              class="quiet"
              aria-disabled={startOver.isPending}
              onClick={() => {
                if (!startOver.isPending) startOver.mutate();
              }}
            >
              Start over
            </button>
          </div>
          <p class="error" role="alert" id="try-error">
            {ask.error?.message ?? startOver.error?.message}
          </p>
        </form>
      </section>
    </main>
  );
}

function OutcomeText({ outcome }: { outcome: TryAnswer }) {
  if (outcome.reason) {
    return (
      <>
        <strong>No AI answer:</strong> {noAnswerText(outcome.reason)}
        {outcome.answer && <> The customer would be sent: “{outcome.answer}”</>}
      </>
    );
  }
  return (
    <>
      <strong>Answered by the AI</strong> in {(outcome.response_time_ms / 1000).toFixed(1)} s, from your prompts.
      {!outcome.answering_now.ai_answers && <> A real customer writing now would not get this answer.</>}
    </>
  );
}

function TryMessages({
  messages,
  pending,
  writing,
}: {
  messages: TryConversation['messages'];
  pending: string | undefined;
  writing: string | undefined;
}) {
  const box = useRef<HTMLOListElement>(null);
  useLayoutEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [messages.length, pending, writing]);
  return (
    <ol class="try-messages" ref={box} tabIndex={0} aria-label="Test conversation">
      {messages.length === 0 && pending === undefined && (
        <li class="try-empty">No questions yet. Ask one below, as a customer would.</li>
      )}
      {messages.map((message) => (
        <li key={message.id} class={`msg msg--${message.type}`}>
          <span class="msg-author">
            {AUTHOR[message.type]}
            <time dateTime={message.created_at}> · {shortTime(message.created_at)}</time>
          </span>
          {/* Text as text: nothing written here becomes markup. */}
          <p class="msg-text">{message.text}</p>
        </li>
      ))}
      {pending !== undefined && (
        <>
          <li class="msg msg--customer">
            <span class="msg-author">{AUTHOR.customer}</span>
            <p class="msg-text">{pending}</p>
          </li>
          <li class="msg msg--AI msg--writing" aria-busy="true">
            <span class="msg-author">AI · writing…</span>
            <p class="msg-text">{writing || '…'}</p>
          </li>
        </>
      )}
    </ol>
  );
}
