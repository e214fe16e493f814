import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { BadRequestError, ValidationError, type FieldErrors } from './errors.js';
import { noteIgnoredFields } from './ignored-fields.js';
import { core, defType, type AnySchema } from './schema-walk.js';
import { UNSAFE_TEXT_MESSAGE, unsafeTextPaths } from './text.js';

/**
 * Marks a body that arrived form-encoded: its values are all strings (or lists
 * of strings for repeated keys), so they are coerced to the schema's types
 * before validation. JSON bodies are validated as they are, so a JSON string
 * where a number belongs stays a 400.
 */
export const FORM_BODY = Symbol('parley.formBody');

/**
 * `curl -d '{"question": …}'` sends JSON labelled as a form; read as a form it is one key named
 * after the whole text, and the answer would only say every field is missing. A form whose first
 * key opens like JSON is that mistake: no form field's name starts with `{` or `[`.
 */
export function jsonSentAsForm(form: Record<string, unknown>): BadRequestError | undefined {
  const first = Object.keys(form)[0]?.trimStart();
  if (!first || (first[0] !== '{' && first[0] !== '[')) return undefined;
  return new BadRequestError(
    "The body looks like JSON but was sent as a form (application/x-www-form-urlencoded, curl's default for -d). " +
      "Send it with the header content-type: application/json (curl: -H 'content-type: application/json').",
    'json_needs_content_type',
  );
}

export const validatorCompiler: FastifySchemaCompiler<AnySchema> = ({ schema, httpPart }) => {
  return (data: unknown) => {
    let input = data;
    if (httpPart === 'body' && (input === null || input === undefined)) input = {};
    if (httpPart === 'querystring' || (isRecord(input) && FORM_BODY in input)) {
      input = coerceStrings(schema, input);
    }
    const result = schema.safeParse(input);
    if (result.success) {
      const unsafe = unsafeText(schema, result.data);
      if (unsafe) return { error: unsafe };
      if (httpPart === 'body') noteIgnoredFields(input, result.data);
      return { value: result.data };
    }
    return { error: new ValidationError(toFieldErrors(result.error, input)) };
  };
};

/**
 * Every string a route receives (path, query, body, keys too) is checked for
 * the characters Parley refuses (`kernel/text.ts`), whatever its schema, so no
 * route can forget to. The check reads the validated value: unknown fields,
 * which the contract ignores, are already gone. A part declared `z.unknown()`
 * is a platform's own payload (a webhook body): its adapter strips those
 * characters instead.
 */
function unsafeText(schema: AnySchema, input: unknown): ValidationError | undefined {
  const type = defType(core(schema));
  if (type === 'unknown' || type === 'any') return undefined;
  const paths = unsafeTextPaths(input);
  if (paths.length === 0) return undefined;
  const errors: FieldErrors = {};
  for (const path of paths) {
    errors[path.length > 0 ? path.join('.') : 'non_field_errors'] = [UNSAFE_TEXT_MESSAGE];
  }
  return new ValidationError(errors);
}

export function toFieldErrors(error: z.ZodError, input: unknown): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : 'non_field_errors';
    (errors[key] ??= []).push(humanMessage(issue, input));
  }
  return errors;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function humanMessage(issue: z.core.$ZodIssue, input: unknown): string {
  // Zod leaves the offending value out of its issues, so look it up to tell "missing" from "wrong type".
  if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) return 'This field is required.';
  if (issue.code === 'unrecognized_keys') return `Unknown field(s): ${issue.keys.join(', ')}.`;
  return issue.message.endsWith('.') ? issue.message : `${issue.message}.`;
}

function coerceStrings(schema: AnySchema, input: unknown): unknown {
  const target = core(schema);
  const type = defType(target);
  if (type === 'object' && isRecord(input)) {
    const shape = (target as unknown as z.ZodObject).shape;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(input)) {
      const field = shape[key] as AnySchema | undefined;
      out[key] = field ? coerceValue(field, value) : value;
    }
    return out;
  }
  return input;
}

function coerceValue(schema: AnySchema, value: unknown): unknown {
  const target = core(schema);
  const type = defType(target);
  if (type === 'array') {
    const element = (target as unknown as z.ZodArray<AnySchema>).element;
    const list = Array.isArray(value) ? value : [value];
    return list.map((item) => coerceValue(element, item));
  }
  if (typeof value !== 'string') return value;
  switch (type) {
    case 'number': {
      const trimmed = value.trim();
      return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : value;
    }
    case 'boolean': {
      const lowered = value.trim().toLowerCase();
      if (['true', '1', 'on', 'yes'].includes(lowered)) return true;
      if (['false', '0', 'off', 'no'].includes(lowered)) return false;
      return value;
    }
    case 'object':
    case 'record':
      // A nested object can only travel in a form as JSON text.
      try {
        return JSON.parse(value) as unknown;
      } catch {
        return value;
      }
    default:
      return value;
  }
}

function isRecord(value: unknown): value is Record<string | symbol, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
