/**
 * What text Parley takes in. PostgreSQL refuses NUL in text and JSON, the
 * other C0 controls are invisible noise that can hide what a message says,
 * and an unpaired surrogate is not a character at all (it reaches the
 * database as U+FFFD). So requests carrying any of them are refused at the
 * edge, and customers' messages arriving from a platform, which are not
 * theirs to retry, are stored with them stripped. Tab, LF and CR stay.
 */

// eslint-disable-next-line no-control-regex -- these control characters are exactly what is refused
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSAFE = new RegExp(`${CONTROL.source}|${LONE_SURROGATE.source}`);
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');

export const UNSAFE_TEXT_MESSAGE = 'Control characters (such as NUL) and unpaired surrogates are not accepted.';

/** Whether `text` holds a character Parley refuses. */
export function hasUnsafeCharacters(text: string): boolean {
  return UNSAFE.test(text);
}

/** `text` without the characters Parley refuses: for text that must be kept, such as a customer's message. */
export function stripUnsafeCharacters(text: string): string {
  return text.replace(UNSAFE_ALL, '');
}

interface Visit {
  value: unknown;
  key?: string;
  parent?: Visit;
}

function pathOf(visit: Visit | undefined): string[] {
  const path: string[] = [];
  for (let at = visit; at?.key !== undefined; at = at.parent) path.unshift(at.key);
  return path;
}

/**
 * The path of each string in `value` (keys included) that holds a refused
 * character, up to `limit` of them; `[]` for clean input. Walks without recursion, and keeps each
 * path as a link to its parent, as a 1 MiB body can nest very deep.
 */
export function unsafeTextPaths(value: unknown, limit = 20): string[][] {
  const found: string[][] = [];
  const pending: Visit[] = [{ value }];
  for (let visit = pending.pop(); visit && found.length < limit; visit = pending.pop()) {
    const current = visit.value;
    if (typeof current === 'string') {
      if (hasUnsafeCharacters(current)) found.push(pathOf(visit));
    } else if (typeof current === 'object' && current !== null) {
      for (const [key, item] of Object.entries(current)) {
        // A refused key cannot name its own field: it is reported where it sits.
        if (hasUnsafeCharacters(key)) found.push(pathOf(visit));
        else pending.push({ value: item, key, parent: visit });
      }
    }
  }
  return found;
}
