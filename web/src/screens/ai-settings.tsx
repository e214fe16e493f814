import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { describedBy, Field, useSave, useUnsavedChanges } from '../forms.js';
import type { ScreenProps } from '../screens.js';
import type { AiConfig, AiConfigPatch, DefaultHandler } from '../types-ai.js';
import { saveAiConfig, saveDefaultHandler, useAiConfig, useDefaultHandler } from './ai/data.js';
import { AiTabs, AnsweringNow, SaveBar } from './ai/parts.js';

// The AI's switches and model settings, and what a customer is told when the AI cannot answer.

interface Form {
  auto_response_enabled: boolean;
  default_reply_handler: DefaultHandler;
  model_name: string;
  temperature: string;
  max_tokens: string;
  thinking_budget: string;
  reply_debounce_ms: string;
  away_message: string;
  handover_message: string;
  customer_limit_message: string;
}

const FIELDS = [
  'auto_response_enabled',
  'default_reply_handler',
  'model_name',
  'temperature',
  'max_tokens',
  'thinking_budget',
  'reply_debounce_ms',
  'away_message',
  'handover_message',
  'customer_limit_message',
] as const;

function formOf(config: AiConfig, handler: DefaultHandler): Form {
  return {
    auto_response_enabled: config.auto_response_enabled,
    default_reply_handler: handler,
    model_name: config.model_name,
    temperature: String(config.temperature),
    max_tokens: String(config.max_tokens),
    thinking_budget: config.thinking_budget === null ? '' : String(config.thinking_budget),
    reply_debounce_ms: String(config.reply_debounce_ms),
    away_message: config.away_message ?? '',
    handover_message: config.handover_message ?? '',
    customer_limit_message: config.customer_limit_message ?? '',
  };
}

/** A number as typed; anything else goes to the API as typed, which says what is wrong with it. */
function numberOf(text: string): number | string {
  const trimmed = text.trim();
  return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
}

const MESSAGE_KEYS = ['away_message', 'handover_message', 'customer_limit_message'] as const;

/** Only what changed: a save never overwrites what another tab or person changed meanwhile. */
function patchOf(form: Form, saved: Form): AiConfigPatch {
  // Loosely typed on purpose: a mistyped number is sent as typed, for the API's own message.
  const patch: Record<string, unknown> = {};
  const changed = (key: keyof Form) => form[key] !== saved[key];
  if (changed('auto_response_enabled')) patch.auto_response_enabled = form.auto_response_enabled;
  if (changed('model_name')) patch.model_name = form.model_name;
  for (const key of ['temperature', 'max_tokens', 'reply_debounce_ms'] as const) {
    if (changed(key)) patch[key] = numberOf(form[key]);
  }
  // Empty goes back to Parley's default for the model.
  if (changed('thinking_budget')) {
    patch.thinking_budget = form.thinking_budget.trim() === '' ? null : numberOf(form.thinking_budget);
  }
  for (const key of MESSAGE_KEYS) {
    if (changed(key)) patch[key] = form[key].trim() === '' ? null : form[key];
  }
  return patch;
}

type NumberKey = 'temperature' | 'max_tokens' | 'thinking_budget' | 'reply_debounce_ms';

