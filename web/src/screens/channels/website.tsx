import { useMutation } from '@tanstack/react-query';
import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { api } from '../../api.js';
import type {
  ChannelSetup,
  ConnectedChannel,
  WebsiteConnect,
  WidgetSecret,
  WidgetSettingsPatch,
} from '../../types-channels.js';
import { ConfirmedAction } from '../../ui/confirmed-action.js';
import { CopyField } from '../../ui/copy-field.js';
import { SetupNote } from './connect.js';
import { NEW_WIDGET, WidgetSettingsForm } from './widget-form.js';

// A website chat: added with its settings, then its snippet to paste and its secret, shown once;
// in the list, its snippet again, its settings to change, and its secret to rotate.

const SECRET_NOTE = (
  <>
    <strong>Shown only now:</strong> Parley does not show it again. Your site’s server uses it to verify signed-in
    customers (“Verified identity” in the README); keep it there, never in a page. Lost it? Rotate it from the chat’s
    card.
  </>
);

/** `id`: the card in the list shows the same chat's snippet, so the one shown on adding it needs its own. */
function Snippet({ id, channel, focus = false }: { id: string; channel: ConnectedChannel; focus?: boolean }) {
  if (!channel.widget) return null;
  return (
    <CopyField
      id={id}
      label="Snippet"
      value={channel.widget.snippet}
      lines={4}
      copyLabel="Copy snippet"
      focus={focus}
      hint="Paste it into every page of your site, before </body>."
    />
  );
}

function SecretShown({
  id,
  secret,
  focus = false,
  onDone,
}: {
  id: string;
  secret: string;
  focus?: boolean;
  onDone: () => void;
}) {
  return (
    <div class="secret-shown">
      <CopyField
        id={id}
        label="Widget secret"
        value={secret}
        copyLabel="Copy secret"
        hint={SECRET_NOTE}
        focus={focus}
      />
      <div class="form-actions">
        <button type="button" onClick={onDone}>
          Done, I have kept the secret
        </button>
      </div>
    </div>
  );
}

export function AddWebsiteChat({
  setup,
  onAdded,
}: {
  setup: ChannelSetup;
  onAdded: (channel: ConnectedChannel) => void;
}) {
  const platform = setup.platforms.find((each) => each.type === 'website');
  const [created, setCreated] = useState<ConnectedChannel | null>(null);
  // A new form (a new key) after each chat added: empty again, nothing unsaved.
  const [round, setRound] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  if (!platform) return null;
  return (
    <section class="card connect" aria-labelledby="connect-website">
      <h2 id="connect-website" ref={heading} tabIndex={-1}>
        Add a website chat
      </h2>
      <SetupNote platform={platform} />
      <p>A chat button on your own site: visitors write there, and their conversations arrive in your inbox.</p>
      {created?.widget && created.widget_secret ? (
        <div class="widget-created">
          <h3>Your website chat is ready</h3>
          <Snippet id="new-widget-snippet" channel={created} focus />
          <SecretShown
            id="new-widget-secret"
            secret={created.widget_secret}
            onDone={() => {
              setCreated(null);
              setRound((current) => current + 1);
              heading.current?.focus();
            }}
          />
        </div>
      ) : (
        <WidgetSettingsForm
          key={round}
          idPrefix="new-widget-"
          initial={NEW_WIDGET}
          submitLabel="Add website chat"
          busyLabel="Adding…"
          unsavedWarning="The website chat is not added yet. Leave without adding it?"
          save={async (settings) => {
            const body: WebsiteConnect = { type: 'website', ...settings };
            const channel = await api<ConnectedChannel>('POST', '/api/v1/channels/', body);
            setCreated(channel);
            onAdded(channel);
          }}
        />
      )}
    </section>
  );
}

/** A website chat's own part of its card in the list. */
export function WebsiteDetails({
  channel,
  onChanged,
  children,
}: {
  channel: ConnectedChannel;
  onChanged: () => void;
  /** Every channel's own actions (check, disconnect), in the same row as this chat's. */
  children: ComponentChildren;
}) {
  const [editing, setEditing] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [said, setSaid] = useState('');
  const editButton = useRef<HTMLButtonElement>(null);
  const widget = channel.widget;
  if (!widget) return null;
  const formId = `widget-settings-${channel.id}`;
  const closeEditor = (announcement: string) => {
    setEditing(false);
    setSaid(announcement);
    requestAnimationFrame(() => editButton.current?.focus());
  };
  return (
    <div class="website-details">
      <dl class="health">
        <div>
          <dt>Public id</dt>
          <dd>
            <code>{widget.public_id}</code>
          </dd>
        </div>
        <div>
          <dt>Appears on</dt>
          <dd>
            <ul class="origins">
              {widget.settings.allowed_origins.map((origin) => (
                <li key={origin}>
                  <code>{origin}</code>
                </li>
              ))}
            </ul>
          </dd>
        </div>
      </dl>
      <Snippet id={`snippet-${channel.id}`} channel={channel} />
      {secret && (
        <SecretShown
          id={`secret-${channel.id}`}
          secret={secret}
          focus
          onDone={() => {
            setSecret(null);
            setSaid('');
          }}
        />
      )}
      <p class="saved" role="status">
        {said}
      </p>
      <div class="form-actions">
        <button
          type="button"
          ref={editButton}
          aria-expanded={editing}
          aria-controls={editing ? formId : undefined}
          aria-label={`Edit the settings of ${channel.name}`}
          onClick={() => (editing ? closeEditor('') : (setEditing(true), setSaid('')))}
        >
          {editing ? 'Close settings' : 'Edit'}
        </button>
        <RotateSecret
          channel={channel}
          onRotated={(next) => {
            setSecret(next);
            setSaid('A new secret is shown above: the old one no longer works.');
          }}
        />
        {children}
      </div>
      {editing && (
        <div id={formId} class="widget-editor">
          <WidgetSettingsForm
            idPrefix={`w-${channel.id}-`}
            initial={widget.settings}
            submitLabel="Save settings"
            busyLabel="Saving…"
            unsavedWarning="This website chat’s settings are not saved. Leave without saving them?"
            save={async (settings) => {
              const body: WidgetSettingsPatch = settings;
              await api<ConnectedChannel>('PATCH', `/api/v1/channels/${channel.id}/`, body);
              onChanged();
              closeEditor('Settings saved: the chat on your site uses them now.');
            }}
          >
            <button type="button" onClick={() => closeEditor('')}>
              Cancel
            </button>
          </WidgetSettingsForm>
        </div>
      )}
    </div>
  );
}

function RotateSecret({ channel, onRotated }: { channel: ConnectedChannel; onRotated: (secret: string) => void }) {
  const rotate = useMutation({
    mutationFn: () => api<WidgetSecret>('POST', `/api/v1/channels/${channel.id}/secret/`, {}),
    onSuccess: (answer) => onRotated(answer.widget_secret),
  });
  return (
    <ConfirmedAction
      id={`rotate-${channel.id}`}
      opener="Rotate secret"
      openerLabel={`Rotate the secret of ${channel.name}`}
      title={`Rotate the secret of ${channel.name}?`}
      confirm="Rotate secret"
      confirming="Rotating…"
      action={rotate}
    >
      <p>
        Signed-in customers are recognised by hashes your site’s server makes with the secret: those made with the
        current one stop working at once, so their chats carry on as anonymous visitors until your server uses the new
        secret. The new one is shown once.
      </p>
    </ConfirmedAction>
  );
}
