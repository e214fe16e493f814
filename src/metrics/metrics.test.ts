import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeminiFake } from '../../test/fakes/gemini.js';
import { createGeminiProvider } from '../model/gemini.client.js';
import { ModelError, type ModelRequest } from '../model/model-provider.js';
import { instrumentModel } from './instrument-model.js';
import { createMetrics } from './metrics.js';

let gemini: GeminiFake;

beforeAll(async () => {
  gemini = await GeminiFake.start({ apiKey: 'k' });
});
afterAll(() => gemini.close());

const request = (model: string): ModelRequest => ({
  model,
  systemInstruction: 'Be brief.',
  contents: [{ role: 'user', text: 'hi' }],
  temperature: 0,
  maxOutputTokens: 64,
});

const provider = () =>
  createGeminiProvider({ apiKey: 'k', baseUrl: gemini.url, policy: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 } });

describe('instrumentModel', () => {
  it('counts a streamed answer with its tokens, and passes the text through', async () => {
    const metrics = createMetrics();
    const model = instrumentModel(provider(), metrics);
    gemini.enqueue({
      text: 'Hello there.',
      usage: { promptTokenCount: 9, candidatesTokenCount: 3, totalTokenCount: 12 },
    });
    let streamed = '';
    const result = await model.stream(request('gemini-flash-latest'), (delta) => (streamed += delta));
    expect(result).toMatchObject({ kind: 'text', text: 'Hello there.' });
    expect(streamed).toBe('Hello there.');
    const text = await metrics.scrape();
    expect(text).toContain('parley_model_calls_total{model="gemini-flash-latest",outcome="text"} 1');
    expect(text).toContain('parley_model_tokens_total{model="gemini-flash-latest",kind="prompt"} 9');
    expect(text).toContain('parley_model_tokens_total{model="gemini-flash-latest",kind="completion"} 3');
  });

  it('counts a failed call by its error class and rethrows it unchanged', async () => {
    const metrics = createMetrics();
    const model = instrumentModel(provider(), metrics);
    gemini.enqueue({ error: { status: 400, message: 'Invalid JSON payload' } });
    const error = await model.generate(request('gemini-flash-latest')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).errorClass).toBe('invalid_request');
    const text = await metrics.scrape();
    expect(text).toContain('parley_model_errors_total{model="gemini-flash-latest",error_class="invalid_request"} 1');
    expect(text).toContain('parley_model_calls_total{model="gemini-flash-latest",outcome="error"} 1');
  });

  it('leaves "no model configured" as it is', () => {
    expect(instrumentModel(undefined, createMetrics())).toBeUndefined();
  });
});

describe('model labels', () => {
  it('stop growing past a cap: businesses name their models, Prometheus pays per series', async () => {
    const metrics = createMetrics();
    for (let i = 0; i < 60; i++) metrics.modelError(`custom-model-${i}`, 'model_not_found');
    const text = await metrics.scrape();
    const series = text.split('\n').filter((line) => line.startsWith('parley_model_errors_total{'));
    expect(series).toHaveLength(51);
    expect(text).toContain('parley_model_errors_total{model="other",error_class="model_not_found"} 10');
  });
});
