import {
  parse,
  protocol,
  type ParserOptions,
  type PGlite,
  type QueryOptions,
  type Results,
} from '@electric-sql/pglite';
import { repeatedStatementNames } from './prepared-statements.js';

type BackendMessage = Awaited<ReturnType<PGlite['execProtocolStream']>>[number];

/** A statement prepared in the embedded database's one session, with its parameters' types. */
interface Prepared {
  name: string;
  paramTypes: number[];
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const joined = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
};

/**
 * PGlite's `query` parses, analyses and plans every statement it runs, and in WebAssembly that is
 * most of what a hot statement costs: the statement storing a reply (an update, two inserts and
 * two subqueries) took 2.1 ms planned each time against 0.45 ms prepared. This `query` runs the
 * statements seen twice (`repeatedStatementNames`, as on PostgreSQL) as named prepared
 * statements, and the rest as PGlite would. Outside transactions only: a transaction's statements
 * go through PGlite's own `query`, and this one waits for any transaction to end, as PGlite's does.
 */
export function preparingQuery(db: PGlite) {
  const nameOf = repeatedStatementNames();
  const allParsers = withDefaultParsers(db);
  const prepared = new Map<string, Prepared>();
  const run = (message: Uint8Array) => db.execProtocolStream(message, { syncToFs: false });

  async function prepare(name: string, text: string, options: QueryOptions): Promise<Prepared> {
    const { serialize } = protocol;
    const described = await run(
      concat(
        serialize.parse({ name, text, ...(options.paramTypes ? { types: options.paramTypes } : {}) }),
        serialize.describe({ type: 'S', name }),
        serialize.sync(),
      ),
    );
    return { name, paramTypes: parse.parseDescribeStatementResults(described) };
  }

  async function execute(statement: Prepared, params: unknown[], options: QueryOptions): Promise<BackendMessage[]> {
    const { serialize } = protocol;
    // Values as PGlite's own `query` writes them: by the parameter's type, else as text.
    const values = params.map((value, index) => {
      if (value === null || value === undefined) return null;
      const type = statement.paramTypes[index] ?? 0;
      const serializer = options.serializers?.[type] ?? db.serializers[type];
      return serializer ? serializer(value) : (value as { toString(): string }).toString();
    });
    return run(
      concat(
        serialize.bind({ statement: statement.name, values }),
        serialize.describe({ type: 'P' }),
        serialize.execute({}),
        serialize.sync(),
      ),
    );
  }

  return async function query<T>(
    text: string,
    params: unknown[] = [],
    options: QueryOptions = {},
  ): Promise<Results<T>> {
    const name = nameOf(text);
    if (name === undefined) return db.query<T>(text, params, options);
    await db._checkReady();
    return db._runExclusiveTransaction(() =>
      db._runExclusiveQuery(async () => {
        let messages: BackendMessage[];
        try {
          let statement = prepared.get(text);
          if (!statement) {
            statement = await prepare(name, text, options);
            prepared.set(text, statement);
          }
          messages = await execute(statement, params, options);
        } catch (error) {
          // The failed message's Sync may not have run: end the extended query, as PGlite does.
          await run(protocol.serialize.sync()).catch(() => undefined);
          if (error instanceof Error) Object.assign(error, { query: text, params, queryOptions: options });
          throw error;
        }
        await db.syncToFs();
        const { parsers, ...rest } = options;
        return parse.parseResults(messages, allParsers(parsers), rest)[0] as Results<T>;
      }),
    );
  };
}

/**
 * PGlite's default parsers with a query's own over them, merged once per set of a query's
 * parsers. `parseResults` merges them itself at every call: over 300 types, 0.15 ms a statement,
 * and every statement Drizzle runs passes a set. (PGlite's own change only when asked to reload
 * array types, which Parley never does.)
 */
function withDefaultParsers(db: PGlite): (parsers: ParserOptions | undefined) => PGlite['parsers'] {
  const merged = new WeakMap<ParserOptions, PGlite['parsers']>();
  return (parsers) => {
    if (!parsers) return db.parsers;
    let all = merged.get(parsers);
    // Stryker disable next-line ConditionalExpression: merging again only costs time
    if (!all) {
      all = { ...db.parsers, ...parsers };
      merged.set(parsers, all);
    }
    return all;
  };
}
