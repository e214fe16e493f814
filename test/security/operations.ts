import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/**
 * The API's operations, read from its own OpenAPI document, and requests
 * derived from their schemas: valid examples to reach a handler, malformed
 * variants to probe what happens before and behind it. A route added to the
 * document is covered by every sweep built on this module without a change
 * here, unless it brings something new (a path parameter, a reason for 403),
 * and then the sweeps fail and say what to add.
 */

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  $ref?: string;
  default?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  pattern?: string;
};

/** Who may call an operation: anyone, any business with a token, or administrators only. */
export type Access = 'public' | 'authenticated' | 'admin';

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The path template as documented, e.g. `/api/v1/conversations/{conversation_id}/`. */
  path: string;
  /** `METHOD path`, how failures name the operation. */
  name: string;
  access: Access;
  pathParams: string[];
  queryParams: Parameter[];
  /** The JSON request body's schema ($refs resolved), when the operation takes one. */
  body?: JsonSchema;
  /** The documented response statuses. */
  statuses: string[];
}

/**
 * Operations that only administrators may call: each calls `requireAdmin`
 * (src/auth/authenticate.ts). Whether a route is an admin's is not in the
 * document, so it is listed here, and the sweep checks both ways: a listed
 * operation must answer 403 to a business, and a token-protected operation
 * that documents a 403 must be listed here or in FORBIDDEN_FOR_OTHER_REASONS.
 */
export const ADMIN_ONLY = new Set([
  'GET /api/v1/ai/usage/global/',
  'GET /api/v1/ai/usage/quotas/{username}/',
  'PUT /api/v1/ai/usage/quotas/{username}/',
]);

/** Token-protected operations whose documented 403 is not about being an administrator. */
export const FORBIDDEN_FOR_OTHER_REASONS = new Map([['GET /ws/', 'a browser page from an origin that is not allowed']]);

interface OpenApiOperation {
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, unknown>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Every documented operation of the app, classified by who may call it. */
export async function loadOperations(app: FastifyInstance): Promise<Operation[]> {
  const response = await app.inject({ method: 'GET', url: '/api/openapi.json' });
  if (response.statusCode !== 200) throw new Error(`GET /api/openapi.json answered ${response.statusCode}`);
  const document = response.json<OpenApiDocument>();
  const schemas = document.components?.schemas ?? {};
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const lower of METHODS) {
      const spec = item[lower];
      if (!spec) continue;
      const method = lower.toUpperCase() as Operation['method'];
      const name = `${method} ${path}`;
      const parameters = spec.parameters ?? [];
      const secured = (spec.security ?? []).some((requirement) => Object.keys(requirement).length > 0);
      const body = spec.requestBody?.content?.['application/json']?.schema;
      operations.push({
        method,
        path,
        name,
        access: !secured ? 'public' : ADMIN_ONLY.has(name) ? 'admin' : 'authenticated',
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!),
        queryParams: parameters.filter((parameter) => parameter.in === 'query'),
        ...(body ? { body: resolve(body, schemas) } : {}),
        statuses: Object.keys(spec.responses ?? {}),
      });
    }
  }
  return operations;
}

/** The schema with every `$ref` to `#/components/schemas/…` replaced by what it names. */
function resolve(schema: JsonSchema, schemas: Record<string, JsonSchema>, depth = 0): JsonSchema {
  if (depth > 8) return {};
  if (schema.$ref) {
    const target = schemas[schema.$ref.replace('#/components/schemas/', '')];
    return target ? resolve(target, schemas, depth + 1) : {};
  }
  const out: JsonSchema = { ...schema };
  if (schema.properties) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([key, value]) => [key, resolve(value, schemas, depth + 1)]),
    );
  }
  if (schema.items) out.items = resolve(schema.items, schemas, depth + 1);
  if (schema.anyOf) out.anyOf = schema.anyOf.map((branch) => resolve(branch, schemas, depth + 1));
  if (schema.oneOf) out.oneOf = schema.oneOf.map((branch) => resolve(branch, schemas, depth + 1));
  return out;
}

/** The URL of an operation with its path parameters filled in (URL-encoded) from `values`. */
export function fillPath(operation: Operation, values: Record<string, string>, raw: Record<string, string> = {}) {
  return operation.path.replace(/\{([^}]+)\}/g, (_whole, name: string) => {
    if (name in raw) return raw[name]!;
    const value = values[name];
    if (value === undefined) throw new Error(`no value for path parameter {${name}} of ${operation.name}`);
    return encodeURIComponent(value);
  });
}

/** Path parameters of these operations that `values` has nothing for. */
export function unknownPathParams(operations: Operation[], values: Record<string, string>): string[] {
  return operations.flatMap((operation) =>
    operation.pathParams.filter((name) => values[name] === undefined).map((name) => `{${name}} in ${operation.name}`),
  );
}

