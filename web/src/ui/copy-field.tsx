import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import './copy-field.css';

/**
 * Something to copy (a token, a password, a snippet): read-only, selected on focus, with a button
 * that copies it and says so. Without a clipboard (an http page, a refused permission) the text is
 * left selected for Ctrl+C instead.
 */
export function CopyField({
  id,
  label,
  value,
  hint,
  lines,
  copyLabel = 'Copy',
  hideLabel = false,
  primary = false,
  focus = false,
  valueClass,
}: {
  id: string;
  label: ComponentChildren;
  value: string;
  hint?: ComponentChildren;
  /** A box of this many lines (a snippet) rather than one line. */
  lines?: number;
  copyLabel?: string;
  hideLabel?: boolean;
  primary?: boolean;
  /** Takes the focus when shown: what replaced a form the focus was in. */
  focus?: boolean;
  valueClass?: string;
}) {
  const field = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState('');
  useEffect(() => {
    if (focus) field.current?.focus();
  }, [focus]);
  const copy = async () => {
    field.current?.select();
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied.');
    } catch {
      setCopied('Copying was not allowed: it is selected, copy it with Ctrl+C (⌘C on a Mac).');
    }
  };
  const common = {
    id,
    ref: field,
    readOnly: true,
    value,
    spellcheck: false,
    class: `copy-value ${valueClass ?? ''}`,
    'aria-describedby': hint ? `${id}-hint` : undefined,
    onFocus: (event: FocusEvent) => (event.currentTarget as HTMLInputElement).select(),
  };
  return (
    <div class="field copy-field">
      <label for={id} class={hideLabel ? 'visually-hidden' : undefined}>
        {label}
      </label>
      <div class="copy-row">
        {lines ? <textarea rows={lines} {...common} /> : <input {...common} />}
        <button type="button" class={primary ? 'primary' : 'secondary'} onClick={() => void copy()}>
          {copyLabel}
        </button>
      </div>
      {hint && (
        <p class="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <p class="saved" role="status">
        {copied}
      </p>
    </div>
  );
}
