/**
 * Gemini's explicit context cache (`/v1beta/cachedContents`), as the SDK's
 * `ai.caches` calls it: entries with a TTL, refused below the model's minimum,
 * 404 once gone, and generate calls naming one (`cachedContent`) answered as if
 * its system instruction, tools and contents had been sent again.
 */
import { randomBytes } from 'node:crypto';
import {
  contentText,
  contentsError,
  contentsOf,
  estimateTokens,
  isRecord,
  systemInstructionText,
  type EmulatorRequest,
  type JsonObject,
} from './request.js';
import { rpcError } from './wire.js';

/** Tokens an entry needs, by model, as the API enforces them (others: Flash's). */
const MIN_TOKENS: Record<string, number> = {
  'gemini-2.5-flash': 1_024,
  'gemini-2.5-flash-lite': 2_048,
  'gemini-2.5-pro': 4_096,
};
const DEFAULT_MIN_TOKENS = 1_024;
const DEFAULT_TTL_SECONDS = 3_600;

interface Entry {
  resource: JsonObject;
  body: JsonObject;
  tokens: number;
  expires: number;
}

export type CachedContentsMethod = Extract<
  EmulatorRequest['method'],
  'createCachedContent' | 'getCachedContent' | 'deleteCachedContent' | 'listCachedContents'
>;

export interface Answer {
  status: number;
  body: JsonObject;
}

/** A generate call with its entry resolved: the request the model sees and the tokens served from cache. */
export type Resolved = { body: unknown; cachedTokens: number | undefined } | { error: Answer };

const gone = (): Answer => ({ status: 404, body: rpcError(404, 'CachedContent not found (or permission denied)') });

export function cachedContentStore(models: string[], now: () => number = Date.now, minTokens?: number) {
  const entries = new Map<string, Entry>();
  const live = (name: string): Entry | undefined => {
    const entry = entries.get(name);
    if (entry && entry.expires <= now()) entries.delete(name);
    return entry && entry.expires > now() ? entry : undefined;
  };

  function create(body: unknown): Answer {
    if (!isRecord(body) || typeof body.model !== 'string') {
      return {
        status: 400,
        body: rpcError(400, '* CreateCachedContentRequest.cached_content.model: model is required\n'),
      };
    }
    const model = body.model.replace(/^models\//, '');
    if (!models.includes(model)) {
      return { status: 404, body: rpcError(404, `models/${model} is not found for API version v1beta.`) };
    }
    if (body.contents !== undefined) {
      const problem = contentsError(body.contents, 'CreateCachedContentRequest.cached_content.contents');
      if (problem) return { status: 400, body: rpcError(400, problem) };
    }
    const chars = contentsOf(body).reduce<number>(
      (n, c) => n + contentText(c).length,
      systemInstructionText(body).length,
    );
    const tokens = estimateTokens(chars);
    const minimum = minTokens ?? MIN_TOKENS[model] ?? DEFAULT_MIN_TOKENS;
    if (tokens < minimum) {
      const message = `Cached content is too small. total_token_count=${tokens}, min_total_token_count=${minimum}`;
      return { status: 400, body: rpcError(400, message) };
    }
    const ttl = typeof body.ttl === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(body.ttl) : null;
    if (body.ttl !== undefined && !ttl) {
      return {
        status: 400,
        body: rpcError(
          400,
          `Invalid value at 'cached_content.ttl' (type.googleapis.com/google.protobuf.Duration), ${JSON.stringify(body.ttl)}`,
        ),
      };
    }
    const created = now();
    const expires = created + Number(ttl?.[1] ?? DEFAULT_TTL_SECONDS) * 1000;
    const name = `cachedContents/${randomBytes(8).toString('hex')}`;
    const resource: JsonObject = {
      name,
      model: `models/${model}`,
      ...(typeof body.displayName === 'string' ? { displayName: body.displayName } : {}),
      createTime: new Date(created).toISOString(),
      updateTime: new Date(created).toISOString(),
      expireTime: new Date(expires).toISOString(),
      usageMetadata: { totalTokenCount: tokens },
    };
    entries.set(name, { resource, body, tokens, expires });
    return { status: 200, body: resource };
  }

  return {
    /** One `ai.caches` call on the entry `id` (create and list name none). */
    serve(method: CachedContentsMethod, id: string | undefined, body: unknown): Answer {
      if (method === 'createCachedContent') return create(body);
      if (method === 'listCachedContents') {
        const listed = [...entries.keys()].map(live).filter((entry) => entry !== undefined);
        return { status: 200, body: listed.length ? { cachedContents: listed.map((entry) => entry.resource) } : {} };
      }
      const name = `cachedContents/${id ?? ''}`;
      const entry = live(name);
      if (!entry) return gone();
      if (method === 'deleteCachedContent') entries.delete(name);
      return { status: 200, body: method === 'deleteCachedContent' ? {} : entry.resource };
    },

    /** The request a generate call naming an entry stands for, or Google's refusal. */
    resolve(model: string | undefined, body: unknown): Resolved {
      if (!isRecord(body) || typeof body.cachedContent !== 'string') return { body, cachedTokens: undefined };
      if (body.systemInstruction !== undefined || body.tools !== undefined || body.toolConfig !== undefined) {
        const message =
          'CachedContent can not be used with GenerateContent request setting system_instruction, tools or tool_config.\n\n' +
          'Proposed fix: move those values to CachedContent from GenerateContent request.';
        return { error: { status: 400, body: rpcError(400, message) } };
      }
      const entry = live(body.cachedContent);
      if (!entry) return { error: gone() };
      if (entry.resource.model !== `models/${model}`) {
        const message = `Model used by GenerateContent request (models/${model}) and CachedContent (${String(entry.resource.model)}) has to be the same.`;
        return { error: { status: 400, body: rpcError(400, message) } };
      }
      const { cachedContent: _name, ...rest } = body;
      const merged: JsonObject = {
        ...rest,
        ...(entry.body.systemInstruction === undefined ? {} : { systemInstruction: entry.body.systemInstruction }),
        ...(entry.body.tools === undefined ? {} : { tools: entry.body.tools }),
        ...(entry.body.toolConfig === undefined ? {} : { toolConfig: entry.body.toolConfig }),
        contents: [...contentsOf(entry.body), ...contentsOf(body)],
      };
      return { body: merged, cachedTokens: entry.tokens };
    },
  };
}
