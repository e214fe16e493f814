import { describe, expect, it } from 'vitest';
import type { EmulatorRequest } from './request.js';
import { bestAnswer, factsOf, simulatedReply } from './simulated.js';

function request(body: Record<string, unknown>): EmulatorRequest {
  return { method: 'generateContent', model: 'gemini-flash-latest', apiKey: 'k', body, headers: {} };
}

function asking(question: string, system: string, extra: Record<string, unknown> = {}): EmulatorRequest {
  return request({
    contents: [{ role: 'user', parts: [{ text: question }] }],
    systemInstruction: { role: 'user', parts: [{ text: system }] },
    ...extra,
  });
}

const SHOP = [
  '# Corner Books',
  '- Address: 12 High Street, next to the station.',
  '- Phone: 555-0100',
  'Q: Do you buy used books? A: Yes, on Tuesdays, paid in store credit.',
  'Question: Can I return a book?',
  'Answer: Within 30 days,',
  'with the receipt.',
  '',
  'Gift cards are sold at the till.',
].join('\n');

describe('factsOf', () => {
  it('reads Q/A pairs (one line or several) and every other line on its own', () => {
    expect(factsOf(SHOP)).toEqual([
      { about: 'Corner Books', answer: 'Corner Books', isFaq: false },
      {
        about: 'Address: 12 High Street, next to the station.',
        answer: 'Address: 12 High Street, next to the station.',
        isFaq: false,
      },
      { about: 'Phone: 555-0100', answer: 'Phone: 555-0100', isFaq: false },
      {
        about: 'Do you buy used books? Yes, on Tuesdays, paid in store credit.',
        answer: 'Yes, on Tuesdays, paid in store credit.',
        isFaq: true,
      },
      {
        about: 'Can I return a book? Within 30 days, with the receipt.',
        answer: 'Within 30 days, with the receipt.',
        isFaq: true,
      },
      { about: 'Gift cards are sold at the till.', answer: 'Gift cards are sold at the till.', isFaq: false },
    ]);
  });
});

describe('bestAnswer', () => {
  it('matches on meaningful words, ignoring case, punctuation, stop words and plural/-ing endings', () => {
    expect(bestAnswer("WHAT'S YOUR ADDRESS??", SHOP)).toBe('Address: 12 High Street, next to the station.');
    expect(bestAnswer('returning books', SHOP)).toBe('Within 30 days, with the receipt.');
    expect(bestAnswer('do you sell gift card?', SHOP)).toBe('Gift cards are sold at the till.');
  });

  it('prefers the fact sharing the most words, and a Q/A pair on a tie', () => {
    const instruction = 'We sell books.\nQ: Which books do you sell?\nA: New and used novels.';
    expect(bestAnswer('what books do you sell', instruction)).toBe('New and used novels.');
    expect(bestAnswer('used novels', 'Novels are upstairs.\nWe sell used novels too.')).toBe(
      'We sell used novels too.',
    );
  });

  it('finds nothing for a question of stop words only, or with no overlap', () => {
    expect(bestAnswer('Hi, what is it?', SHOP)).toBeUndefined();
    expect(bestAnswer('Is parking free?', SHOP)).toBeUndefined();
    expect(bestAnswer('address', '')).toBeUndefined();
  });
});

describe('simulatedReply', () => {
  it('answers the last user turn, with the [Simulated] prefix, the same way every time', () => {
    const body = {
      systemInstruction: { parts: [{ text: SHOP }] },
      contents: [
        { role: 'user', parts: [{ text: 'What is your phone number?' }] },
        { role: 'model', parts: [{ text: '[Simulated] Phone: 555-0100' }] },
        { role: 'user', parts: [{ text: 'and do you buy used books?' }] },
      ],
    };
    const first = simulatedReply(request(body));
    expect(first).toEqual({ text: '[Simulated] Yes, on Tuesdays, paid in store credit.' });
    expect(simulatedReply(request(body))).toEqual(first);
  });

  it('says politely that a person will follow up when it has no answer', () => {
    const reply = simulatedReply(asking('Is parking free?', SHOP));
    expect(reply.text).toMatch(/^\[Simulated\] I'm a simulated model.*A person from the team will follow up/);
  });

  it('calls handover_to_human only when the request declares it', () => {
    const tools = [{ functionDeclarations: [{ name: 'handover_to_human' }] }];
    expect(simulatedReply(asking('I want to speak to a manager', SHOP, { tools }))).toEqual({
      functionCall: { name: 'handover_to_human', args: { reason: 'customer_request' } },
    });
    expect(simulatedReply(asking('I want to speak to a manager', SHOP)).text).toMatch(/^\[Simulated\] /);
  });

  it('acknowledges a function result instead of answering it again', () => {
    const reply = simulatedReply(
      request({
        contents: [
          { role: 'user', parts: [{ text: 'a human please' }] },
          { role: 'model', parts: [{ functionCall: { name: 'handover_to_human', args: {} } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'handover_to_human', response: { ok: true } } }] },
        ],
      }),
    );
    expect(reply.text).toMatch(/^\[Simulated\] .*a person from the team/);
  });

  it('truncates at maxOutputTokens (four characters a token) without splitting a surrogate pair', () => {
    const reply = simulatedReply(asking('gift', 'Gift 12😀 cards', { generationConfig: { maxOutputTokens: 5 } }));
    // 20 characters would end on the emoji's first half, so the cut is one shorter.
    expect(reply).toEqual({ text: '[Simulated] Gift 12', finishReason: 'MAX_TOKENS' });
    const fits = simulatedReply(asking('gift', 'Gift', { generationConfig: { maxOutputTokens: 4 } }));
    expect(fits).toEqual({ text: '[Simulated] Gift' });
  });

  it('leaves section tags and headings out of answers, as Parley frames the prompts', () => {
    const instruction = [
      'Frequently asked questions and their answers:',
      '<faq>',
      'Q: Do you deliver?',
      'A: Yes, in Leeds, same day before 2pm.',
      '</faq>',
    ].join('\n');
    expect(bestAnswer('Do you deliver today?', instruction)).toBe('Yes, in Leeds, same day before 2pm.');
  });
});
