import { useMutation } from '@tanstack/react-query';
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError } from '../../api.js';
import { describedBy, Field, formErrors, NO_ERRORS, type FormErrors } from '../../forms.js';
import type {
  ChannelSetup,
  ConnectedChannel,
  InstagramConnect,
  PlatformSetup,
  TelegramConnect,
} from '../../types-channels.js';

// Connecting a Telegram bot or an Instagram account: what this server needs for it, said
// before anything is pasted, and each refusal of the API beside the field it is about.

/** Refusals about one field (the token, the account) that come without a field name. */
const FIELD_OF_CODE: Record<string, string> = {
  invalid_bot_token: 'bot_token',
  invalid_access_token: 'access_token',
};

function connectErrors(error: unknown, known: string[], existsField: string): FormErrors {
  const errors = formErrors(error, known);
  if (!(error instanceof ApiError)) return errors;
  const field = error.code === 'channel_exists' ? existsField : FIELD_OF_CODE[error.code];
  if (!field) return errors;
  return { fields: { ...errors.fields, [field]: [error.message] }, message: 'Not connected: see beside the field.' };
}

function useConnect<Body>(known: string[], existsField: string, onConnected: (channel: ConnectedChannel) => void) {
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);
  const connect = useMutation({
    mutationFn: (body: Body) => api<ConnectedChannel>('POST', '/api/v1/channels/', body),
    onMutate: () => setErrors(NO_ERRORS),
    onSuccess: (channel) => onConnected(channel),
    onError: (error) => {
      const shown = connectErrors(error, known, existsField);
      setErrors(shown);
      // The first field in error takes the focus, so its message is read out with it.
      const first = known.find((field) => shown.fields[field]);
      if (first) requestAnimationFrame(() => document.getElementById(first)?.focus());
    },
  });
  return { connect, errors };
}

/** The submit button, then the outcome announced: an error (role=alert) or what was connected (role=status). */
function Actions({
  label,
  pending,
  errors,
  connected,
}: {
  label: string;
  pending: boolean;
  errors: FormErrors;
  connected: ConnectedChannel | undefined;
}) {
  return (
    <div class="form-actions">
      <button type="submit" class="primary" disabled={pending}>
        {pending ? 'Connecting…' : label}
      </button>
      <p class="error" role="alert">
        {errors.message}
      </p>
      <p class="saved" role="status">
        {connected ? `Connected ${connected.name}. Its customers’ messages now arrive in your inbox.` : ''}
      </p>
    </div>
  );
}

/** A one-line field for an id or a token: no autocompletion, no spelling marks. */
function TextField({
  id,
  label,
  hint,
  value,
  onChange,
  errors,
  numeric = false,
}: {
  id: string;
  label: string;
  hint: string;
  value: string;
  onChange: (value: string) => void;
  errors: FormErrors;
  numeric?: boolean;
}) {
  return (
    <Field id={id} label={label} errors={errors} hint={hint}>
      <input
        type="text"
        inputMode={numeric ? 'numeric' : undefined}
        autocomplete="off"
        spellcheck={false}
        value={value}
        onInput={(event) => onChange(event.currentTarget.value)}
        {...describedBy(id, errors, true)}
      />
    </Field>
  );
}

/** What the platform needs of this server's public address, and whether it has it. */
export function SetupNote({ platform, children }: { platform: PlatformSetup; children?: ComponentChildren }) {
  return (
    <div class={`setup setup--${platform.ready ? 'ready' : 'problem'}`}>
      {children}
      <p>{platform.requirement}</p>
      {platform.problem ? (
        <p class="setup-problem">
          <strong>Not ready:</strong> {platform.problem}
        </p>
      ) : (
        <p class="setup-ready">Ready: this server meets that.</p>
      )}
    </div>
  );
}

export function ConnectTelegram({
  setup,
  onConnected,
}: {
  setup: ChannelSetup;
  onConnected: (channel: ConnectedChannel) => void;
}) {
  const platform = setup.platforms.find((each) => each.type === 'telegram');
  const [token, setToken] = useState('');
  const { connect, errors } = useConnect<TelegramConnect>(['bot_token'], 'bot_token', (channel) => {
    setToken('');
    onConnected(channel);
  });
  if (!platform) return null;
  return (
    <section class="card connect" aria-labelledby="connect-telegram">
      <h2 id="connect-telegram">Connect a Telegram bot</h2>
      <SetupNote platform={platform}>
        <p>
          This server’s public address (PUBLIC_URL): <code>{setup.public_url}</code>
          {!setup.public_url_set && ' — PUBLIC_URL is not set, so this is the server’s own address.'}
        </p>
      </SetupNote>
      <ol class="steps">
        <li>
          In Telegram, open <a href="https://t.me/BotFather">@BotFather</a>, send <code>/newbot</code> and answer its
          two questions (a name, then a username ending in “bot”).
        </li>
        <li>Copy the token it gives you and paste it below.</li>
      </ol>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          connect.mutate({ type: 'telegram', bot_token: token });
        }}
      >
        <TextField
          id="bot_token"
          label="Bot token"
          hint="Something like 123456789:AAEhBOweik6ad9r… Parley keeps it encrypted and never shows it again."
          value={token}
          onChange={setToken}
          errors={errors}
        />
        <Actions label="Connect bot" pending={connect.isPending} errors={errors} connected={connect.data} />
      </form>
    </section>
  );
}

export function ConnectInstagram({
  setup,
  onConnected,
}: {
  setup: ChannelSetup;
  onConnected: (channel: ConnectedChannel) => void;
}) {
  const platform = setup.platforms.find((each) => each.type === 'instagram');
  const [account, setAccount] = useState('');
  const [token, setToken] = useState('');
  const { connect, errors } = useConnect<InstagramConnect>(['ig_user_id', 'access_token'], 'ig_user_id', (channel) => {
    setAccount('');
    setToken('');
    onConnected(channel);
  });
  if (!platform) return null;
  return (
    <section class="card connect" aria-labelledby="connect-instagram">
      <h2 id="connect-instagram">Connect an Instagram account</h2>
      <SetupNote platform={platform}>
        {platform.webhook_url && (
          <p>
            Callback URL for your Meta app: <code>{platform.webhook_url}</code>
          </p>
        )}
      </SetupNote>
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          connect.mutate({ type: 'instagram', ig_user_id: account, access_token: token });
        }}
      >
        <TextField
          id="ig_user_id"
          label="Instagram account id"
          hint="The number of your professional account, shown in your Meta app’s Instagram API setup."
          value={account}
          onChange={setAccount}
          errors={errors}
          numeric
        />
        <TextField
          id="access_token"
          label="Access token"
          hint="A token for that account with permission to manage its messages. Parley keeps it encrypted."
          value={token}
          onChange={setToken}
          errors={errors}
        />
        <Actions label="Connect account" pending={connect.isPending} errors={errors} connected={connect.data} />
      </form>
    </section>
  );
}
