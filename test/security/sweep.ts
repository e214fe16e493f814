import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { fillPath, type Operation } from './operations.js';
import { bodyOf, malformedProbes, type Probe, type SweepRequest } from './probes.js';

/** Sending probes and judging the answers against the error contract (`{detail, code, errors?}`). */

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
  options: {
    values: Record<string, string>;
    tokenFor: (operation: Operation) => string | undefined;
    /** Headers an operation needs to get past its gate (a widget's Origin and visitor token). */
    headersFor?: (operation: Operation) => Record<string, string> | undefined;
  },
): Promise<{ failures: SweepFailure[]; probes: number }> {
  const failures: SweepFailure[] = [];
  let probes = 0;
  for (const operation of operations) {
    const token = options.tokenFor(operation);
    const gate = options.headersFor?.(operation) ?? {};
    if (operation.body) {
      // Each probe spoils one part of a valid request: if the generator cannot build a valid one, they prove nothing.
      const request = { method: operation.method, url: fillPath(operation, options.values), ...bodyOf(operation) };
      request.headers = { ...gate, ...request.headers };
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
      const headers = { ...gate, ...probe.request.headers };
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
