import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'preact/hooks';
import { api } from '../../api.js';
import { describedBy, Field, SaveStatus, useSave } from '../../forms.js';
import { Link } from '../../nav.js';
import { CopyField } from '../../ui/copy-field.js';
import type { CreatedBusiness, NewBusiness } from '../../types-admin.js';
import { ADMIN_KEY } from './data.js';

const FIELDS = ['username', 'email', 'is_admin'] as const;

/**
 * `parley createuser` in a dialog: the same rules, and a generated password shown once, with a
 * button that copies it, for the operator to hand to the business's owner.
 */
export function CreateBusiness() {
  const dialog = useRef<HTMLDialogElement>(null);
  const client = useQueryClient();
  const [created, setCreated] = useState<CreatedBusiness | null>(null);
  const [form, setForm] = useState<NewBusiness>({ username: '', email: '', is_admin: false });
  const save = useSave<NewBusiness>(FIELDS, async (body) => {
    const result = await api<CreatedBusiness>('POST', '/api/v1/admin/businesses/', body);
    setCreated(result);
    await client.invalidateQueries({ queryKey: ADMIN_KEY });
  });

  const open = () => {
    setCreated(null);
    setForm({ username: '', email: '', is_admin: false });
    save.reset();
    dialog.current?.showModal();
  };
  const close = () => {
    dialog.current?.close();
    // The password is not kept once the dialog is closed.
    setCreated(null);
  };

  return (
    <>
      <button type="button" class="primary" onClick={open}>
        Create a business
      </button>
      <dialog ref={dialog} aria-labelledby="create-heading" class="create-business" onClose={() => setCreated(null)}>
        <h2 id="create-heading">{created ? `Created “${created.business.username}”` : 'Create a business'}</h2>
        {created ? (
          <Created created={created} onDone={close} />
        ) : (
          <form
            noValidate
            onSubmit={(event) => {
              event.preventDefault();
              void save.run({ ...form, email: form.email?.trim() || undefined });
            }}
          >
            <Field
              id="username"
              label="Username"
              errors={save.errors}
              hint="Letters, digits and @ . + - _ (as with parley createuser)."
            >
              <input
                {...describedBy('username', save.errors, true)}
                value={form.username}
                required
                maxLength={150}
                autoComplete="off"
                autoCapitalize="none"
                spellcheck={false}
                onInput={(event) => setForm({ ...form, username: event.currentTarget.value })}
              />
            </Field>
            <Field id="email" label="Email (optional)" errors={save.errors}>
              <input
                {...describedBy('email', save.errors)}
                type="email"
                value={form.email}
                maxLength={254}
                autoComplete="off"
                onInput={(event) => setForm({ ...form, email: event.currentTarget.value })}
              />
            </Field>
            <div class={`field check ${save.errors.fields.is_admin ? 'field--invalid' : ''}`}>
              <input
                {...describedBy('is_admin', save.errors, true)}
                type="checkbox"
                checked={form.is_admin}
                onChange={(event) => setForm({ ...form, is_admin: event.currentTarget.checked })}
              />
              <label for="is_admin">Administrator</label>
              <p class="field-hint" id="is_admin-hint">
                Sees every business, creates them and sets their quotas.
              </p>
            </div>
            <SaveStatus errors={save.errors} saved={false} />
            <div class="form-actions">
              <button type="submit" class="primary" disabled={save.busy}>
                {save.busy ? 'Creating…' : 'Create'}
              </button>
              <button type="button" onClick={close}>
                Cancel
              </button>
            </div>
          </form>
        )}
      </dialog>
    </>
  );
}

function Created({ created, onDone }: { created: CreatedBusiness; onDone: () => void }) {
  return (
    <div class="created">
      {/* The form is gone: the focus goes to what replaced it, the password. */}
      <CopyField
        id="one-time-password"
        label="One-time password"
        value={created.password}
        valueClass="password"
        focus
        hint={
          <>
            Give it to the owner of “{created.business.username}” now: it is shown only this once. They should change it
            after their first sign-in (Account).
          </>
        }
      />
      <div class="form-actions">
        <button type="button" class="primary" onClick={onDone}>
          Done
        </button>
        <Link href={`/admin/${created.business.id}`}>Open “{created.business.username}”</Link>
      </div>
    </div>
  );
}
