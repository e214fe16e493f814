import type { Query, SQL } from 'drizzle-orm';
import { PgDialect, type PgPreparedQuery, type PreparedQueryConfig } from 'drizzle-orm/pg-core';
import type { Database } from './client.js';

type PreparedQuery = PgPreparedQuery<PreparedQueryConfig>;

/**
 * Statements on the hot paths (a customer's message, the answer to it) that Drizzle builds once
 * per shape rather than at every call. A profile of `ask` on PostgreSQL put about a tenth of the
 * server's CPU in building the few statements each question runs: Drizzle walks every fragment
 * of a statement of a few CTEs, every time, and the text then had to be looked up again to find
 * its prepared name. Here a statement's values are placeholders (`sql.placeholder`), filled when
 * it runs, so its text, and the name PostgreSQL prepared it under, stay the same.
 */

// What `drizzle()` builds for both drivers (client.ts): the same escaping, typing and casing.
const dialect = new PgDialect({ casing: 'snake_case' });

/**
 * A part of a statement built once: SQL whose values are placeholders named apart from the
 * host statement's, and their values for this call. One `key`, one SQL: the key stands for the
 * SQL in the host's shape.
 */
export interface Fragment<T = unknown> {
  key: string;
  sql: SQL<T>;
  values: Record<string, unknown>;
}

/** A shape's key: its flags (a record, in a fixed order), then its fragments' keys ('-' for none). */
export function shapeKey(flags: Record<string, boolean>, ...fragments: (Fragment | undefined)[]): string {
  return `${Object.values(flags).map(Number).join('')} ${fragments.map((fragment) => fragment?.key ?? '-').join(' ')}`;
}

export type BuiltOnce = (
  db: Database,
  /** Everything that changes the SQL's text, and nothing else: values go in `values`. */
  shape: string,
  /** Builds the SQL of `shape`; called at its first use only. */
  build: () => SQL,
  /** One value for every placeholder, null included (a missing one throws). */
  values: Record<string, unknown>,
) => Promise<unknown>;

/** A statement built once per shape; `name` prefixes the names it is prepared under, unique per statement. */
export function builtOnce(name: string): BuiltOnce {
  const built = new Map<string, { query: Query; name: string }>();
  // Drizzle's prepared query per database (or transaction) and shape: making one is not free
  // either (PGlite's makes its parsers anew, which the embedded thread then has to check).
  const preparedOn = preparedPerDatabase(() => new Map<string, PreparedQuery>());
  return (db, shape, build, values) => {
    let statement = built.get(shape);
    if (!statement) {
      statement = { query: dialect.sqlToQuery(build()), name: `parley_${name}_${built.size}` };
      built.set(shape, statement);
    }
    const onDatabase = preparedOn(db);
    let query = onDatabase.get(shape);
    // Stryker disable next-line ConditionalExpression: preparing again only costs time
    if (!query) {
      query = db._.session.prepareQuery(statement.query, undefined, statement.name, false);
      onDatabase.set(shape, query);
    }
    return query.execute(values);
  };
}

/**
 * Made once per database or transaction it runs on, rather than at every call: a query of
 * Drizzle's builders prepared (`.prepare(name)`, values as placeholders), or what a module keeps
 * per database (RecentHistory).
 */
export function preparedPerDatabase<Prepared>(prepare: (db: Database) => Prepared): (db: Database) => Prepared {
  const prepared = new WeakMap<Database, Prepared>();
  return (db) => {
    let statement = prepared.get(db);
    // Stryker disable next-line ConditionalExpression: preparing again under the same name only costs time
    if (!statement) {
      statement = prepare(db);
      prepared.set(db, statement);
    }
    return statement;
  };
}
