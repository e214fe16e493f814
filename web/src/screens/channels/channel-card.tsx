import { useMutation, useQuery } from '@tanstack/react-query';
import { api } from '../../api.js';
import type { ChannelHealth, ConnectedChannel } from '../../types-channels.js';
import { ConfirmedAction } from '../../ui/confirmed-action.js';
import { WebsiteDetails } from './website.js';

// One connected channel: what it is, how it is doing (asked of the platform when shown, and on
// "Check again"), and disconnecting it behind a confirmation.

export const PLATFORM_NAMES: Record<ConnectedChannel['type'], string> = {
  telegram: 'Telegram',
  instagram: 'Instagram',
  website: 'Website',
};

const DISCONNECTING: Record<ConnectedChannel['type'], string> = {
  telegram: 'Telegram stops sending this bot’s messages to Parley.',
  instagram: 'Parley stops answering this account’s messages.',
  website: 'The chat disappears from your site’s pages (the snippet there shows nothing).',
};

const when = (iso: string) => new Date(iso).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });

export function ChannelCard({
  channel,
  onChanged,
  onDisconnected,
}: {
  channel: ConnectedChannel;
  onChanged: () => void;
  onDisconnected: (channel: ConnectedChannel) => void;
}) {
  const health = useQuery({
    queryKey: ['channel-health', channel.id],
    queryFn: () => api<ChannelHealth>('GET', `/api/v1/channels/${channel.id}/health/`),
    staleTime: 0,
    retry: false,
  });
  const headingId = `channel-${channel.id}`;
  const actions = (
    <>
      <button type="button" onClick={() => void health.refetch()} disabled={health.isFetching}>
        {health.isFetching ? 'Checking…' : 'Check again'}
      </button>
      <Disconnect channel={channel} onDone={() => onDisconnected(channel)} />
    </>
  );
  return (
    <li class="card channel">
      <div class="channel-head">
        <h3 id={headingId}>{channel.name}</h3>
        <span class="tag">{PLATFORM_NAMES[channel.type]}</span>
        <HealthBadge health={health.data} checking={health.isFetching} failed={health.isError} />
      </div>
      {channel.widget ? (
        <p class="hint">Added {when(channel.created_at)}.</p>
      ) : (
        <p class="hint">
          Connected {when(channel.created_at)}. Messages arrive at <code>{channel.webhook_url}</code>
        </p>
      )}
      {health.isError && (
        <p class="error" role="alert">
          The health check could not be made: {health.error.message}
        </p>
      )}
      {health.data && <HealthDetails health={health.data} type={channel.type} />}
      {channel.widget ? (
        <WebsiteDetails channel={channel} onChanged={onChanged}>
          {actions}
        </WebsiteDetails>
      ) : (
        <div class="form-actions">{actions}</div>
      )}
    </li>
  );
}

function HealthBadge({
  health,
  checking,
  failed,
}: {
  health: ChannelHealth | undefined;
  checking: boolean;
  failed: boolean;
}) {
  const [text, tone] =
    checking && !health
      ? ['Checking…', 'checking']
      : failed || !health
        ? ['Not checked', 'checking']
        : health.problems.length === 0
          ? ['Working', 'ok']
          : ['Needs attention', 'attention'];
  return (
    <span class={`badge health-badge health-badge--${tone}`} role="status">
      {text}
    </span>
  );
}

function HealthDetails({ health, type }: { health: ChannelHealth; type: ConnectedChannel['type'] }) {
  const webhook = health.webhook;
  const failed = health.failed_deliveries;
  return (
    <>
      {health.problems.length > 0 && (
        <ul class="problems">
          {health.problems.map((problem) => (
            <li key={problem.code}>{problem.detail}</li>
          ))}
        </ul>
      )}
      <dl class="health">
        {webhook && (
          <>
            <div>
              <dt>Telegram delivers to</dt>
              <dd>{webhook.url === '' ? 'Nowhere' : webhook.points_here ? 'This server' : webhook.url}</dd>
            </div>
            <div>
              <dt>Waiting at Telegram</dt>
              <dd>
                {webhook.pending_update_count} update{webhook.pending_update_count === 1 ? '' : 's'}
              </dd>
            </div>
            <div>
              <dt>Telegram’s last delivery error</dt>
              <dd>
                {webhook.last_error_at
                  ? `${when(webhook.last_error_at)}: ${webhook.last_error_message ?? 'no reason given'}`
                  : 'None'}
              </dd>
            </div>
          </>
        )}
        {type === 'instagram' && health.platform_reachable !== null && (
          <div>
            <dt>Access token</dt>
            <dd>
              {!health.platform_reachable
                ? 'Not known: Instagram could not be reached'
                : health.problems.some((problem) => problem.code === 'invalid_access_token')
                  ? 'Refused by Instagram'
                  : 'Accepted by Instagram'}
            </dd>
          </div>
        )}
        <div>
          <dt>Replies not delivered (last 24 h)</dt>
          <dd>
            {failed.last_day}
            {failed.last_at && ` · latest ${when(failed.last_at)}`}
          </dd>
        </div>
      </dl>
      <p class="hint">Checked {when(health.checked_at)}.</p>
    </>
  );
}

function Disconnect({ channel, onDone }: { channel: ConnectedChannel; onDone: () => void }) {
  const disconnect = useMutation({
    mutationFn: () => api<void>('DELETE', `/api/v1/channels/${channel.id}/`),
    onSuccess: onDone,
  });
  return (
    <ConfirmedAction
      id={`disconnect-${channel.id}`}
      opener="Disconnect"
      openerLabel={`Disconnect ${channel.name}`}
      openerClass="danger-quiet"
      title={`Disconnect ${channel.name}?`}
      confirm="Disconnect"
      confirming="Disconnecting…"
      action={disconnect}
    >
      <p>
        {DISCONNECTING[channel.type]} Its conversations stay in the inbox, but replies to them can no longer be sent.
        You can connect it again later.
      </p>
    </ConfirmedAction>
  );
}
