import { GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiError, collect, rpcBody } from '../../test/helpers/genai.js';
import { GeminiEmulator } from './gemini.js';

/** The emulator thinks as Gemini 2.5 does, seen through the real SDK. */
let emulator: GeminiEmulator;
let ai: GoogleGenAI;

beforeAll(async () => {
  emulator = await GeminiEmulator.start({ respond: () => ({ text: 'We open at eight every weekday morning.' }) });
  ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: emulator.url } });
});
afterAll(() => emulator.close());

const ask = (model: string, thinkingBudget: number | undefined, maxOutputTokens = 200) => ({
  model,
  contents: 'When do you open?',
  config: { maxOutputTokens, ...(thinkingBudget === undefined ? {} : { thinkingConfig: { thinkingBudget } }) },
});

describe('thinking in the Gemini emulator', () => {
  it('sends a thought part before the answer and counts its tokens, whole and streamed', async () => {
    const whole = await ai.models.generateContent(ask('gemini-2.5-flash', 50));
    const parts = whole.candidates?.[0]?.content?.parts ?? [];
    expect(parts[0]).toMatchObject({ thought: true });
    expect(whole.text).toBe('We open at eight every weekday morning.');
    expect(whole.usageMetadata?.thoughtsTokenCount).toBe(50);
    expect(whole.candidates?.[0]?.finishReason).toBe('STOP');

    const chunks = await collect(await ai.models.generateContentStream(ask('gemini-2.5-flash', 50)));
    expect(chunks[0]?.candidates?.[0]?.content?.parts).toEqual([expect.objectContaining({ thought: true })]);
    expect(chunks.map((chunk) => chunk.text ?? '').join('')).toBe('We open at eight every weekday morning.');
    expect(chunks.at(-1)?.usageMetadata?.thoughtsTokenCount).toBe(50);
  });

  it('does not think with a budget of 0 or without thinkingConfig', async () => {
    for (const budget of [0, undefined]) {
      const response = await ai.models.generateContent(ask('gemini-2.5-flash', budget));
      expect(response.candidates?.[0]?.content?.parts).toEqual([{ text: 'We open at eight every weekday morning.' }]);
      expect(response.usageMetadata?.thoughtsTokenCount).toBeUndefined();
    }
  });

  it('lets thoughts use up maxOutputTokens: the answer is cut, or only a thought is left', async () => {
    const cut = await ai.models.generateContent(ask('gemini-2.5-flash', 50, 53));
    expect(cut.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(cut.text).toBe('We open at e');

    const onlyThought = await ai.models.generateContent(ask('gemini-2.5-pro', 128, 20));
    expect(onlyThought.candidates?.[0]).toMatchObject({
      finishReason: 'MAX_TOKENS',
      content: { parts: [expect.objectContaining({ thought: true })] },
    });
    expect(onlyThought.text).toBeUndefined();
    expect(onlyThought.usageMetadata?.thoughtsTokenCount).toBe(20);
  });

  it("refuses a budget the model cannot take, in Google's words", async () => {
    const off = await apiError(ai.models.generateContent(ask('gemini-2.5-pro', 0)));
    expect(off.status).toBe(400);
    expect(rpcBody(off)).toMatchObject({
      status: 'INVALID_ARGUMENT',
      message: 'Budget 0 is invalid. This model only works in thinking mode.',
    });
    const tooMuch = await apiError(ai.models.generateContentStream(ask('gemini-2.5-flash', 30_000)));
    expect(rpcBody(tooMuch).message).toBe('The thinking budget (30000) is invalid.');
    // Dynamic thinking (-1) is every model's, and a model the emulator has no range for takes any budget.
    expect((await ai.models.generateContent(ask('gemini-2.5-pro', -1, 1000))).text).toContain('We open');
    expect((await ai.models.generateContent(ask('gemini-flash-latest', 99_999, 2000))).text).toContain('We open');
  });
});