/** The number fields, with the ranges the API checks (its own message shows when one is out). */
const NUMBERS: {
  key: NumberKey;
  label: string;
  hint: (value: string, config: AiConfig) => string;
  step: number;
  min: number;
  max: number;
}[] = [
  {
    key: 'temperature',
    label: 'Temperature',
    hint: () => '0 to 1. Lower keeps answers close to your prompts; higher varies the wording.',
    step: 0.1,
    min: 0,
    max: 1,
  },
  {
    key: 'max_tokens',
    label: 'Longest answer (tokens)',
    hint: () => '1 to 8192; about 4 characters a token. A longer answer is cut at its last full sentence.',
    step: 1,
    min: 1,
    max: 8192,
  },
  {
    key: 'thinking_budget',
    label: 'Thinking before answering (tokens)',
    hint: (value, config) => {
      const inUse = config.thinking_budget_in_use;
      const now =
        value.trim() !== ''
          ? ''
          : inUse === null
            ? " Empty: the model's own default."
            : ` Empty: Parley's default, ${inUse === 0 ? 'no thinking' : `${inUse} tokens`} for this model.`;
      return `How much the model may reason before it answers; paid like answer tokens, on top of the longest answer. 0 turns it off (2.5 Flash and Flash-Lite; 2.5 Pro needs 128 to 32768).${now}`;
    },
    step: 64,
    min: 0,
    max: 32_768,
  },
  {
    key: 'reply_debounce_ms',
    label: 'Reply wait (milliseconds)',
    hint: (value) => {
      const seconds = Number(value) / 1000;
      const now = value.trim() !== '' && Number.isFinite(seconds) ? ` (now ${seconds} s)` : '';
      return `0 to 30000${now}. On Telegram and Instagram, how long the AI waits for a customer to finish several quick messages before one answer to all of them.`;
    },
    step: 500,
    min: 0,
    max: 30_000,
  },
];

/** What customers are told; empty sends nothing. */
const MESSAGES: { key: (typeof MESSAGE_KEYS)[number]; label: string; hint: string }[] = [
  {
    key: 'away_message',
    label: 'Away message',
    hint: 'Sent once when a customer writes outside your business hours (set them under Hours). Empty: nothing is sent.',
  },
  {
    key: 'handover_message',
    label: 'Handover message',
    hint: 'Sent when the AI passes a conversation to your people. Empty: nothing is sent.',
  },
  {
    key: 'customer_limit_message',
    label: 'Too many messages',
    hint: 'Said once to a customer who has had as many AI answers this hour as Parley allows one customer; their next messages wait for your people. Empty: nothing is sent.',
  },
];

export function AiSettings(_props: ScreenProps) {
  const config = useAiConfig();
  const handler = useDefaultHandler();
  return (
    <main class="screen ai-screen">
      <h1>AI settings</h1>
      <AiTabs current="/ai" />
      {config.isError || handler.isError ? (
        <p class="error" role="alert">
          {(config.error ?? handler.error)?.message}
        </p>
      ) : !config.data || !handler.data ? (
        <p class="loading">Loading…</p>
      ) : (
        <>
          <AnsweringNow config={config.data} />
          <SettingsForm config={config.data} handler={handler.data} />
        </>
      )}
    </main>
  );
}

