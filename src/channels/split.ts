/**
 * Splits a reply that is too long for one channel message, preferring a
 * paragraph break, then a sentence end, then a space, so each part reads on
 * its own. `size` measures a piece in the channel's unit (characters, bytes).
 */
export function splitText(
  text: string,
  limit: number,
  size: (piece: string) => number = (piece) => piece.length,
): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (size(rest) > limit) {
    // The longest prefix within the limit…
    let end = Math.min(rest.length, limit);
    while (end > 0 && size(rest.slice(0, end)) > limit) end--;
    const window = rest.slice(0, end);
    // …cut at the best boundary in its second half, if there is one.
    const cut = [/\n\n(?![\s\S]*\n\n)/, /[.!?…](?=\s)(?![\s\S]*[.!?…]\s)/, /\s(?![\s\S]*\s)/]
      .map((pattern) => pattern.exec(window))
      .map((match) => (match ? match.index + match[0].length : -1))
      .find((index) => index >= end / 2);
    const at = cut ?? end;
    parts.push(rest.slice(0, at).trim());
    rest = rest.slice(at).trim();
  }
  if (rest) parts.push(rest);
  return parts;
}

export const utf8Bytes = (piece: string) => Buffer.byteLength(piece, 'utf8');
