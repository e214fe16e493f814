import { getTableColumns, type InferSelectModel, type Table } from 'drizzle-orm';

/**
 * A row as `row_to_json` gives it, read back as Drizzle reads one: column names to properties,
 * each value through its column's own decoding (timestamps to Dates, bigints to numbers). Lets a
 * statement that does something else return a whole row alongside, in the same round trip.
 */
export function rowFromJson<T extends Table>(table: T, json: Record<string, unknown>): InferSelectModel<T> {
  const row: Record<string, unknown> = {};
  for (const [property, column] of Object.entries(getTableColumns(table))) {
    const value = json[column.name];
    row[property] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as InferSelectModel<T>;
}
