/** What bench:ws's main thread and its client threads (./clients.worker.ts) say to each other. */

export type Command =
  /** Open these clients, `inFlight` handshakes at a time. */
  | { type: 'connect'; urls: string[]; inFlight: number }
  /** Forget what arrived so far and start timing this thread's event loop afresh. */
  | { type: 'reset' }
  /** How many first pieces arrived since the reset. */
  | { type: 'count' }
  /** Everything noted since the reset. */
  | { type: 'collect' }
  | { type: 'close' };

export type Reply =
  | { type: 'connected'; ms: number; open: number; failures: string[] }
  | { type: 'reset' }
  | { type: 'count'; deltas: number }
  | {
      type: 'collected';
      /** Parallel arrays: the ask each measured frame named, and when it arrived (ms on the machine's clock). */
      deltaAsks: number[];
      deltaAt: number[];
      completedAsks: number[];
      completedAt: number[];
      loopDelay: { p99Ms: number; maxMs: number };
      open: number;
    }
  | { type: 'closed' };
