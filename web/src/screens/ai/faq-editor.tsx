import { useEffect, useState } from 'preact/hooks';
import { formatFaq, parseFaq, type FaqItem } from './faq.js';

// The FAQ as a list of questions and answers. It edits the same text as the plain text area:
// every change is written back with formatFaq, and text not in Q/A form stays, in its place.

type Keyed = FaqItem & { key: number };

let nextKey = 1;
const keyed = (item: FaqItem): Keyed => ({ ...item, key: nextKey++ });

export function FaqEditor({
  text,
  onChange,
  describedBy,
}: {
  text: string;
  onChange: (text: string) => void;
  describedBy?: string | undefined;
}) {
  const [items, setItems] = useState<Keyed[]>(() => parseFaq(text).map(keyed));
  const [focus, setFocus] = useState<string | null>(null);

  // The text changed from elsewhere (the server's answer to a save): read it again. Compared with
  // this render's own items, not with the last text written: typing runs ahead of renders.
  useEffect(() => {
    if (text !== formatFaq(items)) setItems(parseFaq(text).map(keyed));
  }, [text, items]);
  useEffect(() => {
    if (focus) document.getElementById(focus)?.focus();
    setFocus(null);
  }, [focus]);

  const update = (next: Keyed[]) => {
    setItems(next);
    onChange(formatFaq(next));
  };
  const change = (key: number, patch: Partial<FaqItem>) =>
    update(items.map((item) => (item.key === key ? ({ ...item, ...patch } as Keyed) : item)));
  const move = (index: number, by: -1 | 1, buttonId: string) => {
    const next = [...items];
    const [item] = next.splice(index, 1);
    next.splice(index + by, 0, item!);
    update(next);
    setFocus(buttonId);
  };
  const remove = (index: number) => {
    const next = items.filter((_, at) => at !== index);
    update(next);
    const neighbour = next[index] ?? next[index - 1];
    setFocus(neighbour ? `faq-${neighbour.key}-first` : 'faq-add');
  };
  const pairs = items.filter((item) => item.kind === 'pair').length;

  return (
    <div class="faq-editor" aria-describedby={describedBy}>
      <p class="hint" aria-live="polite">
        {pairs === 1 ? '1 question' : `${pairs} questions`}
        {items.length > pairs ? ', and text in another form kept as it is' : ''}.
      </p>
      {items.length > 0 && (
        <ol class="faq-list">
          {items.map((item, index) => {
            const n = index + 1;
            const id = `faq-${item.key}`;
            return (
              <li key={item.key} class={`faq-item ${item.kind === 'text' ? 'faq-item--text' : ''}`}>
                {item.kind === 'pair' ? (
                  <>
                    <div class="field">
                      <label for={`${id}-first`}>Question {n}</label>
                      <textarea
                        id={`${id}-first`}
                        rows={2}
                        value={item.question}
                        onInput={(event) => change(item.key, { question: event.currentTarget.value })}
                      />
                    </div>
                    <div class="field">
                      <label for={`${id}-answer`}>Answer {n}</label>
                      <textarea
                        id={`${id}-answer`}
                        rows={3}
                        value={item.answer}
                        onInput={(event) => change(item.key, { answer: event.currentTarget.value })}
                      />
                    </div>
                  </>
                ) : (
                  <div class="field">
                    <label for={`${id}-first`}>Item {n}: other text, kept as written</label>
                    <textarea
                      id={`${id}-first`}
                      rows={3}
                      value={item.text}
                      onInput={(event) => change(item.key, { text: event.currentTarget.value })}
                    />
                  </div>
                )}
                <div class="faq-item-actions">
                  <button
                    type="button"
                    class="quiet"
                    id={`${id}-up`}
                    aria-label={`Move item ${n} up`}
                    // Not `disabled`: the moved item's button keeps the keyboard focus even at the top.
                    aria-disabled={index === 0}
                    onClick={() => index > 0 && move(index, -1, `${id}-up`)}
                  >
                    ↑ Up
                  </button>
                  <button
                    type="button"
                    class="quiet"
                    id={`${id}-down`}
                    aria-label={`Move item ${n} down`}
                    aria-disabled={index === items.length - 1}
                    onClick={() => index < items.length - 1 && move(index, 1, `${id}-down`)}
                  >
                    ↓ Down
                  </button>
                  <button type="button" class="quiet" aria-label={`Remove item ${n}`} onClick={() => remove(index)}>
                    Remove
                  </button>
                </div>
              </li>
            );
          })}
        </ol>
      )}
      <button
        type="button"
        class="secondary"
        id="faq-add"
        onClick={() => {
          const item = keyed({ kind: 'pair', question: '', answer: '' });
          update([...items, item]);
          setFocus(`faq-${item.key}-first`);
        }}
      >
        Add a question
      </button>
    </div>
  );
}
