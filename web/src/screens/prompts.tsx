import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { estimateTokens } from '../../../src/ai/context.js';
import { PROMPT_MAX_LENGTH, PROMPT_SECTIONS, sectionLines, STANDING_RULES } from '../../../src/ai/prompt-sections.js';
import { describedBy, Field, useSave, useUnsavedChanges } from '../forms.js';
import type { ScreenProps } from '../screens.js';
import type { AiConfig, Prompts as PromptTexts } from '../types-ai.js';
import { saveAiConfig, useAiConfig } from './ai/data.js';
import { FaqEditor } from './ai/faq-editor.js';
import { AiTabs, SaveBar } from './ai/parts.js';

// The four texts the AI reads before every reply (the seed's AI prompts), with what each costs.

type Key = keyof PromptTexts;

const PROMPTS: { key: Key; section: (typeof PROMPT_SECTIONS)[number]; label: string; hint: string }[] = [
  {
    key: 'manual_prompt',
    section: PROMPT_SECTIONS[0]!,
    label: 'Instructions',
    hint: 'How the AI should behave: whom it speaks for, its tone, what it must never promise.',
  },
  {
    key: 'knowledge_source',
    section: PROMPT_SECTIONS[1]!,
    label: 'About your business',
    hint: 'Facts and policies the AI may use: address, opening hours, payment, delivery, returns.',
  },
  {
    key: 'product_service',
    section: PROMPT_SECTIONS[2]!,
    label: 'Products and services',
    hint: 'What you sell, with prices and availability.',
  },
  {
    key: 'question_answer',
    section: PROMPT_SECTIONS[3]!,
    label: 'Frequently asked questions',
    hint: 'Questions customers ask, each with your answer, written as “Q: …” and “A: …” lines.',
  },
];

const FIELDS = PROMPTS.map((prompt) => `prompts.${prompt.key}`);
const number = new Intl.NumberFormat();

/**
 * What a text costs with every reply: the section it becomes in the system instruction (title,
 * tags and text), counted as Parley's own context budget counts, about four characters a token.
 */
function sectionTokens(prompt: (typeof PROMPTS)[number], text: string): number {
  const lines = sectionLines(prompt.section, text);
  return lines.length === 0 ? 0 : estimateTokens(lines.join('\n'));
}

const RULES_TOKENS = estimateTokens(STANDING_RULES.join('\n'));

export function Prompts(_props: ScreenProps) {
  const config = useAiConfig();
  return (
    <main class="screen ai-screen">
      <h1>Prompts</h1>
      <AiTabs current="/ai/prompts" />
      <p class="intro">
        The AI reads these four texts before every reply, and answers only from them and the conversation. Write them as
        you would brief a new colleague; leave out what does not apply.
      </p>
      {config.isError ? (
        <p class="error" role="alert">
          {config.error.message}
        </p>
      ) : !config.data ? (
        <p class="loading">Loading…</p>
      ) : (
        <PromptsForm config={config.data} />
      )}
    </main>
  );
}

function PromptsForm({ config }: { config: AiConfig }) {
  const client = useQueryClient();
  const [saved, setSaved] = useState(config.prompts);
  const [texts, setTexts] = useState(config.prompts);
  const [structured, setStructured] = useState(true);
  const dirty = PROMPTS.some(({ key }) => texts[key] !== saved[key]);
  useUnsavedChanges(dirty, 'Your prompts are not saved. Leave without saving them?');
  const save = useSave<PromptTexts>(FIELDS, async (next) => {
    const changed = Object.fromEntries(
      PROMPTS.filter(({ key }) => next[key] !== saved[key]).map(({ key }) => [key, next[key]]),
    );
    if (Object.keys(changed).length === 0) return;
    const answer = await saveAiConfig(client, { prompts: changed });
    setSaved(answer.prompts);
    setTexts((current) => ({ ...current, ...answer.prompts }));
  });
  const errors = save.errors;
  const tokens = PROMPTS.map((prompt) => sectionTokens(prompt, texts[prompt.key]));
  const total = tokens.reduce((sum, n) => sum + n, RULES_TOKENS);
  const model = config.models.find((candidate) => candidate.name === config.model_name);
  const inputPrice = model?.input_usd_per_million ?? null;
  const costPerThousand = inputPrice === null ? null : (total * inputPrice) / 1000;

  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (!save.busy) void save.run(texts);
      }}
    >
      <p class="estimate-total card" aria-live="polite">
        With every reply the AI is sent about <strong>{number.format(total)} tokens</strong> of prompts (
        {number.format(RULES_TOKENS)} of them Parley's own rules), besides the conversation itself
        {costPerThousand !== null && (
          <>
            : about ${costPerThousand.toFixed(2)} per 1,000 replies with {config.model_name}
          </>
        )}
        . Token counts here are estimates, at about 4 characters a token; the model's own count varies with the
        language.
      </p>
      {PROMPTS.map((prompt, index) => {
        const id = `prompts.${prompt.key}`;
        const text = texts[prompt.key];
        const over = text.length > PROMPT_MAX_LENGTH;
        const set = (value: string) => setTexts((current) => ({ ...current, [prompt.key]: value }));
        const isFaq = prompt.key === 'question_answer';
        return (
          <section key={prompt.key} class="card prompt-card" aria-labelledby={`${id}-title`}>
            <h2 id={`${id}-title`}>{prompt.label}</h2>
            {isFaq && (
              <div class="editor-switch" role="group" aria-label="Edit the questions">
                <button type="button" aria-pressed={structured} onClick={() => setStructured(true)}>
                  As questions and answers
                </button>
                <button type="button" aria-pressed={!structured} onClick={() => setStructured(false)}>
                  As text
                </button>
              </div>
            )}
            {isFaq && structured ? (
              <div class={`field ${errors.fields[id] ? 'field--invalid' : ''}`}>
                <p class="field-hint" id={`${id}-hint`}>
                  {prompt.hint} Text that is not a question and answer is kept as it is.
                </p>
                <FaqEditor text={text} onChange={set} describedBy={`${id}-hint`} />
                {errors.fields[id] && (
                  <p class="field-error" id={`${id}-error`}>
                    {errors.fields[id].join(' ')}
                  </p>
                )}
              </div>
            ) : (
              // The heading names the text area; its label says the same to a screen reader.
              <Field
                id={id}
                label={<span class="visually-hidden">{prompt.label}</span>}
                hint={prompt.hint}
                errors={errors}
              >
                <textarea
                  rows={index === 0 ? 6 : 10}
                  value={text}
                  onInput={(event) => set(event.currentTarget.value)}
                  {...describedBy(id, errors, true)}
                />
              </Field>
            )}
            <p class="prompt-meta">
              <span class={over ? 'over' : ''}>
                {number.format(text.length)} of {number.format(PROMPT_MAX_LENGTH)} characters
              </span>
              <span>
                {tokens[index] === 0
                  ? 'Empty: left out of the prompt'
                  : `about ${number.format(tokens[index]!)} tokens with every reply`}
              </span>
            </p>
          </section>
        );
      })}
      <SaveBar label="Save prompts" busy={save.busy} dirty={dirty} errors={errors} saved={save.saved} />
    </form>
  );
}