function SettingsForm({ config, handler }: { config: AiConfig; handler: DefaultHandler }) {
  const client = useQueryClient();
  const [saved, setSaved] = useState(() => formOf(config, handler));
  const [form, setForm] = useState(saved);
  const dirty = FIELDS.some((key) => form[key] !== saved[key]);
  useUnsavedChanges(dirty, 'Your AI settings are not saved. Leave without saving them?');
  const save = useSave<Form>(FIELDS, async (next) => {
    const patch = patchOf(next, saved);
    // One after the other, so an error in the configuration leaves the handler as it was.
    if (Object.keys(patch).length > 0) {
      // The server's answer is the new baseline: it may have written a value differently (0.50 → 0.5).
      const baseline = formOf(await saveAiConfig(client, patch), saved.default_reply_handler);
      setSaved(baseline);
      setForm((current) => ({ ...baseline, default_reply_handler: current.default_reply_handler }));
    }
    if (next.default_reply_handler !== saved.default_reply_handler) {
      await saveDefaultHandler(client, next.default_reply_handler);
      setSaved((current) => ({ ...current, default_reply_handler: next.default_reply_handler }));
    }
  });

  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((current) => ({ ...current, [key]: value }));
  const errors = save.errors;
  const models = config.models.some((model) => model.name === form.model_name)
    ? config.models
    : [
        {
          name: form.model_name,
          input_usd_per_million: null,
          output_usd_per_million: null,
          cached_input_usd_per_million: null,
        },
        ...config.models,
      ];

  return (
    <form
      class="ai-form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (!save.busy) void save.run(form);
      }}
    >
      <section class="card" aria-labelledby="who-answers">
        <h2 id="who-answers">Who answers</h2>
        <div class="field">
          <label class="switch">
            <input
              type="checkbox"
              checked={form.auto_response_enabled}
              onChange={(event) => set('auto_response_enabled', event.currentTarget.checked)}
              {...describedBy('auto_response_enabled', errors, true)}
            />
            Auto-response: the AI answers customers
          </label>
          <p class="field-hint" id="auto_response_enabled-hint">
            Off: the AI answers no one, in new or ongoing conversations; your people answer.
          </p>
          {errors.fields.auto_response_enabled && (
            <p class="field-error" id="auto_response_enabled-error">
              {errors.fields.auto_response_enabled.join(' ')}
            </p>
          )}
        </div>
        <fieldset class="field choices" aria-describedby="default_reply_handler-hint">
          <legend>New conversations go to</legend>
          {(['AI', 'Manual'] as const).map((value) => (
            <label key={value} class="choice">
              <input
                type="radio"
                name="default_reply_handler"
                value={value}
                checked={form.default_reply_handler === value}
                onChange={() => set('default_reply_handler', value)}
              />
              <span>
                <strong>{value === 'AI' ? 'The AI' : 'Your people (Manual)'}</strong>
                <span class="choice-hint">
                  {value === 'AI'
                    ? ' — answered by the AI when auto-response is on and the server has its key; until then they wait for your people and go back to the AI once it can answer.'
                    : ' — your people answer first; you can hand any conversation to the AI from the inbox.'}
                </span>
              </span>
            </label>
          ))}
          <p class="field-hint" id="default_reply_handler-hint">
            Conversations already going on keep whoever answers them now.
          </p>
          {errors.fields.default_reply_handler && (
            <p class="field-error">{errors.fields.default_reply_handler.join(' ')}</p>
          )}
        </fieldset>
      </section>

      <section class="card" aria-labelledby="model-title">
        <h2 id="model-title">The model</h2>
        <Field
          id="model_name"
          label="Model"
          errors={errors}
          hint="The Gemini models whoever runs Parley allows, with what a million tokens cost (in / out)."
        >
          <select
            value={form.model_name}
            onChange={(event) => set('model_name', event.currentTarget.value)}
            {...describedBy('model_name', errors, true)}
          >
            {models.map((model) => (
              <option key={model.name} value={model.name}>
                {model.name}
                {model.input_usd_per_million === null
                  ? ` (not allowed on this server: replies use ${config.models[0]?.name ?? 'the default'})`
                  : ` — $${model.input_usd_per_million} / $${model.output_usd_per_million}`}
                {model.name === config.models[0]?.name ? ' (server default)' : ''}
              </option>
            ))}
          </select>
        </Field>
        <div class="field-row">
          {NUMBERS.map((number) => (
            <Field
              key={number.key}
              id={number.key}
              label={number.label}
              errors={errors}
              hint={number.hint(form[number.key], config)}
            >
              <input
                type="number"
                inputMode={number.step < 1 ? 'decimal' : 'numeric'}
                step={number.step}
                min={number.min}
                max={number.max}
                value={form[number.key]}
                onInput={(event) => set(number.key, event.currentTarget.value)}
                {...describedBy(number.key, errors, true)}
              />
            </Field>
          ))}
        </div>
      </section>

      <section class="card" aria-labelledby="messages-title">
        <h2 id="messages-title">What customers are told</h2>
        {MESSAGES.map((message) => (
          <Field key={message.key} id={message.key} label={message.label} errors={errors} hint={message.hint}>
            <textarea
              rows={3}
              value={form[message.key]}
              onInput={(event) => set(message.key, event.currentTarget.value)}
              {...describedBy(message.key, errors, true)}
            />
          </Field>
        ))}
      </section>

      <SaveBar label="Save settings" busy={save.busy} dirty={dirty} errors={errors} saved={save.saved} />
    </form>
  );
}
