/**
 * The Gemini emulator's default responder: a deterministic stand-in for a model
 * that answers from the business's own system instruction, so that `parley demo`
 * behaves plausibly with no real model behind it.
 */
import {
  contentsOf,
  declaredFunctions,
  isRecord,
  maxOutputTokens,
  systemInstructionText,
  type EmulatorRequest,
} from './request.js';
import { cutToTokens } from './thinking.js';
import type { EmulatorReply } from './wire.js';

export const SIMULATED_PREFIX = '[Simulated] ';
export const HANDOVER_FUNCTION = 'handover_to_human';

const NO_ANSWER =
  "I'm a simulated model, so I don't have an answer to that. A person from the team will follow up with you here soon.";
const AFTER_HANDOVER = 'Thanks for your patience: a person from the team will pick this up here shortly.';
const ASKS_FOR_PERSON = /\b(human|person|agent|manager|operator|representative|supervisor|someone real)\b/i;

// Words that say nothing about what is asked, so that "what are your hours?" matches on "hours" alone.
const STOP_WORDS = new Set(
  (
    'a about above after again all also am an and any are as at be been before being below between both but by ' +
    'can could did do does doing done for from get got had has have having he her here hers him his how i if in ' +
    'into is it its just know let like may me might more most much must my need no nor not now of off on once ' +
    'only or other our ours out over own please same she should so some such tell than thank thanks that the ' +
    'their them then there these they this those through to too under until up us very want was we were what ' +
    'when where which while who whom why will with would yes you your yours hi hello hey ok okay there'
  ).split(' '),
);

export function simulatedReply(request: EmulatorRequest): EmulatorReply {
  const turn = lastUserTurn(request.body);
  if (turn.answersFunction) return withinLimit(SIMULATED_PREFIX + AFTER_HANDOVER, request.body);
  if (declaredFunctions(request.body).includes(HANDOVER_FUNCTION) && ASKS_FOR_PERSON.test(turn.text)) {
    return { functionCall: { name: HANDOVER_FUNCTION, args: { reason: 'customer_request' } } };
  }
  const answer = bestAnswer(turn.text, systemInstructionText(request.body));
  return withinLimit(SIMULATED_PREFIX + (answer ?? NO_ANSWER), request.body);
}

interface UserTurn {
  text: string;
  answersFunction: boolean;
}

function lastUserTurn(body: unknown): UserTurn {
  const turns = contentsOf(body).filter((content) => isRecord(content) && content.role !== 'model');
  const last = turns[turns.length - 1];
  const parts: unknown[] = isRecord(last) && Array.isArray(last.parts) ? last.parts : [];
  const texts = parts.flatMap((part) => (isRecord(part) && typeof part.text === 'string' ? [part.text] : []));
  return {
    // The newest words are what is asked; a turn's earlier parts are context (a note on the time).
    text: texts.at(-1) ?? '',
    answersFunction: parts.some((part) => isRecord(part) && part.functionResponse !== undefined),
  };
}

/** Cuts the answer at `maxOutputTokens` (four characters a token), as a real model stops mid-sentence. */
function withinLimit(text: string, body: unknown): EmulatorReply {
  const limit = maxOutputTokens(body);
  if (limit === undefined || text.length <= limit * 4) return { text };
  return { text: cutToTokens(text, limit), finishReason: 'MAX_TOKENS' };
}

export interface Fact {
  /** The text compared with the question. */
  about: string;
  /** What the simulated model says when this fact wins. */
  answer: string;
  /** A question-and-answer pair, which wins ties with loose lines. */
  isFaq: boolean;
}

const QUESTION_LINE = /^(?:Q|Question)\s*[:.)]\s*(.*?)\s*(?:\b(?:A|Answer)\s*:\s*(.*))?$/i;
const ANSWER_LINE = /^(?:A|Answer)\s*[:.)]\s*(.*)$/i;
const LIST_MARKER = /^(?:[-*•#>]+\s*|\d+[.)]\s+)/;
/** Section delimiters such as `<faq>` frame the material; they are not part of any fact. */
const SECTION_TAG = /^<\/?[a-z_]+>$/i;
/** A heading line ("Frequently asked questions:") introduces facts without being one. */
const HEADING = /:\s*$/;

/** The facts of a system instruction: its Q/A pairs, and every other line on its own. */
export function factsOf(instruction: string): Fact[] {
  const facts: Fact[] = [];
  let open: { question: string; answer: string[] } | undefined;
  const close = (): void => {
    if (open && open.answer.length > 0) {
      const answer = open.answer.join(' ');
      facts.push({ about: `${open.question} ${answer}`, answer, isFaq: true });
    }
    open = undefined;
  };
  for (const raw of instruction.split(/\r?\n/)) {
    const line = raw.trim().replace(LIST_MARKER, '');
    if (SECTION_TAG.test(line) || (HEADING.test(line) && !QUESTION_LINE.test(line) && !ANSWER_LINE.test(line))) {
      close();
      continue;
    }
    const question = QUESTION_LINE.exec(line);
    const answer = ANSWER_LINE.exec(line);
    if (question) {
      close();
      open = { question: question[1] ?? '', answer: question[2] ? [question[2]] : [] };
    } else if (open && answer) {
      open.answer.push(answer[1] ?? '');
    } else if (open && open.answer.length > 0 && line.length > 0) {
      open.answer.push(line);
    } else {
      close();
      if (line.length > 0) facts.push({ about: line, answer: line, isFaq: false });
    }
  }
  close();
  return facts;
}

/** The answer of the fact sharing the most meaningful words with the question, if any shares one. */
export function bestAnswer(question: string, instruction: string): string | undefined {
  const asked = meaningfulWords(question);
  let best: { fact: Fact; score: number } | undefined;
  for (const fact of factsOf(instruction)) {
    const offered = meaningfulWords(fact.about);
    const score = [...asked].filter((word) => offered.has(word)).length;
    if (score === 0) continue;
    const better = !best || score > best.score || (score === best.score && fact.isFaq && !best.fact.isFaq);
    if (better) best = { fact, score };
  }
  return best?.fact.answer;
}

export function meaningfulWords(text: string): Set<string> {
  const words = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 1 && !STOP_WORDS.has(word));
  return new Set(words.map(stem));
}

/** A crude stemmer, enough for "opening"/"open", "hours"/"hour", "delivered"/"delivery". */
function stem(word: string): string {
  let root = word;
  if (root.length > 4 && root.endsWith('ies')) root = `${root.slice(0, -3)}y`;
  else if (root.length > 3 && root.endsWith('s') && !root.endsWith('ss')) root = root.slice(0, -1);
  const suffix = /(?:ing|ed)$/.exec(root);
  if (suffix && root.length - suffix[0].length >= 3) {
    root = root.slice(0, -suffix[0].length);
    if (/([b-df-hj-np-tv-z])\1$/.test(root)) root = root.slice(0, -1);
  }
  if (root.length > 3 && root.endsWith('y')) root = root.slice(0, -1);
  if (root.length > 3 && root.endsWith('e')) root = root.slice(0, -1);
  return root;
}
