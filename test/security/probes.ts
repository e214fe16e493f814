import { fillPath, type JsonSchema, type Operation } from './operations.js';

/**
 * Requests derived from an operation's schemas: a valid example to start
 * from, and malformed variants that each spoil one part of it.
 */

/** Values of fields a generic generator cannot guess: patterns, and switches that depend on other fields. */
const EXAMPLES: Record<string, unknown> = {
  model_name: 'gemini-flash-latest',
  bot_token: '123456789:AAsecuritySweepExampleBotToken00',
  ig_user_id: '17841400000000000',
  access_token: 'IGsecuritySweepExampleAccessToken',
  // Enabled business hours need the hours themselves; the AI stays on so handing a conversation to it is allowed.
  business_hours_enabled: false,
  // IANA names only (the hours preview needs one).
  timezone: 'Europe/Lisbon',
  // A business an administrator creates: the names `parley createuser` accepts.
  username: 'sweep_shop',
  email: 'owner@sweep.example',
  // A website widget's settings and a visitor's message.
  allowed_origins: ['https://shop.example'],
  colour: '#2f6f4f',
  language: 'en',
  client_id: 'sweep-1',
};

/** The first branch of a `oneOf` or `anyOf`, or `null` where `null` is allowed. */
function branchOf(schema: JsonSchema): JsonSchema {
  const branches = schema.oneOf ?? schema.anyOf;
  if (!branches) return schema;
  return branches.find((branch) => branch.type === 'null') ?? branches[0] ?? {};
}

/** A value valid for `schema`, every documented property filled in. */
export function example(schema: JsonSchema, field?: string): unknown {
  if (field !== undefined && field in EXAMPLES) return EXAMPLES[field];
  const chosen = branchOf(schema);
  if (chosen !== schema) return example(chosen, field);
  if (schema.default !== undefined) return schema.default;
  if (schema.enum) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return true;
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'string': {
      const text = 'security sweep';
      const min = schema.minLength ?? 0;
      return (text.length < min ? text.padEnd(min, 'x') : text).slice(0, schema.maxLength ?? text.length);
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => example(schema.items ?? {}));
    case 'object':
    default:
      if (!schema.properties) return {};
      return Object.fromEntries(Object.entries(schema.properties).map(([key, value]) => [key, example(value, key)]));
  }
}

/** A request as the sweeps send it: always a string URL and, if any, a string body. */
export interface SweepRequest {
  method: Operation['method'];
  url: string;
  headers?: Record<string, string>;
  payload?: string;
}

export interface Probe {
  /** What the probe does, for failure reports. */
  label: string;
  request: SweepRequest;
  /**
   * `4xx`: the request is wrong and must be refused in the error shape.
   * `not-5xx`: the request may be valid (an edge of a documented range);
   * it may succeed or be refused, but not break the server.
   */
  expect: '4xx' | 'not-5xx';
  /** The probe alters a credential (a `token` query parameter), so a 401 is a fair answer. */
  credential?: boolean;
}

const NUL = '\u0000';
const CONTROL = '\u001b';
const LONE_SURROGATE = '\ud800';
const HUGE = 'x'.repeat(200_000);

type Field = { path: string[]; schema: JsonSchema };

/** The properties of a body, nested objects' properties included, with the path to each. */
function fieldsOf(schema: JsonSchema, prefix: string[] = []): Field[] {
  const chosen = schema.oneOf ? (schema.oneOf[0] ?? {}) : schema;
  return Object.entries(chosen.properties ?? {}).flatMap(([key, value]) => {
    const path = [...prefix, key];
    const nested = value.properties && prefix.length < 2 ? fieldsOf(value, path) : [];
    return [{ path, schema: value }, ...nested];
  });
}

function withValue(base: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  if (value === undefined) delete at[path.at(-1)!];
  else at[path.at(-1)!] = value;
  return copy;
}

