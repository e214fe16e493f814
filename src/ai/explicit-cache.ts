import { createHash } from 'node:crypto';
import type { Cache } from '../infra/cache.js';
import type { Config } from '../kernel/config.js';
import { ModelError, type ModelProvider, type ModelResult, type ToolDeclaration } from '../model/model-provider.js';

/**
 * Explicit prompt caching (PARLEY_EXPLICIT_CACHE=on): a business's stable
 * instruction and tools go into one Gemini `cachedContents` entry, billed at the
 * cached rate on every reply. The entry's name is shared through the Cache
 * (Redis with several processes), keyed by a hash of model + prefix, so that a
 * changed prompt or model makes a new entry; only the process holding a short
 * lock creates one. Whatever goes wrong, the reply is made the plain way.
 */
export interface ExplicitCacheDeps {
  config: Pick<Config, 'gemini'>;
  model: ModelProvider;
  cache?: Cache | undefined;
}

/** An entry in use: its name for the model call, its key to forget it by. */
export interface CachedPromptEntry {
  key: string;
  name: string;
}

/**
 * Google's minimum for an entry, by model (the API's own 400s: 2.5 Flash 1024,
 * Flash-Lite 2048; 2.5 Pro 4096 per the caching docs). Other models, aliases
 * included, are tried from the largest minimum: a refusal is remembered anyway.
 */
const MIN_TOKENS: Record<string, number> = {
  'gemini-2.5-flash': 1_024,
  'gemini-2.5-flash-lite': 2_048,
  'gemini-2.5-pro': 4_096,
};
const OTHER_MODELS_MIN_TOKENS = 4_096;
/** Long enough for one creation call; a crashed creator's lock lapses by itself. */
const CREATING_LOCK_MS = 30_000;
/** After a failure that may pass (a timeout, a 5xx), creation is tried again this much later. */
const RETRY_CREATION_AFTER_MS = 60_000;
const REFUSED = '-';
/** The API answers these when the entry named is gone (expired, deleted) or not ours. */
const ENTRY_GONE = new Set([403, 404]);

export function explicitCacheMinTokens(model: string): number {
  return Object.hasOwn(MIN_TOKENS, model) ? MIN_TOKENS[model]! : OTHER_MODELS_MIN_TOKENS;
}

/** Gemini's rough rate, four characters a token; the API has the last word (a 400 when short). */
const estimatedTokens = (text: string) => Math.ceil(text.length / 4);

/** The entry for this stable prefix, created now if none is known; undefined to send the plain request. */
export async function cachedPromptFor(
  deps: ExplicitCacheDeps,
  options: { userId: string; model: string; instruction: string; tools: ToolDeclaration[] },
): Promise<CachedPromptEntry | undefined> {
  const { cache, model: provider } = deps;
  const { enabled, ttlMinutes } = deps.config.gemini.explicitCache;
  if (!enabled || !cache || !provider.createCachedPrompt) return undefined;
  if (estimatedTokens(options.instruction) < explicitCacheMinTokens(options.model)) return undefined;
  const hash = createHash('sha256')
    .update(`${options.model}\u0000${options.instruction}\u0000${JSON.stringify(options.tools)}`)
    .digest('base64url');
  const key = `gemini:cached-prompt:${hash}`;
  try {
    const known = await cache.get(key);
    if (known === REFUSED) return undefined;
    if (known) return { key, name: known };
    // Another process is creating it: this reply goes the plain way rather than wait.
    if (!(await cache.setIfAbsent(`${key}:creating`, '1', CREATING_LOCK_MS))) return undefined;
  } catch {
    return undefined;
  }
  const ttlMs = ttlMinutes * 60_000;
  try {
    const entry = await provider.createCachedPrompt({
      model: options.model,
      systemInstruction: options.instruction,
      tools: options.tools,
      ttlSeconds: ttlMinutes * 60,
    });
    // Forgotten a while before Google drops it, so that a name read here is never already expired.
    await cache.set(key, entry.name, ttlMs - Math.max(ttlMs / 10, 30_000));
    await replacePrevious(deps, options.userId, { key, name: entry.name });
    return { key, name: entry.name };
  } catch (error) {
    // Too small or otherwise refused: not tried again for this prefix until the entry would have lapsed.
    const refused = error instanceof ModelError && error.status === 400;
    await cache.set(key, REFUSED, refused ? ttlMs : RETRY_CREATION_AFTER_MS).catch(() => undefined);
    return undefined;
  } finally {
    await cache.delete(`${key}:creating`).catch(() => undefined);
  }
}

/** A business's prompts or model changed: its previous entry is deleted, best effort (it expires anyway). */
async function replacePrevious(deps: ExplicitCacheDeps, userId: string, entry: CachedPromptEntry): Promise<void> {
  const { cache, model } = deps;
  if (!cache) return;
  const businessKey = `gemini:cached-prompt:business:${userId}`;
  const previous = await cache.get(businessKey);
  await cache.set(businessKey, JSON.stringify(entry), deps.config.gemini.explicitCache.ttlMinutes * 60_000);
  if (!previous) return;
  const old = JSON.parse(previous) as CachedPromptEntry;
  if (old.key === entry.key) return;
  await cache.delete(old.key).catch(() => undefined);
  await model.deleteCachedPrompt?.(old.name).catch(() => undefined);
}

/**
 * Calls the model with the entry, and once more the plain way when the entry is gone
 * (the customer still gets the answer in the same reply); a gone entry is forgotten.
 */
export async function withCachedPrompt(
  deps: Pick<ExplicitCacheDeps, 'cache'>,
  entry: CachedPromptEntry | undefined,
  call: (entry: CachedPromptEntry | undefined) => Promise<ModelResult>,
): Promise<ModelResult> {
  if (!entry) return call(undefined);
  try {
    return await call(entry);
  } catch (error) {
    if (!(error instanceof ModelError) || !ENTRY_GONE.has(error.status ?? 0)) throw error;
    await deps.cache?.delete(entry.key).catch(() => undefined);
    return call(undefined);
  }
}
