import { createHash } from 'node:crypto';
import type pg from 'pg';

/** Distinct statements a connection prepares at most: each costs the server a little memory for as long as it lives. */
const MAX_PREPARED = 400;
/** Texts seen once are remembered up to this many, to spot the second sighting; then forgotten together. */
const MAX_SEEN = 5_000;
const MAX_TEXT = 16_000;

interface QueryConfig {
  text: string;
  name?: string;
}

const isQueryConfig = (value: unknown): value is QueryConfig =>
  typeof value === 'object' && value !== null && typeof (value as { text?: unknown }).text === 'string';

/**
 * Names the statements worth preparing: a text at its second sighting (Drizzle sends the same
 * text for the same query with different values, so the hot path's few statements are named
 * within its first requests), while texts that vary (an IN list of some length) mostly stay
 * unnamed and the number named is bounded. Undefined: run it unnamed.
 */
export function repeatedStatementNames(): (text: string) => string | undefined {
  const names = new Map<string, string>();
  const seen = new Set<string>();
  return (text) => {
    const known = names.get(text);
    if (known !== undefined) return known;
    if (names.size >= MAX_PREPARED || text.length > MAX_TEXT) return undefined;
    if (!seen.has(text)) {
      if (seen.size >= MAX_SEEN) seen.clear();
      seen.add(text);
      return undefined;
    }
    seen.delete(text);
    const name = `parley_${createHash('sha256').update(text).digest('base64url').slice(0, 24)}`;
    names.set(text, name);
    return name;
  };
}

/** Every query a pool's connections run whose config has a text goes through `rewrite` first. */
function rewriteQueries(pool: pg.Pool, rewrite: (config: QueryConfig) => QueryConfig): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, ...rest: unknown[]) =>
      query(isQueryConfig(config) ? rewrite(config) : config, ...rest);
  });
}

/**
 * Makes every statement the pool runs a second time a named prepared statement, so PostgreSQL
 * parses and plans it once per connection instead of on every call, as a hand-written handler
 * with named statements gets.
 */
export function prepareRepeatedStatements(pool: pg.Pool): void {
  const nameOf = repeatedStatementNames();
  rewriteQueries(pool, (config) => {
    if (config.name !== undefined) return config;
    const name = nameOf(config.text);
    return name === undefined ? config : { ...config, name };
  });
}

/**
 * With prepared statements off (a pooler that cannot keep them, PARLEY_PG_PREPARED_STATEMENTS=off),
 * statements their caller named (Drizzle's `.prepare`, `builtOnce`) run unnamed too.
 */
export function runUnprepared(pool: pg.Pool): void {
  rewriteQueries(pool, (config) => {
    if (config.name === undefined) return config;
    const { name: _name, ...unnamed } = config;
    return unnamed;
  });
}
