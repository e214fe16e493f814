import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { describedBy, Field, NO_ERRORS, SaveStatus, useSave, useUnsavedChanges, type FormErrors } from '../../forms.js';
import type { PasswordChange, PasswordChanged } from '../../types-account.js';
import { SESSIONS_KEY } from './sessions.js';

const FIELDS = ['current_password', 'new_password', 'confirm_password'] as const;
const EMPTY = { current: '', next: '', confirm: '' };

/** Change the password; the API says how many other sign-ins it ended. */
export function PasswordForm() {
  const client = useQueryClient();
  const [values, setValues] = useState(EMPTY);
  const [mismatch, setMismatch] = useState<FormErrors>(NO_ERRORS);
  const [ended, setEnded] = useState<number | null>(null);
  const save = useSave(FIELDS, async (body: PasswordChange) => {
    const answer = await api<PasswordChanged>('POST', '/api/v1/auth/password/', body);
    setEnded(answer.sessions_ended);
    setValues(EMPTY);
    void client.invalidateQueries({ queryKey: SESSIONS_KEY });
  });
  useUnsavedChanges(values.next !== '' || values.confirm !== '', 'Your new password is not saved yet. Leave anyway?');

  const errors = mismatch.message ? mismatch : save.errors;
  const submit = (event: Event) => {
    event.preventDefault();
    setEnded(null);
    if (values.next !== values.confirm) {
      setMismatch({
        fields: { confirm_password: ['This does not match the new password.'] },
        message: 'The two new passwords differ.',
      });
      return;
    }
    setMismatch(NO_ERRORS);
    void save.run({ current_password: values.current, new_password: values.next });
  };
  const input = (key: keyof typeof EMPTY) => ({
    value: values[key],
    onInput: (event: Event) => setValues({ ...values, [key]: (event.currentTarget as HTMLInputElement).value }),
  });

  return (
    <section class="card" aria-labelledby="password-heading">
      <h2 id="password-heading">Change your password</h2>
      <form onSubmit={submit} noValidate>
        <Field id="current_password" label="Current password" errors={errors}>
          <input
            type="password"
            autocomplete="current-password"
            required
            {...describedBy('current_password', errors)}
            {...input('current')}
          />
        </Field>
        <Field
          id="new_password"
          label="New password"
          hint="At least 8 characters, not all digits. Your other sign-ins end when it changes; this one stays."
          errors={errors}
        >
          <input
            type="password"
            autocomplete="new-password"
            required
            {...describedBy('new_password', errors, true)}
            {...input('next')}
          />
        </Field>
        <Field id="confirm_password" label="New password again" errors={errors}>
          <input
            type="password"
            autocomplete="new-password"
            required
            {...describedBy('confirm_password', errors)}
            {...input('confirm')}
          />
        </Field>
        <div class="form-actions">
          <button type="submit" class="primary" disabled={save.busy}>
            {save.busy ? 'Changing…' : 'Change password'}
          </button>
        </div>
        <SaveStatus errors={errors} saved={false} />
        <p class="saved" role="status">
          {ended === null
            ? ''
            : `Password changed.${ended > 0 ? ` ${ended} other sign-in${ended === 1 ? ' was' : 's were'} ended.` : ''}`}
        </p>
      </form>
    </section>
  );
}
