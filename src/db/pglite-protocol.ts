import type { Results, RowMode } from '@electric-sql/pglite';

/**
 * The messages between the server's main thread and the thread that owns the
 * embedded database (pglite-worker.ts). Only data crosses: PGlite's parsers
 * are functions, so a query names the types whose text it keeps instead.
 */
export interface QueryShape {
  rowMode?: RowMode;
  /** Type OIDs returned as PostgreSQL's text rather than parsed (Drizzle keeps timestamps as text). */
  keepText?: number[];
  paramTypes?: number[];
}

export type DatabaseRequest =
  | { id: number; op: 'query'; sql: string; params: unknown[]; shape: QueryShape; tx?: number }
  | { id: number; op: 'exec'; sql: string; shape: QueryShape; tx?: number }
  /** Opens a transaction; the reply's value is its number, which its queries carry as `tx`. */
  | { id: number; op: 'begin' }
  | { id: number; op: 'rollback'; tx: number }
  /** Ends a transaction: COMMIT, or ROLLBACK when the caller's work failed (nothing, if already rolled back). */
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'close' };

/** A PostgreSQL error's fields (code, severity, detail, constraint, …), as data. */
export interface ErrorData {
  message: string;
  name: string;
  fields: Record<string, unknown>;
}

export type DatabaseReply =
  | { id: number; ok: true; value: Results | Results[] | number | undefined }
  | { id: number; ok: false; error: ErrorData };

/** The worker's first message: the database is open, or why it is not. */
export type ThreadStarted = { ready: true } | { ready: false; error: ErrorData };

export interface ThreadOptions {
  directory: string;
  /** A dump to start an in-memory database from (tests). */
  loadDataDir?: Blob;
}

export function errorData(error: unknown): ErrorData {
  if (!(error instanceof Error)) return { message: String(error), name: 'Error', fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    // queryOptions holds the parsers (functions); the caller puts its own back.
    if (key === 'queryOptions' || typeof value === 'function') continue;
    try {
      fields[key] = structuredClone(value);
    } catch {
      // Not data: it stays behind.
    }
  }
  // The stack stays behind too: it would show the worker's message loop, not the caller.
  return { message: error.message, name: error.name, fields };
}

/** An Error with the fields it had on the database thread, so `code`, `severity` and the rest read as before. */
export function errorFrom(data: ErrorData): Error {
  const error = new Error(data.message);
  Object.assign(error, data.fields);
  error.name = data.name;
  return error;
}
