import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { Link } from '../nav.js';
import type { ScreenProps } from '../screens.js';
import type { ChannelSetup, ConnectedChannel } from '../types-channels.js';
import type { Page } from '../types.js';
import { ChannelCard } from './channels/channel-card.js';
import { ConnectInstagram, ConnectTelegram } from './channels/connect.js';
import { AddWebsiteChat } from './channels/website.js';
import './channels/channels.css';

const CHANNELS_KEY = ['channels'] as const;

export function Channels(_props: ScreenProps) {
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: CHANNELS_KEY,
    queryFn: () => api<Page<ConnectedChannel>>('GET', '/api/v1/channels/'),
  });
  const setup = useQuery({
    queryKey: ['channel-setup'],
    queryFn: () => api<ChannelSetup>('GET', '/api/v1/channels/setup/'),
  });
  const [announcement, setAnnouncement] = useState('');
  const changed = () => void queryClient.invalidateQueries({ queryKey: CHANNELS_KEY });
  const channels = list.data?.results ?? [];

  return (
    <main class="screen channels-screen">
      <h1>Channels</h1>
      <p class="intro">
        Where your customers write to you. Their messages arrive in the <Link href="/">inbox</Link>, and the AI answers
        them there as your <Link href="/ai">AI settings</Link> say.
      </p>

      <section aria-labelledby="connected-title">
        <h2 id="connected-title" tabIndex={-1}>
          Connected channels
        </h2>
        <p class="saved" role="status">
          {announcement}
        </p>
        {list.isPending ? (
          <p class="loading">Loading…</p>
        ) : list.isError ? (
          <p class="error" role="alert">
            The channels could not be loaded: {list.error.message}
          </p>
        ) : channels.length === 0 ? (
          <p class="hint">
            No channel yet: add a chat to your website, or connect a Telegram bot or an Instagram account, below.
          </p>
        ) : (
          <ul class="channel-list">
            {channels.map((channel) => (
              <ChannelCard
                key={channel.id}
                channel={channel}
                onChanged={changed}
                onDisconnected={(gone) => {
                  setAnnouncement(`Disconnected ${gone.name}.`);
                  changed();
                  // Its card and buttons are gone: the focus goes back to the list's heading.
                  document.getElementById('connected-title')?.focus();
                }}
              />
            ))}
          </ul>
        )}
      </section>

      {setup.isError && (
        <p class="error" role="alert">
          What connecting a channel needs could not be loaded: {setup.error.message}
        </p>
      )}
      {setup.data && (
        <>
          <AddWebsiteChat
            setup={setup.data}
            onAdded={() => {
              setAnnouncement('');
              changed();
            }}
          />
          <ConnectTelegram
            setup={setup.data}
            onConnected={() => {
              setAnnouncement('');
              changed();
            }}
          />
          <ConnectInstagram
            setup={setup.data}
            onConnected={() => {
              setAnnouncement('');
              changed();
            }}
          />
        </>
      )}
    </main>
  );
}
