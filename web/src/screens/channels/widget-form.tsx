import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { ASK_IDENTITY, WIDGET_DEFAULTS } from '../../../../src/channels/website/widget-defaults.js';
import { ApiError } from '../../api.js';
import { describedBy, Field, SaveStatus, useSave, useUnsavedChanges, type FormErrors } from '../../forms.js';
import type { WidgetSettings } from '../../types-channels.js';

// A website chat's settings, as one form for adding a chat and for changing one: the values are
// the server's own (its defaults, its schema's types), and its 400s are shown beside the fields.

export const WIDGET_FIELDS = [
  'allowed_origins',
  'greeting',
  'business_name',
  'launcher_label',
  'colour',
  'position',
  'ask_identity',
  'language',
  'z_index',
  'unverified_ai_replies',
] as const;

type AskIdentity = (typeof ASK_IDENTITY)[number];

/** The settings as the form's fields hold them: text, one origin per line. */
interface WidgetForm {
  allowed_origins: string;
  greeting: string;
  business_name: string;
  launcher_label: string;
  colour: string;
  position: WidgetSettings['position'];
  ask_identity: AskIdentity;
  language: string;
  z_index: string;
  unverified_ai_replies: string;
}

const ASK_IDENTITY_WORDS: Record<AskIdentity, string> = {
  none: 'Nothing: visitors write at once',
  name: 'Their name',
  name_and_email: 'Their name and email',
};

export const NEW_WIDGET: WidgetSettings = { ...WIDGET_DEFAULTS, allowed_origins: [] };

function formOf(settings: WidgetSettings): WidgetForm {
  return {
    ...settings,
    allowed_origins: settings.allowed_origins.join('\n'),
    business_name: settings.business_name ?? '',
    z_index: String(settings.z_index),
    unverified_ai_replies: settings.unverified_ai_replies === null ? '' : String(settings.unverified_ai_replies),
  };
}

const WHOLE_NUMBER = /^\d+$/;

/** Empty means the default (or no limit); the rest is checked by the server, but for numbers JSON cannot carry. */
function settingsOf(form: WidgetForm): WidgetSettings {
  const notNumbers = (['z_index', 'unverified_ai_replies'] as const).filter(
    (field) => form[field].trim() !== '' && !WHOLE_NUMBER.test(form[field].trim()),
  );
  if (notNumbers.length > 0) {
    const errors = Object.fromEntries(notNumbers.map((field) => [field, ['must be a whole number, like 5.']]));
    throw new ApiError(400, 'validation_error', 'Some fields need a change.', errors);
  }
  return {
    ...form,
    allowed_origins: form.allowed_origins
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean),
    business_name: form.business_name.trim() || null,
    z_index: form.z_index.trim() === '' ? WIDGET_DEFAULTS.z_index : Number(form.z_index),
    unverified_ai_replies: form.unverified_ai_replies.trim() === '' ? null : Number(form.unverified_ai_replies),
  };
}

/** The API names fields (`allowed_origins.1`); on a page with several of these forms, ids carry a prefix. */
function prefixed(errors: FormErrors, prefix: string): FormErrors {
  const fields = Object.fromEntries(Object.entries(errors.fields).map(([field, list]) => [prefix + field, list]));
  return { ...errors, fields };
}

