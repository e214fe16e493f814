// The FAQ prompt (`question_answer`) as question/answer pairs, and back to its text.
//
// The format is the one `parley demo` writes and the model reads inside the prompt's <faq>
// section: a line "Q: question" and a line "A: answer", one pair after another. "Question:" and
// "Answer:" are read too, an answer may go on over the next lines, and a question with its answer
// on the same line ("Q: … A: …") is understood. Whatever is not in that form is kept, in its
// place, as text of its own: switching to the structured editor never loses a word.

export interface FaqPair {
  kind: 'pair';
  question: string;
  answer: string;
}

/** Lines that are not a question and answer, kept as they were written. */
export interface FaqText {
  kind: 'text';
  text: string;
}

export type FaqItem = FaqPair | FaqText;

const QUESTION = /^\s*(?:Q|Question)\s*:\s?(.*?)(?:\s+(?:A|Answer)\s*:\s?(.*))?$/i;
const ANSWER = /^\s*(?:A|Answer)\s*:\s?(.*)$/i;

export function parseFaq(source: string): FaqItem[] {
  const items: FaqItem[] = [];
  let pair: { question: string[]; answer: string[] | null } | null = null;
  let text: string[] = [];

  const endPair = () => {
    if (pair) {
      items.push({ kind: 'pair', question: pair.question.join('\n'), answer: (pair.answer ?? []).join('\n') });
    }
    pair = null;
  };
  const endText = () => {
    // Blank lines around a block are spacing, not content.
    while (text.length > 0 && text[0]!.trim() === '') text.shift();
    while (text.length > 0 && text.at(-1)!.trim() === '') text.pop();
    if (text.length > 0) items.push({ kind: 'text', text: text.join('\n') });
    text = [];
  };

  for (const line of source.replace(/\r\n?/g, '\n').split('\n')) {
    const question = QUESTION.exec(line);
    const answer = ANSWER.exec(line);
    if (question) {
      endPair();
      endText();
      pair = { question: [question[1] ?? ''], answer: question[2] === undefined ? null : [question[2]] };
    } else if (pair && line.trim() === '') {
      endPair();
    } else if (pair && pair.answer === null && answer) {
      pair.answer = [answer[1] ?? ''];
    } else if (pair && pair.answer === null) {
      // Before its answer, a line goes on with the question.
      pair.question.push(line);
    } else if (pair && pair.answer) {
      pair.answer.push(line);
    } else {
      text.push(line);
    }
  }
  endPair();
  endText();
  return items;
}

/** Blank lines would end a pair when read back: inside a question or answer they are dropped. */
const withoutBlankLines = (value: string) =>
  value
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .join('\n');

export function formatFaq(items: FaqItem[]): string {
  const blocks: { pair: boolean; text: string }[] = [];
  for (const item of items) {
    if (item.kind === 'text') {
      if (item.text.trim() !== '') blocks.push({ pair: false, text: item.text.trim() });
      continue;
    }
    const question = withoutBlankLines(item.question.trim());
    const answer = withoutBlankLines(item.answer.trim());
    if (!question && !answer) continue;
    blocks.push({ pair: true, text: answer ? `Q: ${question}\nA: ${answer}` : `Q: ${question}` });
  }
  // Pairs follow one another line by line; other text is set off by a blank line, so it reads back as its own.
  return blocks
    .map((block, index) => {
      if (index === 0) return block.text;
      return block.pair && blocks[index - 1]!.pair ? `\n${block.text}` : `\n\n${block.text}`;
    })
    .join('');
}

/** True when the text reads back as it is: the structured editor would not rewrite any of it. */
export function roundTrips(source: string): boolean {
  return formatFaq(parseFaq(source)) === source.trim();
}
