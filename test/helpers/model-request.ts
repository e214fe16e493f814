import type { ModelRequest } from '../../src/model/model-provider.js';

/** A small request for the model clients' unit tests. */
export const helloRequest: ModelRequest = {
  model: 'gemini-2.5-flash',
  systemInstruction: 'Be brief.',
  contents: [{ role: 'user', text: 'hello' }],
  temperature: 0.5,
  maxOutputTokens: 100,
};