/** The types a field's schema allows, its branches' included. */
function typesOf(schema: JsonSchema): string[] {
  const branches = schema.oneOf ?? schema.anyOf ?? [schema];
  return branches.flatMap((branch) => {
    if (branch.enum) return ['enum'];
    if (branch.properties) return ['object'];
    if (Array.isArray(branch.type)) return branch.type;
    return branch.type ? [branch.type] : [];
  });
}

/** A value of a type the field does not allow. */
function wrongType(schema: JsonSchema): unknown {
  const types = typesOf(schema);
  if (types.length === 0) return undefined;
  if (types.includes('string') || types.includes('enum')) return { not: 'a string' };
  if (types.includes('integer') || types.includes('number')) return 'not a number';
  if (types.includes('boolean')) return 'maybe';
  if (types.includes('array')) return 'not a list';
  return 'not an object';
}

function maxLengthOf(schema: JsonSchema): number | undefined {
  const branches = schema.oneOf ?? schema.anyOf ?? [schema];
  const lengths = branches.map((branch) => branch.maxLength).filter((length) => length !== undefined);
  return lengths.length > 0 ? Math.max(...lengths) : undefined;
}

const isString = (schema: JsonSchema) => typesOf(schema).includes('string');

/** Form encoding of an object's top-level values, with `raw` for one field already percent-encoded. */
function formOf(body: Record<string, unknown>, field: string, raw: string): string {
  return Object.entries(body)
    .filter(([key, value]) => key !== field && value !== null && typeof value !== 'object')
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
    .concat(`${encodeURIComponent(field)}=${raw}`)
    .join('&');
}

/**
 * Malformed requests for an operation, derived from its schemas, each a
 * variant of a valid request to `fillPath(operation, values)`.
 */
