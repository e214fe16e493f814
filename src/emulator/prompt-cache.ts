import { systemInstructionText, type EmulatorRequest } from './request.js';

/** Gemini caches implicitly only prompts of at least this many tokens (2.5 Flash's minimum). */
export const IMPLICIT_CACHE_MIN_TOKENS = 1_024;
const MAX_REMEMBERED = 1_000;

/**
 * Gemini's implicit prompt cache, roughly: a system instruction that opens
 * with what the previous call for the same key and model sent is partly
 * served from cache. Returns the cached tokens for this call, and remembers it.
 */
export function implicitPromptCache(minTokens = IMPLICIT_CACHE_MIN_TOKENS): (request: EmulatorRequest) => number {
  const previous = new Map<string, string>();
  return (request) => {
    const key = `${request.apiKey ?? ''}\u0000${request.model ?? ''}`;
    const text = systemInstructionText(request.body);
    const before = previous.get(key) ?? '';
    previous.delete(key);
    if (previous.size >= MAX_REMEMBERED) previous.delete(previous.keys().next().value!);
    previous.set(key, text);
    let shared = 0;
    const limit = Math.min(before.length, text.length);
    while (shared < limit && before.charCodeAt(shared) === text.charCodeAt(shared)) shared += 1;
    const tokens = Math.floor(shared / 4);
    return tokens >= minTokens ? tokens : 0;
  };
}
