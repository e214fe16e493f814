import { z } from 'zod';
import { ModelError } from '../../model/model-provider.js';
import { sharedKeyModel } from '../../model/shared-key.js';
import { defineCommand, EXIT } from '../command.js';

/** `ai_control test`: one real call to the model with the global key. */
export const aiControlTest = defineCommand({
  args: z.object({ model: z.string().optional(), json: z.boolean().default(false) }),
  async run({ config, io }, args) {
    const name = args.model ?? config.gemini.defaultModel;
    const report = (outcome: { ok: boolean; latency_ms?: number; reply?: string; error?: string }) => {
      if (args.json) io.out(JSON.stringify({ model: name, ...outcome }));
      else if (outcome.ok) io.out(`OK: ${name} answered in ${outcome.latency_ms} ms: ${outcome.reply}`);
      else
        io.err(
          `FAILED: ${name}${outcome.latency_ms === undefined ? '' : ` after ${outcome.latency_ms} ms`}: ${outcome.error}`,
        );
      return outcome.ok ? EXIT.ok : EXIT.failure;
    };
    const model = sharedKeyModel(config);
    if (!model) return report({ ok: false, error: 'GEMINI_API_KEY is not set, so there is nothing to test' });
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    try {
      const result = await model.generate({
        model: name,
        systemInstruction: 'You are checking that a chat service can reach you. Answer in one short sentence.',
        contents: [{ role: 'user', text: 'Say hello to the person running Parley.' }],
        temperature: 0,
        maxOutputTokens: 256,
      });
      if (result.kind === 'text') return report({ ok: true, latency_ms: latency(), reply: result.text });
      const why = result.kind === 'blocked' ? `blocked (${result.reason})` : `no usable answer (${result.kind})`;
      return report({ ok: false, latency_ms: latency(), error: why });
    } catch (error) {
      if (!(error instanceof ModelError)) throw error;
      return report({ ok: false, latency_ms: latency(), error: `${error.errorClass}: ${error.message}` });
    }
  },
});
