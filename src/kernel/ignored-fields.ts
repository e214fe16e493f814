import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { fieldsOf, schemaAt, type AnySchema } from './schema-walk.js';

/**
 * The contract ignores fields a request does not know, so an old client keeps
 * working; but a field ignored in silence is a mistake nobody sees
 * (`{"manual_prompt": …}` outside `prompts` answered 200 and changed nothing).
 * So validation notes the fields it dropped, and a write's answer lists them
 * in `warnings`, each with the likely mistake, when its response schema
 * declares that field (`withWarnings`).
 */

/** Where validation leaves the dropped paths on a body it read (not enumerable: the handler never sees it). */
const IGNORED_FIELDS = Symbol('parley.ignoredFields');

/** A body with thousands of unknown keys gets this many warnings, not thousands. */
const MAX_WARNINGS = 50;

export const ignoredFieldWarning = z
  .object({
    code: z.enum(['ignored_field']),
    field: z.string().describe('The ignored field, as a dotted path for a nested one (`prompts.manual_promt`).'),
    message: z.string().describe('Why it was ignored, and what was probably meant.'),
  })
  .meta({ id: 'Warning' });

type Warning = z.infer<typeof ignoredFieldWarning>;

const warnings = z
  .array(ignoredFieldWarning)
  .optional()
  .describe(
    `Fields of the request that were ignored (the contract accepts and ignores unknown fields), each with the likely mistake; at most ${MAX_WARNINGS}. Absent when none were.`,
  );

/** A write's response schema with the optional `warnings` list. */
export function withWarnings<Shape extends z.ZodRawShape>(schema: z.ZodObject<Shape>) {
  return schema.extend({ warnings });
}

/** The paths present in `input` but not in `output`: what validation dropped as unknown. */
export function droppedPaths(input: unknown, output: unknown, path: string[] = []): string[][] {
  if (input === output || typeof input !== 'object' || input === null) return [];
  if (typeof output !== 'object' || output === null) return [];
  if (Array.isArray(input) !== Array.isArray(output)) return [];
  const dropped: string[][] = [];
  if (Array.isArray(input)) {
    const list = output as unknown[];
    for (let index = 0; index < Math.min(input.length, list.length); index++) {
      dropped.push(...droppedPaths(input[index], list[index], [...path, String(index)]));
    }
    return dropped;
  }
  const known = output as Record<string, unknown>;
  for (const [key, value] of Object.entries(input)) {
    if (!Object.hasOwn(known, key)) dropped.push([...path, key]);
    else dropped.push(...droppedPaths(value, known[key], [...path, key]));
    if (dropped.length > MAX_WARNINGS) break;
  }
  return dropped;
}

/** Notes on a validated body the fields dropped from its input. */
export function noteIgnoredFields(input: unknown, body: unknown): void {
  if (typeof body !== 'object' || body === null) return;
  const dropped = droppedPaths(input, body).slice(0, MAX_WARNINGS);
  if (dropped.length > 0) Object.defineProperty(body, IGNORED_FIELDS, { value: dropped });
}

function ignoredIn(body: unknown): string[][] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  return (body as { [IGNORED_FIELDS]?: string[][] })[IGNORED_FIELDS];
}

/** Adds `warnings` to a successful answer whose request had ignored fields; the response schema keeps it or not. */
export function installIgnoredFieldWarnings(app: FastifyInstance): void {
  app.addHook('preSerialization', async (request: FastifyRequest, reply, payload: unknown) => {
    const ignored = ignoredIn(request.body);
    if (!ignored || reply.statusCode >= 300 || !isPlainObject(payload)) return payload;
    const schema = request.routeOptions.schema as
      { body?: AnySchema; response?: Record<string, AnySchema | undefined> } | undefined;
    const response = schema?.response?.[String(reply.statusCode)];
    const found = ignored.map((path) =>
      explain(path, { body: schema?.body, request: request.body, response, payload }),
    );
    return { ...payload, warnings: found };
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Context {
  body: AnySchema | undefined;
  request: unknown;
  response: AnySchema | undefined;
  payload: unknown;
}

/** One ignored field, with the likeliest mistake: a field one level off, a read-only field, a typo. */
export function explain(path: string[], context: Context): Warning {
  const field = path.join('.');
  const name = path.at(-1)!;
  const parent = path.slice(0, -1);
  const warn = (why: string): Warning => ({ code: 'ignored_field', field, message: `${field} was ignored: ${why}` });
  const dotted = (...parts: string[]) => [...parent, ...parts].join('.');

  const here = context.body ? schemaAt(context.body, context.request, parent) : undefined;
  const siblings = here ? (fieldsOf(here.schema, here.value) ?? {}) : {};
  for (const [key, schema] of Object.entries(siblings)) {
    if (fieldsOf(schema, undefined)?.[name]) {
      const example = parent.length === 0 ? `, as {"${key}": {"${name}": …}}` : '';
      return warn(`it goes inside "${dotted(key)}"${example}.`);
    }
  }

  const shown = context.response ? schemaAt(context.response, context.payload, parent) : undefined;
  if (shown && fieldsOf(shown.schema, shown.value)?.[name]) return warn('it is read-only.');

  const guess = closest(name, Object.keys(siblings));
  if (guess) return warn(`there is no such field; did you mean "${dotted(guess)}"?`);
  return warn('there is no such field in this request.');
}

/** The known name a slip most likely meant: a few letters off, or its words a part of the other's. */
function closest(name: string, known: string[]): string | undefined {
  const lowered = name.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const candidate = key.toLowerCase();
    const distance = editDistance(lowered, candidate);
    const near = distance <= Math.max(1, Math.floor(candidate.length / 4));
    if ((near || sharesWords(name, key)) && (!best || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}

/** `token` and `bot_token`, `default_handler` and `default_reply_handler`: one's words all in the other. */
function sharesWords(a: string, b: string): boolean {
  const [fewer, more] = [words(a), words(b)].sort((x, y) => x.length - y.length) as [string[], string[]];
  return fewer.some((word) => word.length >= 4) && fewer.every((word) => more.includes(word));
}

function words(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return Math.abs(a.length - b.length);
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}
