import type { z } from 'zod';

/** What a zod schema is, read from its definition: shared by validation and the ignored-field warnings. */
export type AnySchema = z.ZodType;

type Inspectable = AnySchema & { _zod: { def: Record<string, unknown> } };

/** Peels wrappers (optional, default, pipe …) off a schema to find what it holds. */
export function core(schema: AnySchema): AnySchema {
  let current = schema as Inspectable;
  for (let depth = 0; depth < 10; depth++) {
    const def = current._zod.def;
    const inner = (def.innerType ?? (def.type === 'pipe' ? def.in : undefined)) as Inspectable | undefined;
    if (!inner) break;
    current = inner;
  }
  return current;
}

export function defType(schema: AnySchema): string {
  return (schema as Inspectable)._zod.def.type;
}

/**
 * The fields an object schema knows, by name; for a union, those of the branch
 * `value` (the validated value) was read with. Undefined when the schema is not
 * an object (a record's keys are not fields).
 */
export function fieldsOf(schema: AnySchema, value: unknown): Record<string, AnySchema> | undefined {
  const target = core(schema);
  const type = defType(target);
  if (type === 'object') return (target as unknown as z.ZodObject).shape;
  if (type === 'union') {
    const keys = value !== null && typeof value === 'object' ? Object.keys(value) : [];
    const options = (target as Inspectable)._zod.def.options as AnySchema[];
    for (const option of options) {
      const fields = fieldsOf(option, value);
      if (fields && keys.every((key) => key in fields)) return fields;
    }
  }
  return undefined;
}

/** The schema of what sits at `path` (object fields, list items), with the value found there. */
export function schemaAt(
  schema: AnySchema,
  value: unknown,
  path: readonly string[],
): { schema: AnySchema; value: unknown } | undefined {
  let current = schema;
  let at = value;
  for (const key of path) {
    const target = core(current);
    if (defType(target) === 'array' && Array.isArray(at)) {
      current = (target as unknown as z.ZodArray<AnySchema>).element;
      at = at[Number(key)];
      continue;
    }
    const field = fieldsOf(current, at)?.[key];
    if (!field) return undefined;
    current = field;
    at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  }
  return { schema: current, value: at };
}
