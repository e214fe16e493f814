/**
 * The thread that owns the embedded database (see pglite-thread.ts). PGlite
 * runs PostgreSQL compiled to WebAssembly synchronously: on the server's main
 * thread every query stalled HTTP, WebSockets and timers until it finished.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type QueryOptions, type Transaction } from '@electric-sql/pglite';
import {
  errorData,
  type DatabaseReply,
  type DatabaseRequest,
  type QueryShape,
  type ThreadOptions,
  type ThreadStarted,
} from './pglite-protocol.js';
import { startMaintenance, statementsSince } from './pglite-maintenance.js';
import { preparingQuery } from './pglite-prepared.js';
import { EMBEDDED_START_PARAMS } from './pglite-params.js';

if (!parentPort) throw new Error('pglite-worker.ts runs as a worker thread');
const port = parentPort;
const options = workerData as ThreadOptions;

/** Marks a transaction ended by its caller's failure, so its ROLLBACK is not reported as an error. */
const ROLLED_BACK = new Error('rolled back: the work inside the transaction failed');

interface OpenTransaction {
  tx: Transaction;
  end(commit: boolean, replyTo: number): void;
}

/** How long without a statement before the thread collects its garbage. */
const IDLE_COLLECTION_MS = 5_000;

const keepAsText = (value: string) => value;
const parserSets = new Map<string, QueryOptions['parsers']>();

function queryOptions(shape: QueryShape): QueryOptions {
  const result: QueryOptions = {};
  if (shape.rowMode) result.rowMode = shape.rowMode;
  if (shape.paramTypes) result.paramTypes = shape.paramTypes;
  if (shape.keepText?.length) {
    // Drizzle sends the same few sets on every query: build each once.
    const key = shape.keepText.join(',');
    let parsers = parserSets.get(key);
    if (!parsers) {
      parsers = Object.fromEntries(shape.keepText.map((oid) => [oid, keepAsText]));
      parserSets.set(key, parsers);
    }
    result.parsers = parsers;
  }
  return result;
}

function reply(message: DatabaseReply): void {
  port.postMessage(message);
}

type ReplyValue = Extract<DatabaseReply, { ok: true }>['value'];

/** Replies with what `work` resolves to, or with its error as data. */
function answer(id: number, work: () => Promise<ReplyValue>): void {
  work().then(
    (value) => reply({ id, ok: true, value }),
    (error: unknown) => reply({ id, ok: false, error: errorData(error) }),
  );
}

async function main(): Promise<void> {
  let db: PGlite;
  try {
    db = await PGlite.create(options.directory, {
      startParams: EMBEDDED_START_PARAMS,
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    });
  } catch (error) {
    port.postMessage({ ready: false, error: errorData(error) } satisfies ThreadStarted);
    return;
  }
  // No autovacuum in a single-process PostgreSQL: this thread does its work (pglite-maintenance.ts).
  const statements = statementsSince();
  const stopMaintenance = startMaintenance(db, statements.sinceLastAsked, (error) =>
    process.emitWarning(`embedded database maintenance failed: ${errorData(error).message}`),
  );
  const transactions = new Map<number, OpenTransaction>();
  const transactionOf = (tx: number) => {
    const open = transactions.get(tx);
    if (!open) throw new Error(`Transaction ${tx} is not open`);
    return open;
  };
  const within = (tx: number | undefined) => (tx === undefined ? db : transactionOf(tx).tx);
  const query = preparingQuery(db);

  function begin(id: number): void {
    let started = false;
    let endReply: number | undefined;
    db.transaction(
      (tx) =>
        new Promise<void>((resolve, reject) => {
          started = true;
          transactions.set(id, {
            tx,
            end(commit, replyTo) {
              endReply = replyTo;
              if (commit) resolve();
              else reject(ROLLED_BACK);
            },
          });
          reply({ id, ok: true, value: id });
        }),
    ).then(
      () => {
        transactions.delete(id);
        reply({ id: endReply!, ok: true, value: undefined });
      },
      (error: unknown) => {
        transactions.delete(id);
        if (!started) reply({ id, ok: false, error: errorData(error) });
        else if (error === ROLLED_BACK) reply({ id: endReply!, ok: true, value: undefined });
        else reply({ id: endReply!, ok: false, error: errorData(error) });
      },
    );
  }

  // V8 leaves an idle heap as large as its last busy spell, and this thread's
  // garbage (parsed rows, protocol buffers) is all short-lived: one full
  // collection once the database has been idle a while gives it back. It runs
  // here, so it never pauses HTTP. `gc` exists when bin/parley.js exposed it.
  const collect = (globalThis as { gc?: () => void }).gc;
  const idle = collect ? setTimeout(collect, IDLE_COLLECTION_MS).unref() : undefined;

  port.on('message', (request: DatabaseRequest) => {
    idle?.refresh();
    statements.note();
    switch (request.op) {
      case 'query':
        answer(request.id, async () =>
          request.tx === undefined
            ? query(request.sql, request.params, queryOptions(request.shape))
            : transactionOf(request.tx).tx.query(request.sql, request.params, queryOptions(request.shape)),
        );
        return;
      case 'exec':
        answer(request.id, async () => within(request.tx).exec(request.sql, queryOptions(request.shape)));
        return;
      case 'begin':
        begin(request.id);
        return;
      case 'rollback':
        answer(request.id, async () => {
          await transactionOf(request.tx).tx.rollback();
          return undefined;
        });
        return;
      case 'end':
        try {
          transactionOf(request.tx).end(request.commit, request.id);
        } catch (error) {
          reply({ id: request.id, ok: false, error: errorData(error) });
        }
        return;
      case 'close':
        answer(request.id, async () => {
          stopMaintenance();
          if (!db.closed) await db.close();
          return undefined;
        });
        return;
    }
  });
  port.postMessage({ ready: true } satisfies ThreadStarted);
}

await main();
