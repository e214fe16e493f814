import type { PubSub } from '../infra/pubsub.js';
import { listenToChannel } from './channel-listener.js';

/**
 * Tells every `serve` process that tokens were revoked, so each closes the
 * WebSockets opened with them and forgets them from its token cache at once,
 * wherever the revoke happened (an API call on another process, the CLI).
 * A separate channel from the business events: nothing here is for clients.
 */
export const TOKEN_REVOCATIONS_CHANNEL = 'token-revocations';

export type RevocationListener = (tokenIds: string[]) => void;

export interface TokenRevocations {
  /** Tells every listening process; a pub/sub failure is reported, never thrown. */
  announce(tokenIds: string[]): Promise<void>;
  /** Returns the function that unsubscribes. */
  subscribe(listener: RevocationListener): () => void;
  /** Resolves once this process hears the channel; never rejects. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export interface RevocationOptions {
  /** False for a process that holds no sockets (the CLI, `parley worker`): it only announces. Default true. */
  listen?: boolean;
  onPublishError?: (error: unknown) => void;
  onSubscribeError?: (error: unknown) => void;
  /** A listener that threw, or a message on the channel that is not a list of token ids. */
  onListenerError?: (error: unknown) => void;
}

export function createTokenRevocations(pubsub: PubSub, options: RevocationOptions = {}): TokenRevocations {
  const listeners = new Set<RevocationListener>();
  const onListenerError = options.onListenerError ?? (() => {});
  const onMessage = (message: string) => {
    let tokenIds: string[];
    try {
      tokenIds = parseTokenIds(message);
    } catch (error) {
      onListenerError(error);
      return;
    }
    for (const listener of listeners) {
      try {
        listener(tokenIds);
      } catch (error) {
        onListenerError(error);
      }
    }
  };
  const listener = listenToChannel(pubsub, TOKEN_REVOCATIONS_CHANNEL, onMessage, options);

  return {
    ready: listener.ready,
    async announce(tokenIds) {
      if (tokenIds.length === 0) return;
      await pubsub
        .publish(TOKEN_REVOCATIONS_CHANNEL, JSON.stringify({ token_ids: tokenIds }))
        .catch(options.onPublishError ?? (() => {}));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await listener.close();
    },
  };
}

function parseTokenIds(message: string): string[] {
  const value = JSON.parse(message) as { token_ids?: unknown } | null;
  const ids = value?.token_ids;
  if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === 'string')) {
    throw new Error(`not a list of token ids on the ${TOKEN_REVOCATIONS_CHANNEL} channel`);
  }
  return ids;
}
