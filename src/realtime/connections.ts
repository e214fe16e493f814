import type { Config } from '../kernel/config.js';

/**
 * The open WebSockets of one `serve` process, by business and by token, with
 * the limits that keep one business, one token or a flood of clients from
 * holding them all. Counted per process: each `serve` protects itself, and a
 * business spread over N processes may hold up to N times its limit.
 */
export type ConnectionLimits = Config['websocket'];

export interface Owner {
  /** The business (user) the socket belongs to. */
  userId: string;
  tokenId: string;
}

export interface ConnectionRegistry<S> {
  /** Registers the socket, or says which limit it would pass (and registers nothing). */
  admit(socket: S, owner: Owner): string | undefined;
  /** Idempotent: a socket leaves when it starts closing and again when it has closed. */
  remove(socket: S): void;
  /** The business's sockets, for its events. */
  room(userId: string): ReadonlySet<S> | undefined;
  withToken(tokenId: string): S[];
  /** Every token with a socket open here. */
  tokenIds(): string[];
  businesses(): string[];
  readonly size: number;
}

export function createConnectionRegistry<S>(limits: ConnectionLimits): ConnectionRegistry<S> {
  const owners = new Map<S, Owner>();
  const rooms = new Map<string, Set<S>>();
  const tokens = new Map<string, Set<S>>();

  const join = (index: Map<string, Set<S>>, key: string, socket: S) => {
    let set = index.get(key);
    if (!set) {
      set = new Set();
      index.set(key, set);
    }
    set.add(socket);
  };
  const leave = (index: Map<string, Set<S>>, key: string, socket: S) => {
    const set = index.get(key);
    set?.delete(socket);
    if (set?.size === 0) index.delete(key);
  };

  return {
    admit(socket, owner) {
      if (owners.size >= limits.maxConnections) return 'too many connections to this server';
      if ((rooms.get(owner.userId)?.size ?? 0) >= limits.maxPerBusiness) {
        return 'too many connections for this business';
      }
      if ((tokens.get(owner.tokenId)?.size ?? 0) >= limits.maxPerToken) return 'too many connections for this token';
      owners.set(socket, owner);
      join(rooms, owner.userId, socket);
      join(tokens, owner.tokenId, socket);
      return undefined;
    },
    remove(socket) {
      const owner = owners.get(socket);
      if (!owner) return;
      owners.delete(socket);
      leave(rooms, owner.userId, socket);
      leave(tokens, owner.tokenId, socket);
    },
    room: (userId) => rooms.get(userId),
    withToken: (tokenId) => [...(tokens.get(tokenId) ?? [])],
    tokenIds: () => [...tokens.keys()],
    businesses: () => [...rooms.keys()],
    get size() {
      return owners.size;
    },
  };
}

export { messageBudget } from '../kernel/socket-frames.js';
