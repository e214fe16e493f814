import { describe, expect, it } from 'vitest';
import { formatFaq, parseFaq, roundTrips } from '../../web/src/screens/ai/faq.js';

// The prompts screen's FAQ editor reads and writes the same `question_answer` text the model sees.

const DEMO = [
  'Q: Are you open on Sunday?',
  'A: No, we are closed on Sundays. We are open Monday to Saturday from 7:00 to 19:00.',
  'Q: Do you deliver?',
  'A: Yes, within 3 km of the bakery for orders over 15 EUR, between 10:00 and 17:00.',
].join('\n');

describe('the FAQ editor', () => {
  it("reads `parley demo`'s pairs and writes them back exactly", () => {
    expect(parseFaq(DEMO)).toEqual([
      {
        kind: 'pair',
        question: 'Are you open on Sunday?',
        answer: 'No, we are closed on Sundays. We are open Monday to Saturday from 7:00 to 19:00.',
      },
      {
        kind: 'pair',
        question: 'Do you deliver?',
        answer: 'Yes, within 3 km of the bakery for orders over 15 EUR, between 10:00 and 17:00.',
      },
    ]);
    expect(formatFaq(parseFaq(DEMO))).toBe(DEMO);
    expect(roundTrips(DEMO)).toBe(true);
  });

  it('reads the other ways people write pairs: long words, one line, answers over several lines', () => {
    const text = 'Question: Gift cards?\nAnswer: Yes,\nfrom 10 EUR.\nQ: Parking? A: Behind the shop.';
    expect(parseFaq(text)).toEqual([
      { kind: 'pair', question: 'Gift cards?', answer: 'Yes,\nfrom 10 EUR.' },
      { kind: 'pair', question: 'Parking?', answer: 'Behind the shop.' },
    ]);
    expect(formatFaq(parseFaq(text))).toBe('Q: Gift cards?\nA: Yes,\nfrom 10 EUR.\nQ: Parking?\nA: Behind the shop.');
  });

  it('keeps text that is not a question and answer, in its place, and reads the result back the same', () => {
    const text = 'Our FAQ, last checked in May.\n\nQ: Sunday?\nA: Closed.\n\nPrices change in winter.\nAsk us.';
    const items = parseFaq(text);
    expect(items).toEqual([
      { kind: 'text', text: 'Our FAQ, last checked in May.' },
      { kind: 'pair', question: 'Sunday?', answer: 'Closed.' },
      { kind: 'text', text: 'Prices change in winter.\nAsk us.' },
    ]);
    expect(formatFaq(items)).toBe(text);
    expect(parseFaq(formatFaq(items))).toEqual(items);
  });

  it('writes edits so they read back as they were made: blank lines inside a pair dropped, empty pairs left out', () => {
    const items = [
      { kind: 'pair' as const, question: 'Pets?', answer: 'Yes.\n\nOn a lead.' },
      { kind: 'pair' as const, question: '  ', answer: '' },
      { kind: 'pair' as const, question: 'Wi-Fi?', answer: '' },
    ];
    const text = formatFaq(items);
    expect(text).toBe('Q: Pets?\nA: Yes.\nOn a lead.\nQ: Wi-Fi?');
    expect(parseFaq(text)).toEqual([
      { kind: 'pair', question: 'Pets?', answer: 'Yes.\nOn a lead.' },
      { kind: 'pair', question: 'Wi-Fi?', answer: '' },
    ]);
  });

  it('says when reading would tidy the layout, and never loses a word when it does', () => {
    const loose = 'Q: Sunday?\nA: Closed.\n\n\nQ: Monday?\nA: Open.';
    expect(roundTrips(loose)).toBe(false);
    expect(formatFaq(parseFaq(loose))).toBe('Q: Sunday?\nA: Closed.\nQ: Monday?\nA: Open.');
    expect(parseFaq('')).toEqual([]);
    expect(formatFaq([])).toBe('');
  });
});
