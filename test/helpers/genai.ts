import { ApiError, type GenerateContentResponse } from '@google/genai';

/** Reading what the real `@google/genai` SDK makes of the Gemini emulator's answers. */

export interface RpcErrorBody {
  code: number;
  message: string;
  status: string;
  details?: Record<string, unknown>[];
}

export async function apiError(call: Promise<unknown>): Promise<ApiError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the SDK to throw an ApiError');
}

/** The SDK keeps Google's error body only as the JSON of its message. */
export function rpcBody(error: ApiError): RpcErrorBody {
  return (JSON.parse(error.message) as { error: RpcErrorBody }).error;
}

export async function collect(stream: AsyncGenerator<GenerateContentResponse>): Promise<GenerateContentResponse[]> {
  const chunks: GenerateContentResponse[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}
