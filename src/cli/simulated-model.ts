import type { Config } from '../kernel/config.js';
import { GeminiEmulator } from '../emulator/gemini.js';

export interface WithModel {
  config: Config;
  close(): Promise<void>;
}

/** The stand-in takes any key; this one says what it is in logs and health checks. */
const SIMULATED_KEY = 'simulated-local-model';

/**
 * Starts the local stand-in for Gemini (the one `parley demo` answers with)
 * and points the config's model at it. Every reply it writes starts with
 * "[Simulated]", so nobody mistakes it for the real model.
 */
export async function startSimulatedModel(config: Config): Promise<WithModel> {
  const emulator = await GeminiEmulator.start();
  return {
    config: { ...config, gemini: { ...config.gemini, apiKey: SIMULATED_KEY, baseUrl: emulator.url } },
    close: () => emulator.close(),
  };
}

/** With PARLEY_SIMULATED_MODEL (or `serve --simulated`): the stand-in; otherwise the config as it is. */
export async function withSimulatedModel(config: Config): Promise<WithModel> {
  if (!config.gemini.simulated) return { config, close: async () => {} };
  return startSimulatedModel(config);
}
