/**
 * Reading generativelanguage v1beta requests for the Gemini emulator:
 * validation with Google's own wording, and the text a prompt carries.
 */

export type JsonObject = Record<string, unknown>;

export interface EmulatorRequest {
  method:
    | 'generateContent'
    | 'streamGenerateContent'
    | 'countTokens'
    | 'get'
    | 'list'
    | 'createCachedContent'
    | 'getCachedContent'
    | 'deleteCachedContent'
    | 'listCachedContents';
  /** e.g. 'gemini-flash-latest' (without 'models/'); tuned models keep their 'tunedModels/' prefix. */
  model: string | undefined;
  /** From the x-goog-api-key header, or the `key` query parameter Google also accepts. */
  apiKey: string | undefined;
  /** The parsed JSON body of a POST (`{}` when empty; undefined when it is not JSON). */
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// The oneof `data` members of google.ai.generativelanguage.v1beta.Part.
const PART_DATA_FIELDS = [
  'text',
  'inlineData',
  'functionCall',
  'functionResponse',
  'fileData',
  'executableCode',
  'codeExecutionResult',
];

/** Returns Google's error message for an invalid `contents` list, or undefined when it is valid. */
export function contentsError(contents: unknown, field = 'GenerateContentRequest.contents'): string | undefined {
  if (contents === undefined || (Array.isArray(contents) && contents.length === 0)) {
    return `* ${field}: contents is not specified\n`;
  }
  if (!Array.isArray(contents)) return `Invalid value at '${field}': expected a list of Content.`;
  for (const [index, content] of contents.entries()) {
    const problem = contentError(content, `${field}[${index}]`);
    if (problem) return problem;
  }
  return undefined;
}

function contentError(content: unknown, field: string): string | undefined {
  if (!isRecord(content)) return `Invalid value at '${field}': expected a Content object.`;
  // The real API accepts a missing role (single-turn requests); only a wrong one is refused.
  if (content.role !== undefined && content.role !== 'user' && content.role !== 'model') {
    return 'Please use a valid role: user, model.';
  }
  const parts = content.parts;
  if (!Array.isArray(parts) || parts.length === 0) return `* ${field}.parts: contents.parts must not be empty.\n`;
  for (const [index, part] of parts.entries()) {
    const present = isRecord(part) ? PART_DATA_FIELDS.filter((name) => part[name] !== undefined) : [];
    if (present.length !== 1) {
      return `* ${field}.parts[${index}].data: required oneof field 'data' must have one initialized field\n`;
    }
    if (isRecord(part) && part.text !== undefined && typeof part.text !== 'string') {
      return `Invalid value at '${field}.parts[${index}].text' (TYPE_STRING), ${JSON.stringify(part.text)}`;
    }
  }
  return undefined;
}

/** Problems with a whole generateContent body, beyond `contents`. */
export function generateBodyError(body: unknown): string | undefined {
  if (!isRecord(body)) return 'Invalid JSON payload received. Expected an object.';
  const contents = contentsError(body.contents);
  if (contents) return contents;
  if (body.systemInstruction !== undefined) {
    const system = contentError(body.systemInstruction, 'GenerateContentRequest.system_instruction');
    if (system) return system;
  }
  if (body.generationConfig !== undefined && !isRecord(body.generationConfig)) {
    return "Invalid value at 'generation_config': expected a GenerationConfig object.";
  }
  const limit = isRecord(body.generationConfig) ? body.generationConfig.maxOutputTokens : undefined;
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1)) {
    return `Invalid value at 'generation_config.max_output_tokens' (TYPE_INT32), ${JSON.stringify(limit)}`;
  }
  return undefined;
}

/** countTokens takes either `contents` or a whole `generateContentRequest`. */
export function countTokensBodyError(body: unknown): string | undefined {
  if (!isRecord(body)) return 'Invalid JSON payload received. Expected an object.';
  if (body.generateContentRequest !== undefined) return generateBodyError(body.generateContentRequest);
  return contentsError(body.contents, 'CountTokensRequest.contents');
}

/** The text of one Content; function calls and results count as their JSON, as they cost tokens too. */
export function contentText(content: unknown): string {
  if (!isRecord(content) || !Array.isArray(content.parts)) return '';
  return content.parts
    .map((part: unknown) => {
      if (!isRecord(part)) return '';
      if (typeof part.text === 'string') return part.text;
      if (part.functionCall !== undefined) return JSON.stringify(part.functionCall);
      if (part.functionResponse !== undefined) return JSON.stringify(part.functionResponse);
      return '';
    })
    .join('');
}

export function systemInstructionText(body: unknown): string {
  return isRecord(body) ? contentText(body.systemInstruction) : '';
}

export function contentsOf(body: unknown): unknown[] {
  return isRecord(body) && Array.isArray(body.contents) ? body.contents : [];
}

/** Characters the prompt carries: system instruction plus every turn. */
export function promptChars(body: unknown): number {
  const request = isRecord(body) && isRecord(body.generateContentRequest) ? body.generateContentRequest : body;
  return contentsOf(request).reduce<number>(
    (total, content) => total + contentText(content).length,
    systemInstructionText(request).length,
  );
}

/** Tokens at the rough rate of four characters each, which is what the emulator charges everywhere. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

export function maxOutputTokens(body: unknown): number | undefined {
  const config = isRecord(body) ? body.generationConfig : undefined;
  const limit = isRecord(config) ? config.maxOutputTokens : undefined;
  return typeof limit === 'number' ? limit : undefined;
}

/** The names of every function the request declares in `tools`. */
export function declaredFunctions(body: unknown): string[] {
  const tools = isRecord(body) && Array.isArray(body.tools) ? body.tools : [];
  return tools.flatMap((tool: unknown) => {
    const declarations = isRecord(tool) && Array.isArray(tool.functionDeclarations) ? tool.functionDeclarations : [];
    return declarations.flatMap((declaration: unknown) =>
      isRecord(declaration) && typeof declaration.name === 'string' ? [declaration.name] : [],
    );
  });
}
