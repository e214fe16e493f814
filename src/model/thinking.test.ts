import { describe, expect, it } from 'vitest';
import { outputLimitWithThinking, thinkingBudgetFor, thinkingBudgetProblem, thinkingRange } from './thinking.js';

/** A business's thinking budget against each model's range as Google documents it. */

describe('the thinking budget sent', () => {
  it('is the business’s own when set, for any model', () => {
    expect(thinkingBudgetFor('gemini-2.5-flash', 512)).toBe(512);
    expect(thinkingBudgetFor('gemini-2.5-pro', 4_096)).toBe(4_096);
    expect(thinkingBudgetFor('gemini-flash-latest', 0)).toBe(0);
  });

  it('without one, turns thinking off where the model allows it, else takes its smallest', () => {
    expect(thinkingBudgetFor('gemini-2.5-flash', null)).toBe(0);
    expect(thinkingBudgetFor('gemini-2.5-flash-lite', null)).toBe(0);
    expect(thinkingBudgetFor('gemini-2.5-pro', null)).toBe(128);
  });

  it('without one, is left to Google for a model Parley does not know, names of Object’s own included', () => {
    expect(thinkingBudgetFor('gemini-flash-latest', null)).toBeUndefined();
    expect(thinkingRange('constructor')).toBeUndefined();
    expect(thinkingBudgetFor('toString', null)).toBeUndefined();
  });
});

describe('a thinking budget a model cannot take', () => {
  it('is refused outside the model’s range, naming it, and taken at both ends', () => {
    const flash = 'gemini-2.5-flash takes a thinking budget of 0 (thinking off) or 1 to 24576 tokens.';
    expect(thinkingBudgetProblem('gemini-2.5-flash', 1)).toBeUndefined();
    expect(thinkingBudgetProblem('gemini-2.5-flash', 24_576)).toBeUndefined();
    expect(thinkingBudgetProblem('gemini-2.5-flash', 24_577)).toBe(flash);
    expect(thinkingBudgetProblem('gemini-2.5-flash-lite', 512)).toBeUndefined();
    expect(thinkingBudgetProblem('gemini-2.5-flash-lite', 511)).toBe(
      'gemini-2.5-flash-lite takes a thinking budget of 0 (thinking off) or 512 to 24576 tokens.',
    );
    expect(thinkingBudgetProblem('gemini-2.5-pro', 32_768)).toBeUndefined();
    expect(thinkingBudgetProblem('gemini-2.5-pro', 127)).toBe(
      'gemini-2.5-pro takes a thinking budget of 128 to 32768 tokens (gemini-2.5-pro cannot turn thinking off).',
    );
  });

  it('is 0 only where thinking can be turned off', () => {
    expect(thinkingBudgetProblem('gemini-2.5-flash-lite', 0)).toBeUndefined();
    expect(thinkingBudgetProblem('gemini-2.5-pro', 0)).toMatch(/cannot turn thinking off/);
  });

  it('is never refused when unset or for a model Parley does not know (Google has the last word)', () => {
    expect(thinkingBudgetProblem('gemini-2.5-pro', null)).toBeUndefined();
    expect(thinkingBudgetProblem('gemini-flash-latest', 999_999)).toBeUndefined();
  });
});

describe('the output limit sent', () => {
  it('keeps max_tokens for the answer and adds the thinking budget on top', () => {
    expect(outputLimitWithThinking(300, 0)).toBe(300);
    expect(outputLimitWithThinking(300, 128)).toBe(428);
    expect(outputLimitWithThinking(300, undefined)).toBe(300);
  });

  it('never shrinks the answer’s room for a negative budget (Google’s “dynamic”, -1)', () => {
    expect(outputLimitWithThinking(300, -1)).toBe(300);
  });
});
