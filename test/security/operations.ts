import type { FastifyInstance } from 'fastify';

/**
 * The API's operations, read from its own OpenAPI document and classified by
 * who may call them (requests derived from their schemas are in probes.ts,
 * the malformed-input sweep in sweep.ts). A route added to the document is
 * covered by every sweep built on these without a change here, unless it
 * brings something new (a path parameter, a reason for 403), and then the
 * sweeps fail and say what to add.
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
  'GET /api/v1/admin/businesses/',
  'POST /api/v1/admin/businesses/',
  'GET /api/v1/admin/businesses/{business_id}/',
  'GET /api/v1/admin/system/',
]);

/** Token-protected operations whose documented 403 is not about being an administrator. */
export const FORBIDDEN_FOR_OTHER_REASONS = new Map([
  ['GET /ws/', 'a browser page from an origin that is not allowed'],
  ['DELETE /api/v1/auth/session/', 'a sign-out without the CSRF token or from another site (csrf_failed)'],
]);

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