/** Values of fields a generic generator cannot guess: patterns, and switches that depend on other fields. */
const EXAMPLES: Record<string, unknown> = {
  model_name: 'gemini-flash-latest',
  bot_token: '123456789:AAsecuritySweepExampleBotToken00',
  ig_user_id: '17841400000000000',
  access_token: 'IGsecuritySweepExampleAccessToken',
  // Enabled business hours need the hours themselves; the AI stays on so handing a conversation to it is allowed.
  business_hours_enabled: false,
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

/** What is wrong with an error response, or `undefined` when it has the contract's shape. */
export function errorShapeProblem(response: LightMyRequestResponse): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    return 'the body is not JSON';
  }
  if (typeof body !== 'object' || body === null) return 'the body is not an object';
  const { detail, code, errors } = body as Record<string, unknown>;
  if (typeof detail !== 'string' || detail === '') return 'no "detail" string';
  if (typeof code !== 'string' || code === '') return 'no "code" string';
  if (errors !== undefined) {
    const valid =
      typeof errors === 'object' &&
      errors !== null &&
      Object.values(errors).every((list) => Array.isArray(list) && list.every((item) => typeof item === 'string'));
    if (!valid) return '"errors" is not {field: [message]}';
  }
  return undefined;
}

/** One line describing a request and its answer, for failure lists. */
export function describeExchange(request: SweepRequest, response: LightMyRequestResponse): string {
  const shorten = (text: string) => (text.length > 160 ? `${text.slice(0, 160)}… (${text.length} chars)` : text);
  const payload = request.payload === undefined ? '' : ` ${shorten(request.payload)}`;
  const contentType = request.headers?.['content-type'];
  return (
    `${request.method} ${shorten(request.url)}${contentType ? ` [${contentType}]` : ''}${payload}` +
    ` → ${response.statusCode} ${shorten(response.body)}`
  );
}

export interface SweepFailure {
  operation: string;
  probe: string;
  problem: string;
  exchange: string;
}

/**
 * Sends every malformed probe of every operation and returns what went
 * wrong: a 5xx, a success where a refusal belongs, a refusal not in the error
 * shape, or a 401/403 where the caller's token should have let it through.
 * `tokenFor` gives the token to send for an operation (none for public ones).
 */
export async function sweepOperations(
  app: FastifyInstance,
  operations: Operation[],
  options: { values: Record<string, string>; tokenFor: (operation: Operation) => string | undefined },
): Promise<{ failures: SweepFailure[]; probes: number }> {
  const failures: SweepFailure[] = [];
  let probes = 0;
  for (const operation of operations) {
    const token = options.tokenFor(operation);
    if (operation.body) {
      // Each probe spoils one part of a valid request: if the generator cannot build a valid one, they prove nothing.
      const request = { method: operation.method, url: fillPath(operation, options.values), ...bodyOf(operation) };
      if (token) request.headers = { ...request.headers, authorization: `Bearer ${token}` };
      const response = await app.inject(request);
      if (response.statusCode === 400 && response.json<{ code?: string }>().code === 'validation_error') {
        failures.push({
          operation: operation.name,
          probe: 'the valid request the probes start from',
          problem: 'refused as invalid: teach example() (or EXAMPLES) to build this body',
          exchange: describeExchange(request, response),
        });
      }
    }
    for (const probe of malformedProbes(operation, options.values)) {
      probes++;
      const headers = { ...probe.request.headers };
      if (token) headers.authorization = `Bearer ${token}`;
      const request = { ...probe.request, headers };
      let response: LightMyRequestResponse;
      try {
        response = await app.inject(request);
      } catch (error) {
        failures.push({
          operation: operation.name,
          probe: probe.label,
          problem: `the request threw: ${String(error)}`,
          exchange: `${request.method} ${request.url}`,
        });
        continue;
      }
      const problem = probeProblem(operation, probe, response, token !== undefined);
      if (problem) {
        failures.push({
          operation: operation.name,
          probe: probe.label,
          problem,
          exchange: describeExchange(probe.request, response),
        });
      }
    }
  }
  return { failures, probes };
}

function probeProblem(
  operation: Operation,
  probe: Probe,
  response: LightMyRequestResponse,
  authenticated: boolean,
): string | undefined {
  const status = response.statusCode;
  if (status >= 500) return `answered ${status}`;
  if (status < 400) return probe.expect === '4xx' ? `accepted it (${status})` : undefined;
  if (authenticated && (status === 401 || status === 403) && !probe.credential) {
    return `answered ${status} to a caller allowed to use ${operation.name}`;
  }
  const shape = errorShapeProblem(response);
  return shape ? `answered ${status} without the error shape: ${shape}` : undefined;
}
