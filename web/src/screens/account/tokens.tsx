import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { describedBy, Field, SaveStatus, useSave } from '../../forms.js';
import { CopyField } from '../../ui/copy-field.js';
import type { ApiToken, ApiTokens, CreatedToken, NewToken } from '../../types-account.js';
import { Confirm, when } from './confirm.js';

const TOKENS_KEY = ['account', 'tokens'] as const;
const FIELDS = ['name', 'expires_in_days'] as const;
const LIFETIMES = [
  { days: '', label: 'Never' },
  { days: '30', label: 'In 30 days' },
  { days: '90', label: 'In 90 days' },
  { days: '365', label: 'In a year' },
];

/** API tokens: what programs (a website's chat box, a script) sign in with. */
export function Tokens() {
  const client = useQueryClient();
  const tokens = useQuery({ queryKey: TOKENS_KEY, queryFn: () => api<ApiTokens>('GET', '/api/v1/auth/tokens/') });
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [revokeError, setRevokeError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedToken | null>(null);

  const revoke = async (token: ApiToken) => {
    setBusy(true);
    setRevokeError(null);
    try {
      await api('DELETE', `/api/v1/auth/tokens/${encodeURIComponent(token.id)}/`);
      setRevoking(null);
      if (created?.id === token.id) setCreated(null);
    } catch (caught) {
      setRevokeError(caught instanceof Error ? caught.message : 'Revoking failed.');
    } finally {
      setBusy(false);
      void client.invalidateQueries({ queryKey: TOKENS_KEY });
    }
  };

  const rows = tokens.data?.results ?? [];
  return (
    <section class="card" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">API tokens</h2>
      <p class="hint">
        Programs use a token to call Parley's API as you: your website's chat box, a script, the <code>ask</code>{' '}
        endpoint. Revoke one you no longer use, or that someone else may have seen.
      </p>
      {tokens.isError && (
        <p class="error" role="alert">
          {tokens.error.message}
        </p>
      )}
      {rows.length === 0 && tokens.isSuccess && <p>No tokens yet.</p>}
      {rows.length > 0 && (
        <div class="table-scroll" tabIndex={0} role="region" aria-label="Tokens">
          <table class="data tokens">
            <caption class="visually-hidden">Your API tokens, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((token) => (
                <tr key={token.id}>
                  <td>{token.name}</td>
                  <td class="when">{when(token.created_at)}</td>
                  <td class="when">{when(token.last_used_at, 'Never')}</td>
                  <td class="when">
                    {token.expired ? <span class="error">Expired</span> : when(token.expires_at, 'Never')}
                  </td>
                  <td>
                    <button
                      type="button"
                      class="quiet"
                      aria-label={`Revoke ${token.name}, created ${when(token.created_at)}`}
                      onClick={() => setRevoking(token)}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="error" role="alert">
        {revokeError}
      </p>
      {created ? (
        <NewTokenShown token={created} onDone={() => setCreated(null)} />
      ) : (
        <NewTokenForm
          onCreated={(token) => {
            setCreated(token);
            void client.invalidateQueries({ queryKey: TOKENS_KEY });
          }}
        />
      )}
      <Confirm
        open={revoking !== null}
        title={`Revoke “${revoking?.name ?? ''}”?`}
        action="Revoke"
        busy={busy}
        onConfirm={() => revoking && void revoke(revoking)}
        onCancel={() => setRevoking(null)}
      >
        <p>Whatever uses this token stops working at once, and its live connections close.</p>
      </Confirm>
    </section>
  );
}

function NewTokenForm({ onCreated }: { onCreated: (token: CreatedToken) => void }) {
  const [name, setName] = useState('');
  const [days, setDays] = useState('');
  const save = useSave(FIELDS, async (body: NewToken) => {
    onCreated(await api<CreatedToken>('POST', '/api/v1/auth/tokens/', body));
  });
  const errors = save.errors;
  return (
    <form
      class="new-token"
      onSubmit={(event) => {
        event.preventDefault();
        void save.run({ name, expires_in_days: days === '' ? null : Number(days) });
      }}
      noValidate
    >
      <h3>Make a new token</h3>
      <div class="new-token-fields">
        <Field id="name" label="Name" hint="What it is for, so you recognise it later." errors={errors}>
          <input
            value={name}
            maxLength={100}
            required
            onInput={(event) => setName(event.currentTarget.value)}
            {...describedBy('name', errors, true)}
          />
        </Field>
        <Field id="expires_in_days" label="Expires" errors={errors}>
          <select
            value={days}
            onChange={(event) => setDays(event.currentTarget.value)}
            {...describedBy('expires_in_days', errors)}
          >
            {LIFETIMES.map((choice) => (
              <option key={choice.days} value={choice.days}>
                {choice.label}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={save.busy}>
          {save.busy ? 'Making…' : 'Make token'}
        </button>
      </div>
      <SaveStatus errors={errors} saved={false} />
    </form>
  );
}

/** The token itself, this once: copied from here, then never shown again. */
function NewTokenShown({ token, onDone }: { token: CreatedToken; onDone: () => void }) {
  return (
    <div class="new-token-shown">
      <h3>Your new token “{token.name}”</h3>
      <p>
        <strong>Copy it now: it is not shown again.</strong> Parley keeps only a fingerprint of it.
      </p>
      <CopyField id="new-token-value" label="The new token" hideLabel primary value={token.token} />
      <div class="form-actions">
        <button type="button" class="secondary" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
