import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/** What the dialog needs of the action: a react-query mutation without variables fits. */
interface Action {
  isPending: boolean;
  isError: boolean;
  isSuccess: boolean;
  error: Error | null;
  reset(): void;
  mutate(): void;
}

/**
 * A button whose action waits for a confirmation in a modal dialog, for what cannot be undone.
 * Cancel has the focus, so Enter by mistake changes nothing; Escape cancels (the native
 * <dialog>); the action's error shows in the dialog, which closes once the action succeeded.
 */
export function ConfirmedAction({
  id,
  opener,
  openerLabel,
  openerClass,
  title,
  children,
  confirm,
  confirming,
  action,
}: {
  /** Unique on the page: names the dialog's title. */
  id: string;
  opener: string;
  openerLabel: string;
  openerClass?: string;
  title: string;
  children: ComponentChildren;
  confirm: string;
  confirming: string;
  action: Action;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    if (action.isSuccess) dialog.current?.close();
  }, [action.isSuccess]);
  const titleId = `${id}-title`;
  return (
    <>
      <button
        type="button"
        class={openerClass}
        aria-label={openerLabel}
        onClick={() => {
          action.reset();
          dialog.current?.showModal();
        }}
      >
        {opener}
      </button>
      <dialog ref={dialog} aria-labelledby={titleId}>
        <h2 id={titleId}>{title}</h2>
        {children}
        <p class="error" role="alert">
          {action.isError ? action.error?.message : ''}
        </p>
        <div class="form-actions">
          <button type="button" class="danger" disabled={action.isPending} onClick={() => action.mutate()}>
            {action.isPending ? confirming : confirm}
          </button>
          <button type="button" autofocus onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
    </>
  );
}
