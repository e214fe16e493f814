import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from './errors.js';
import { FORM_BODY, validatorCompiler } from './validation.js';

const schema = z.object({
  conversation_ids: z.array(z.string()).min(1),
  temperature: z.number().min(0).max(1).optional(),
  keep_ai: z.boolean().default(false),
  business_hours: z.object({ timezone: z.string() }).optional(),
});

const validate = (httpPart: string, data: unknown) =>
  validatorCompiler({ schema, httpPart, method: 'PUT', url: '/x' })(data) as {
    value?: unknown;
    error?: ValidationError;
  };

const form = (fields: Record<string, string | string[]>) => ({ ...fields, [FORM_BODY]: true });

describe('request validation', () => {
  it('reads form bodies the way the seed examples send them', () => {
    expect(validate('body', form({ conversation_ids: ['a', 'b'], temperature: '0.2', keep_ai: 'true' })).value).toEqual(
      { conversation_ids: ['a', 'b'], temperature: 0.2, keep_ai: true },
    );
    // One value of a list field is a list of one.
    expect(validate('body', form({ conversation_ids: 'a', keep_ai: 'False' })).value).toEqual({
      conversation_ids: ['a'],
      keep_ai: false,
    });
    // A nested object can only come as JSON text in a form.
    expect(validate('body', form({ conversation_ids: 'a', business_hours: '{"timezone":"UTC"}' })).value).toMatchObject(
      { business_hours: { timezone: 'UTC' } },
    );
  });

  it('coerces query strings the same way', () => {
    expect(validate('querystring', { conversation_ids: 'x', temperature: '1' }).value).toMatchObject({
      conversation_ids: ['x'],
      temperature: 1,
    });
  });

  it('keeps JSON strict: a string where a number belongs is an error', () => {
    const result = validate('body', { conversation_ids: ['a'], temperature: '0.2' });
    expect(result.error).toBeInstanceOf(ValidationError);
    expect(result.error?.errors).toEqual({ temperature: [expect.stringContaining('number')] });
  });

  it('names every bad field, and treats a missing body as empty', () => {
    const bad = validate('body', form({ conversation_ids: [], temperature: 'hot', keep_ai: 'maybe' }));
    expect(Object.keys(bad.error?.errors ?? {}).sort()).toEqual(['conversation_ids', 'keep_ai', 'temperature']);
    expect(validate('body', null).error?.errors).toEqual({ conversation_ids: ['This field is required.'] });
  });
});

describe('refused characters', () => {
  it('are refused in any string of a request, after a form is read', () => {
    const nested = validate('body', form({ conversation_ids: 'a', business_hours: '{"timezone":"UTC\\u0000"}' }));
    expect(nested.error?.errors).toEqual({ 'business_hours.timezone': [expect.stringContaining('NUL')] });
    expect(validate('querystring', { conversation_ids: ['a', 'b\u0000'] }).error?.errors).toEqual({
      'conversation_ids.1': [expect.stringContaining('NUL')],
    });
  });

  it('are no concern in unknown fields, which are dropped', () => {
    expect(validate('body', { conversation_ids: ['a'], 'x\u0000': 'y', note: '\u0000' }).value).toEqual({
      conversation_ids: ['a'],
      keep_ai: false,
    });
  });

  it('are left to the adapter in a part declared unknown: a platform’s own payload', () => {
    const webhook = validatorCompiler({ schema: z.unknown(), httpPart: 'body', method: 'POST', url: '/x' });
    expect(webhook({ message: { text: 'a\u0000b' } })).toEqual({ value: { message: { text: 'a\u0000b' } } });
  });
});
