/**
 * bench:ws's dashboard clients, spread over worker threads (./clients.worker.ts):
 * one Node event loop reading 10,000 sockets would be late to read the frames it
 * times, and the delivery figure would then be the bench's, not Parley's.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Command, Reply } from './protocol.js';

type Collected = Extract<Reply, { type: 'collected' }>;

/** What the client threads saw, merged: parallel arrays over every thread, the worst event-loop delay. */
export type Arrivals = Omit<Collected, 'type'>;

export interface ClientPool {
  /** Opens every client, `inFlight` handshakes at a time per thread; returns how long it took and what failed. */
  connect(urls: string[], inFlight: number): Promise<{ ms: number; open: number; failures: string[] }>;
  reset(): Promise<void>;
  deltas(): Promise<number>;
  collect(): Promise<Arrivals>;
  close(): Promise<void>;
}

/** The worker from its TypeScript source: it registers tsx's hooks first, as src/db/pglite-thread.ts does. */
function spawnThread(): Worker {
  const source = new URL('./clients.worker.ts', import.meta.url).href;
  const tsxRoot = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(path.join(tsxRoot, 'dist', 'esm', 'api', 'index.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(boot, { eval: true, name: 'bench-ws-clients' });
}

/** A thread's answers come in the order of its commands: one queue of waiters per thread. */
function channel(worker: Worker) {
  const waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void }[] = [];
  worker.on('message', (reply: Reply) => waiting.shift()?.resolve(reply));
  const fail = (error: Error) => {
    for (const waiter of waiting.splice(0)) waiter.reject(error);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`a client thread exited with ${code}`)));
  return (command: Command): Promise<Reply> =>
    new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      worker.postMessage(command);
    });
}

export function startClientPool(threads: number): ClientPool {
  const workers = Array.from({ length: threads }, spawnThread);
  const ask = workers.map(channel);
  const all = <T extends Reply['type']>(command: Command, _expect: T) =>
    Promise.all(ask.map((send) => send(command))) as Promise<Extract<Reply, { type: T }>[]>;

  return {
    async connect(urls, inFlight) {
      // Client i goes to thread i % threads, so each thread holds some clients of every business.
      const shares = workers.map((_worker, thread) => urls.filter((_url, index) => index % threads === thread));
      const started = performance.now();
      const replies = (await Promise.all(
        ask.map((send, thread) => send({ type: 'connect', urls: shares[thread]!, inFlight })),
      )) as Extract<Reply, { type: 'connected' }>[];
      return {
        ms: performance.now() - started,
        open: replies.reduce((sum, reply) => sum + reply.open, 0),
        failures: replies.flatMap((reply) => reply.failures),
      };
    },
    async reset() {
      await all({ type: 'reset' }, 'reset');
    },
    async deltas() {
      const counts = await all({ type: 'count' }, 'count');
      return counts.reduce((sum, reply) => sum + reply.deltas, 0);
    },
    async collect() {
      const replies: Collected[] = await all({ type: 'collect' }, 'collected');
      const worst = (values: number[]) => Math.max(...values.filter((value) => !Number.isNaN(value)));
      return {
        deltaAsks: replies.flatMap((reply) => reply.deltaAsks),
        deltaAt: replies.flatMap((reply) => reply.deltaAt),
        completedAsks: replies.flatMap((reply) => reply.completedAsks),
        completedAt: replies.flatMap((reply) => reply.completedAt),
        loopDelay: {
          p99Ms: worst(replies.map((reply) => reply.loopDelay.p99Ms)),
          maxMs: worst(replies.map((reply) => reply.loopDelay.maxMs)),
        },
        open: replies.reduce((sum, reply) => sum + reply.open, 0),
      };
    },
    async close() {
      await all({ type: 'close' }, 'closed').catch(() => undefined);
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}
