// What the three AI screens share: their tabs, what new customers get now, and the save bar.
import { SaveStatus, type FormErrors } from '../../forms.js';
import { SubNav } from '../../nav.js';
import type { AiConfig } from '../../types-ai.js';
import { answeringNowText, SIMULATED_NOTE } from './words.js';
import './ai.css';

const TABS = [
  { href: '/ai', label: 'Settings' },
  { href: '/ai/prompts', label: 'Prompts' },
  { href: '/ai/try', label: 'Try it' },
];

/** The AI area's tabs, on each of its three screens. */
export function AiTabs({ current }: { current: string }) {
  return <SubNav label="AI" items={TABS} path={current} />;
}

/** Whether a customer who writes now gets an AI answer, in words, and whether answers are simulated. */
export function AnsweringNow({ config }: { config: AiConfig }) {
  const yes = config.answering_now.ai_answers;
  return (
    <section class={`card answering ${yes ? 'answering--yes' : 'answering--no'}`} aria-labelledby="answering-title">
      <h2 id="answering-title">Does the AI answer a new customer now?</h2>
      <p>{answeringNowText(config.answering_now)}</p>
      {config.simulated && <p class="hint">{SIMULATED_NOTE}</p>}
    </section>
  );
}

/** A form's save button, kept in view at the bottom, with whether anything is unsaved and how the last save went. */
export function SaveBar({
  label,
  busy,
  dirty,
  errors,
  saved,
}: {
  label: string;
  busy: boolean;
  dirty: boolean;
  errors: FormErrors;
  saved: boolean;
}) {
  return (
    <div class="form-actions sticky-actions">
      <button type="submit" class="primary" aria-disabled={busy}>
        {busy ? 'Saving…' : label}
      </button>
      {dirty && <span class="hint">Unsaved changes</span>}
      <SaveStatus errors={errors} saved={saved && !dirty} />
    </div>
  );
}