export function WidgetSettingsForm({
  idPrefix,
  initial,
  submitLabel,
  busyLabel,
  save: saveSettings,
  unsavedWarning,
  children,
}: {
  /** Makes this form's ids unique on the page. */
  idPrefix: string;
  initial: WidgetSettings;
  submitLabel: string;
  busyLabel: string;
  save: (settings: WidgetSettings) => Promise<unknown>;
  unsavedWarning: string;
  /** More actions beside the submit button (Cancel). */
  children?: ComponentChildren;
}) {
  const formRef = useRef<HTMLFormElement>(null);
  const [baseline, setBaseline] = useState(() => formOf(initial));
  const [form, setForm] = useState(baseline);
  const dirty = WIDGET_FIELDS.some((key) => form[key] !== baseline[key]);
  useUnsavedChanges(dirty, unsavedWarning);
  const save = useSave<WidgetForm>(WIDGET_FIELDS, async (next) => {
    await saveSettings(settingsOf(next));
    setBaseline(next);
  });
  const errors = prefixed(save.errors, idPrefix);
  const set = <K extends keyof WidgetForm>(key: K, value: WidgetForm[K]) =>
    setForm((current) => ({ ...current, [key]: value }));
  const id = (field: keyof WidgetForm) => idPrefix + field;
  const text = (field: keyof WidgetForm, extra: Record<string, unknown> = {}) => (
    <input
      type="text"
      value={form[field]}
      onInput={(event) => set(field, event.currentTarget.value)}
      {...extra}
      {...describedBy(id(field), errors, true)}
    />
  );

  return (
    <form
      ref={formRef}
      class="widget-form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (save.busy) return;
        void save.run(form).then((ok) => {
          // The first field in error takes the focus, so its message is read out with it.
          if (!ok) requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid]')?.focus());
        });
      }}
    >
      <Field
        id={id('allowed_origins')}
        label="Your site’s addresses"
        errors={errors}
        hint="One per line, like https://shop.example: the chat appears only on these sites’ pages. Scheme, host and port only; http:// only for localhost or 127.0.0.1."
      >
        <textarea
          rows={3}
          autocomplete="off"
          spellcheck={false}
          value={form.allowed_origins}
          onInput={(event) => set('allowed_origins', event.currentTarget.value)}
          {...describedBy(id('allowed_origins'), errors, true)}
        />
      </Field>
      <Field id={id('greeting')} label="Greeting" errors={errors} hint="The first words visitors read in the chat.">
        <textarea
          rows={2}
          value={form.greeting}
          onInput={(event) => set('greeting', event.currentTarget.value)}
          {...describedBy(id('greeting'), errors, true)}
        />
      </Field>
      <div class="field-row">
        <Field
          id={id('business_name')}
          label="Business name"
          errors={errors}
          hint="At the top of the chat. Empty: your account’s name."
        >
          {text('business_name', { autocomplete: 'organization' })}
        </Field>
        <Field id={id('launcher_label')} label="Button words" errors={errors} hint="On the button that opens the chat.">
          {text('launcher_label')}
        </Field>
        <Field id={id('colour')} label="Colour" errors={errors} hint="Of the button and the chat, like #2f6f4f.">
          <span class="colour-pick">
            {text('colour', { autocomplete: 'off', spellcheck: false, maxLength: 7 })}
            <input
              type="color"
              aria-label="Choose the colour"
              value={/^#[0-9a-fA-F]{6}$/.test(form.colour) ? form.colour.toLowerCase() : WIDGET_DEFAULTS.colour}
              onInput={(event) => set('colour', event.currentTarget.value)}
            />
          </span>
        </Field>
        <Field id={id('position')} label="Corner" errors={errors} hint="Where the button sits on the page.">
          <select
            value={form.position}
            onChange={(event) => set('position', event.currentTarget.value === 'left' ? 'left' : 'right')}
            {...describedBy(id('position'), errors, true)}
          >
            <option value="right">Bottom right</option>
            <option value="left">Bottom left</option>
          </select>
        </Field>
        <Field
          id={id('ask_identity')}
          label="Ask visitors first"
          errors={errors}
          hint="What the chat asks before the first message."
        >
          <select
            value={form.ask_identity}
            onChange={(event) =>
              set('ask_identity', ASK_IDENTITY.find((value) => value === event.currentTarget.value) ?? 'none')
            }
            {...describedBy(id('ask_identity'), errors, true)}
          >
            {ASK_IDENTITY.map((value) => (
              <option key={value} value={value}>
                {ASK_IDENTITY_WORDS[value]}
              </option>
            ))}
          </select>
        </Field>
        <Field
          id={id('language')}
          label="Language"
          errors={errors}
          hint="Of the chat’s own words (buttons, notices), like en or pt-BR."
        >
          {text('language', { autocomplete: 'off', spellcheck: false })}
        </Field>
        <Field
          id={id('unverified_ai_replies')}
          label="AI answers per conversation for visitors who are not signed in"
          errors={errors}
          hint="Then your people answer. Empty: no limit of its own; 0: people answer them from the start."
        >
          {text('unverified_ai_replies', { inputMode: 'numeric', autocomplete: 'off' })}
        </Field>
        <Field
          id={id('z_index')}
          label="Stacking order (z-index)"
          errors={errors}
          hint={`Raise or lower it if your page’s own layers cover the chat or the other way round. Empty: ${WIDGET_DEFAULTS.z_index}.`}
        >
          {text('z_index', { inputMode: 'numeric', autocomplete: 'off' })}
        </Field>
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={save.busy}>
          {save.busy ? busyLabel : submitLabel}
        </button>
        {children}
      </div>
      <SaveStatus errors={errors} saved={save.saved && !dirty} />
    </form>
  );
}