export function malformedProbes(operation: Operation, values: Record<string, string>): Probe[] {
  const probes: Probe[] = [];
  const url = fillPath(operation, values);
  const json = { 'content-type': 'application/json' };

  for (const name of operation.pathParams) {
    const path = (raw: string) => fillPath(operation, values, { [name]: raw });
    for (const [label, raw] of [
      ['NUL (%00)', '%00'],
      ['NUL after a real value (…%00)', `${encodeURIComponent(values[name] ?? 'x')}%00`],
      ['a control character (%1B)', '%1B'],
      ['..', '..'],
      ['%2e%2e', '%2e%2e'],
      ['invalid UTF-8 (%FF)', '%FF'],
      ['a lone surrogate (%ED%A0%80)', '%ED%A0%80'],
      ['101 characters', 'a'.repeat(101)],
      ['10,000 characters', 'a'.repeat(10_000)],
    ] as const) {
      probes.push({
        label: `path {${name}} = ${label}`,
        request: { method: operation.method, url: path(raw), ...bodyOf(operation) },
        expect: '4xx',
      });
    }
  }

  for (const parameter of operation.queryParams) {
    const credential = parameter.name === 'token';
    const query = (raw: string) => `${url}?${encodeURIComponent(parameter.name)}=${raw}`;
    const add = (label: string, raw: string, expect: Probe['expect'] = '4xx') =>
      probes.push({
        label: `query ${parameter.name}=${label}`,
        request: { method: operation.method, url: query(raw), ...bodyOf(operation) },
        expect,
        credential,
      });
    const types = typesOf(parameter.schema);
    if (types.includes('integer') || types.includes('number')) {
      add('-1', '-1');
      if ((parameter.schema.minimum ?? 0) > 0) add('0', '0');
      add('1.5', '1.5');
      add('abc', 'abc');
      add('1e400', '1e400');
      add('99999999999999999999999', '99999999999999999999999');
      add('%00', '%00');
      add('1%00', '1%00');
      if (parameter.schema.maximum !== undefined) {
        add(`its maximum (${parameter.schema.maximum})`, String(parameter.schema.maximum), 'not-5xx');
        add(`past its maximum`, String(parameter.schema.maximum + 1));
      }
    }
    if (types.includes('boolean')) add('maybe', 'maybe');
    if (types.includes('enum')) add('bogus', 'bogus');
    if (types.includes('string') || types.includes('enum')) {
      add('%00', '%00');
      add('%1B', 'x%1Bx');
      add('invalid UTF-8 (%FF)', '%FF', 'not-5xx');
      const max = maxLengthOf(parameter.schema);
      if (max !== undefined) add(`${max + 1} characters`, 'x'.repeat(max + 1));
    }
  }

  if (operation.body) {
    const base = example(operation.body);
    const send = (label: string, payload: unknown, expect: Probe['expect'] = '4xx') =>
      probes.push({
        label: `body ${label}`,
        request: { method: operation.method, url, headers: json, payload: JSON.stringify(payload) },
        expect,
      });
    probes.push(
      {
        label: 'body invalid JSON',
        request: { method: operation.method, url, headers: json, payload: '{"a": ' },
        expect: '4xx',
      },
      {
        label: 'body text/plain',
        request: { method: operation.method, url, headers: { 'content-type': 'text/plain' }, payload: 'hello' },
        expect: '4xx',
      },
      {
        label: 'body application/xml',
        request: { method: operation.method, url, headers: { 'content-type': 'application/xml' }, payload: '<a/>' },
        expect: '4xx',
      },
      {
        label: 'body with a malformed content type',
        request: { method: operation.method, url, headers: { 'content-type': '/;;' }, payload: '{}' },
        expect: '4xx',
      },
      {
        label: 'body larger than 1 MiB',
        request: {
          method: operation.method,
          url,
          headers: json,
          payload: JSON.stringify({ padding: 'x'.repeat(1024 * 1024) }),
        },
        expect: '4xx',
      },
    );
    const typed = typesOf(operation.body).length > 0;
    if (typed) {
      send('a JSON list', [base]);
      send('a JSON string', 'text');
      send('JSON null', null, 'not-5xx');
      send('a key with NUL', withValue(base, [`key${NUL}`], 'x'), 'not-5xx');
    }
    const required = new Set((operation.body.oneOf?.[0] ?? operation.body).required ?? []);
    for (const { path, schema } of fieldsOf(operation.body)) {
      const field = path.join('.');
      const bad = wrongType(schema);
      if (bad !== undefined) send(`${field} of the wrong type (${JSON.stringify(bad)})`, withValue(base, path, bad));
      if (path.length === 1 && required.has(field)) send(`without ${field}`, withValue(base, path, undefined));
      if (!isString(schema)) continue;
      const valid = example(schema, path.at(-1));
      const text = typeof valid === 'string' ? valid : 'x';
      const max = maxLengthOf(schema);
      if (max !== undefined) send(`${field} of ${max + 1} characters`, withValue(base, path, 'x'.repeat(max + 1)));
      send(`${field} of 200,000 characters`, withValue(base, path, HUGE));
      send(`${field} with NUL`, withValue(base, path, `${text}${NUL}`));
      send(`${field} with ESC`, withValue(base, path, `${text}${CONTROL}`));
      send(`${field} with a lone surrogate`, withValue(base, path, `${text}${LONE_SURROGATE}`));
      if (path.length === 1 && typeof base === 'object' && base !== null) {
        for (const [label, raw] of [
          ['%00', `${encodeURIComponent(text)}%00`],
          ['%01', `${encodeURIComponent(text)}%01`],
        ] as const) {
          probes.push({
            label: `form body ${field} with ${label}`,
            request: {
              method: operation.method,
              url,
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              payload: formOf(base as Record<string, unknown>, field, raw),
            },
            expect: '4xx',
          });
        }
      }
    }
  }
  return probes;
}

/** A valid JSON body for the operation, if it takes one. */
export function bodyOf(operation: Operation): Pick<SweepRequest, 'headers' | 'payload'> {
  if (!operation.body) return {};
  return { headers: { 'content-type': 'application/json' }, payload: JSON.stringify(example(operation.body)) };
}
