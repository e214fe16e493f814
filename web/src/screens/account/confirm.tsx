import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

/**
 * A modal question before something that cannot be undone: the native <dialog> (focus moves in,
 * Escape cancels, focus returns to what opened it).
 */
export function Confirm({
  open,
  title,
  children,
  action,
  busy,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  action: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);
  return (
    <dialog ref={dialog} aria-labelledby={titleId} onClose={onCancel} class="confirm">
      <h2 id={titleId}>{title}</h2>
      {children}
      <div class="form-actions">
        <button type="button" class="primary danger" disabled={busy} onClick={onConfirm}>
          {action}
        </button>
        <button type="button" class="quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

const THIS_YEAR = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
});
const OTHER_YEAR = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });

/** A time from the API, short, in the reader's own zone and words (the year only when not this one); `none` for null. */
export function when(iso: string | null, none = '—'): string {
  if (!iso) return none;
  const date = new Date(iso);
  return (date.getFullYear() === new Date().getFullYear() ? THIS_YEAR : OTHER_YEAR).format(date);
}
