import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ParserOptions, Results, RowMode } from '@electric-sql/pglite';
import {
  errorFrom,
  type DatabaseReply,
  type DatabaseRequest,
  type QueryShape,
  type ThreadOptions,
  type ThreadStarted,
} from './pglite-protocol.js';

export interface EmbeddedQueryOptions {
  rowMode?: RowMode;
  parsers?: ParserOptions;
  paramTypes?: number[];
}

export interface EmbeddedTransaction {
  query<T>(query: string, params?: unknown[], options?: EmbeddedQueryOptions): Promise<Results<T>>;
  exec(query: string, options?: EmbeddedQueryOptions): Promise<Results[]>;
  rollback(): Promise<void>;
  readonly closed: boolean;
}

/**
 * What Parley uses of PGlite, and all Drizzle's PGlite driver and migrator
 * call: a PGlite instance on this thread is one, and so is the stand-in for
 * one on its own thread (below).
 */
export interface EmbeddedClient {
  query<T>(query: string, params?: unknown[], options?: EmbeddedQueryOptions): Promise<Results<T>>;
  exec(query: string, options?: EmbeddedQueryOptions): Promise<Results[]>;
  transaction<T>(callback: (tx: EmbeddedTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  readonly closed: boolean;
}

type Request = DatabaseRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;
type Reply = Extract<DatabaseReply, { ok: true }>['value'];

const PROBE = 'parley: text kept?';
const shapes = new WeakMap<ParserOptions, number[]>();

/**
 * Parsers are functions and cannot cross to the database thread. The only
 * ones Drizzle passes return PostgreSQL's text unchanged (timestamps, dates,
 * intervals, numeric arrays), so the thread is told which types keep their
 * text; any other parser is refused rather than silently dropped.
 */
function keepText(parsers: ParserOptions): number[] {
  let oids = shapes.get(parsers);
  if (oids) return oids;
  const entries = Object.entries(parsers) as [string, (text: string, type: number) => unknown][];
  oids = entries.map(([oid, parse]) => {
    if (parse(PROBE, Number(oid)) !== PROBE) {
      throw new Error(
        `The embedded database's thread only keeps values as text; the parser for type ${oid} does more.`,
      );
    }
    return Number(oid);
  });
  shapes.set(parsers, oids);
  return oids;
}

function shapeOf(options: EmbeddedQueryOptions | undefined): QueryShape {
  if (!options) return {};
  const unknown = Object.keys(options).filter((key) => !['rowMode', 'parsers', 'paramTypes'].includes(key));
  if (unknown.length)
    throw new Error(`The embedded database's thread does not take the query options ${unknown.join(', ')}.`);
  return {
    ...(options.rowMode ? { rowMode: options.rowMode } : {}),
    ...(options.parsers ? { keepText: keepText(options.parsers) } : {}),
    ...(options.paramTypes ? { paramTypes: options.paramTypes } : {}),
  };
}

/**
 * The embedded database on a thread of its own (pglite-worker.ts), so that
 * HTTP, WebSockets and timers keep answering while a query runs. PGlite is a
 * single connection: the thread runs one statement at a time, and while a
 * transaction is open only that transaction's statements, as PGlite itself
 * does in-process. Rows come back by structured clone, which keeps Dates,
 * bigints, arrays and bytes as PGlite made them.
 */
export class PgliteThread implements EmbeddedClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(value: Reply): void; reject(error: Error): void }>();
  #nextId = 1;
  #closing = false;
  #stopped: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: DatabaseReply) => this.#settle(reply));
    worker.on('error', (error) => this.#stop(error));
    worker.on('exit', (code) => this.#stop(new Error(`The embedded database's thread stopped (exit code ${code}).`)));
    // Idle, the thread does not keep the process alive (as PGlite in-process did not); a query in flight does.
    worker.unref();
  }

  static async start(options: ThreadOptions): Promise<PgliteThread> {
    const worker = spawn(options);
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error) => {
        void worker.terminate();
        reject(error);
      };
      worker.once('message', (started: ThreadStarted) => {
        worker.off('error', failed);
        worker.off('exit', exited);
        if (started.ready) resolve();
        else failed(errorFrom(started.error));
      });
      const exited = (code: number) =>
        failed(new Error(`The embedded database's thread exited (code ${code}) while starting.`));
      worker.once('error', failed);
      worker.once('exit', exited);
    });
    return new PgliteThread(worker);
  }

  get closed(): boolean {
    return this.#closing || this.#stopped !== undefined;
  }

  query<T>(sql: string, params?: unknown[], options?: EmbeddedQueryOptions): Promise<Results<T>> {
    return this.#query<T>(sql, params, options, undefined);
  }

  exec(sql: string, options?: EmbeddedQueryOptions): Promise<Results[]> {
    return this.#exec(sql, options, undefined);
  }

  async #query<T>(
    sql: string,
    params: unknown[] = [],
    options: EmbeddedQueryOptions | undefined,
    tx: number | undefined,
  ): Promise<Results<T>> {
    try {
      const shape = shapeOf(options);
      return (await this.#call({ op: 'query', sql, params, shape, ...(tx === undefined ? {} : { tx }) })) as Results<T>;
    } catch (error) {
      // As PGlite's own errors carry the options of the query that failed.
      if (options && error instanceof Error && 'code' in error) Object.assign(error, { queryOptions: options });
      throw error;
    }
  }

  async #exec(sql: string, options: EmbeddedQueryOptions | undefined, tx: number | undefined): Promise<Results[]> {
    const shape = shapeOf(options);
    return (await this.#call({ op: 'exec', sql, shape, ...(tx === undefined ? {} : { tx }) })) as Results[];
  }

  /** BEGIN … COMMIT, or ROLLBACK when `callback` throws; the thread holds every other statement until it ends. */
  async transaction<T>(callback: (tx: EmbeddedTransaction) => Promise<T>): Promise<T> {
    const tx = (await this.#call({ op: 'begin' })) as number;
    let closed = false;
    const open = () => {
      if (closed) throw new Error('Transaction is closed');
    };
    const handle: EmbeddedTransaction = {
      query: async (sql, params, options) => (open(), this.#query(sql, params, options, tx)),
      exec: async (sql, options) => (open(), this.#exec(sql, options, tx)),
      rollback: async () => {
        open();
        await this.#call({ op: 'rollback', tx });
        closed = true;
      },
      get closed() {
        return closed;
      },
    };
    let result: T;
    try {
      result = await callback(handle);
    } catch (error) {
      closed = true;
      await this.#call({ op: 'end', tx, commit: false });
      throw error;
    }
    closed = true;
    await this.#call({ op: 'end', tx, commit: true });
    return result;
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    try {
      if (!this.#stopped) await this.#call({ op: 'close' });
    } finally {
      await this.#worker.terminate();
    }
  }

  /**
   * Once closing, only the close itself and the statements of a transaction
   * already open go through: as in-process, close() waits for that
   * transaction to end, and refuses everything new.
   */
  #call(request: Request): Promise<Reply> {
    const admitted = request.op === 'close' || ('tx' in request && request.tx !== undefined);
    if (this.#closing && !admitted) return Promise.reject(new Error('PGlite is closed'));
    if (this.#stopped) return Promise.reject(this.#stopped);
    const id = this.#nextId++;
    if (this.#pending.size === 0) this.#worker.ref();
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id });
    });
  }

  #settle(reply: DatabaseReply): void {
    const waiting = this.#pending.get(reply.id);
    if (!waiting) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (reply.ok) waiting.resolve(reply.value);
    else waiting.reject(errorFrom(reply.error));
  }

  #stop(error: Error): void {
    this.#stopped ??= error;
    for (const waiting of this.#pending.values()) waiting.reject(error);
    this.#pending.clear();
  }
}

function spawn(options: ThreadOptions): Worker {
  const compiled = new URL('./pglite-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, { workerData: options });
  // From the TypeScript sources (tests, tsx) there is no compiled worker: it loads tsx's hooks first.
  const source = new URL('./pglite-worker.ts', import.meta.url).href;
  const tsxRoot = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(path.join(tsxRoot, 'dist', 'esm', 'api', 'index.mjs')).href;
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(boot, { eval: true, workerData: options });
}
