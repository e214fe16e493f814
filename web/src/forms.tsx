import { useQueryClient } from '@tanstack/react-query';
import type { ComponentChildren } from 'preact';
import { useCallback, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { useLeaveGuard } from './router.js';
import { setupMayHaveChanged } from './setup.js';

// What every settings form shares: the API's validation errors beside the fields they belong
// to, one announced message for the rest, and a warning before unsaved changes are lost.

/** The API's `errors` by field, and a sentence for what belongs to no field. */
export interface FormErrors {
  fields: Record<string, string[]>;
  message: string | null;
}

export const NO_ERRORS: FormErrors = { fields: {}, message: null };

/** Turns a failed save into errors to show; `known` are the fields this form has. */
export function formErrors(error: unknown, known: readonly string[]): FormErrors {
  if (!(error instanceof ApiError)) {
    return { fields: {}, message: error instanceof Error ? error.message : 'Saving failed.' };
  }
  const fields: Record<string, string[]> = {};
  const elsewhere: string[] = [];
  for (const [field, messages] of Object.entries(error.errors ?? {})) {
    // "business_hours.0.start" belongs to "business_hours.0.start", or its closest known parent.
    const owner = closestField(field, known);
    if (owner) fields[owner] = [...(fields[owner] ?? []), ...messages];
    else elsewhere.push(...messages.map((message) => `${field}: ${message}`));
  }
  const shown = Object.keys(fields).length > 0;
  const message = elsewhere.length > 0 ? elsewhere.join(' ') : shown ? 'Some fields need a change.' : error.message;
  return { fields, message };
}

function closestField(field: string, known: readonly string[]): string | null {
  let candidate = field;
  for (;;) {
    if (known.includes(candidate)) return candidate;
    const cut = candidate.lastIndexOf('.');
    if (cut < 0) return null;
    candidate = candidate.slice(0, cut);
  }
}

/** Attributes that tie an input to its hint and error (for screen readers). */
export function describedBy(id: string, errors: FormErrors, hint = false) {
  const invalid = (errors.fields[id]?.length ?? 0) > 0;
  const ids = [hint ? `${id}-hint` : null, invalid ? `${id}-error` : null].filter(Boolean).join(' ');
  return { id, 'aria-invalid': invalid || undefined, 'aria-describedby': ids || undefined };
}

/** A labelled field with its hint and its errors; the input inside uses `describedBy(id, …)`. */
export function Field({
  id,
  label,
  hint,
  errors,
  children,
}: {
  id: string;
  label: ComponentChildren;
  hint?: ComponentChildren;
  errors: FormErrors;
  children: ComponentChildren;
}) {
  const messages = errors.fields[id] ?? [];
  return (
    <div class={`field ${messages.length > 0 ? 'field--invalid' : ''}`}>
      <label for={id}>{label}</label>
      {children}
      {hint && (
        <p class="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {messages.length > 0 && (
        <p class="field-error" id={`${id}-error`}>
          {messages.join(' ')}
        </p>
      )}
    </div>
  );
}

/** The result of the last save, announced: an error (role=alert) or "Saved" (role=status). */
export function SaveStatus({ errors, saved }: { errors: FormErrors; saved: boolean }) {
  return (
    <>
      <p class="error" role="alert">
        {errors.message}
      </p>
      <p class="saved" role="status">
        {saved && !errors.message ? 'Saved.' : ''}
      </p>
    </>
  );
}

const UNSAVED = 'You have unsaved changes. Leave without saving them?';

/** Warns before leaving while `dirty`; the warning names what would be lost. */
export function useUnsavedChanges(dirty: boolean, warning = UNSAVED): void {
  const reason = useCallback(() => (dirty ? warning : null), [dirty, warning]);
  useLeaveGuard(reason);
}

/** A save in progress, its errors and whether it succeeded: the state every form keeps. */
export function useSave<T>(known: readonly string[], save: (value: T) => Promise<unknown>) {
  const client = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const [saved, setSaved] = useState(false);
  const run = async (value: T): Promise<boolean> => {
    setBusy(true);
    setSaved(false);
    try {
      await save(value);
      setErrors(NO_ERRORS);
      setSaved(true);
      setupMayHaveChanged(client);
      return true;
    } catch (error) {
      setErrors(formErrors(error, known));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, errors, saved, run, reset: () => (setErrors(NO_ERRORS), setSaved(false)) };
}
