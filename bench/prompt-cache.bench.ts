/**
 * `npx tsx bench/prompt-cache.bench.ts`: Gemini's prompt cache, against the emulator.
 * One business with about 1,500 tokens of its own material gets two replies a
 * minute apart (the clock is Parley's and the emulator's, moved by the bench),
 * first with the implicit cache only, then with PARLEY_EXPLICIT_CACHE=on. For each
 * it prints whether the two prompts are byte-identical up to the varying part (the
 * local time), the cached tokens of each reply, and the cost and saving
 * `GET /api/v1/ai/usage/stats/` reports. Parley runs in this process on an
 * embedded database: what is measured is what is sent, not how fast.
 */
import path from 'node:path';
import { buildApp } from '../src/app/server.js';
import { createApiToken, createUser } from '../src/auth/auth.service.js';
import { openDatabase } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';
import type { EmulatorRequest } from '../src/emulator/gemini.js';
import { createLocalCache } from '../src/infra/cache.js';
import { createLocalQueue } from '../src/infra/local-queue.js';
import { loadConfig } from '../src/kernel/config.js';
import { sharedKeyModel } from '../src/model/shared-key.js';
import {
  APP_SECRET,
  Cleanups,
  GEMINI_KEY,
  machine,
  print,
  runBench,
  startEmulator,
  tempDir,
  writeResults,
} from './lib/setup.js';

const MODEL = 'gemini-2.5-flash';
const START = Date.parse('2026-11-24T09:30:10Z');
const KNOWLEDGE = [
  'Rosa Bakery opens Monday to Saturday, 7:00 to 18:00, and is closed on Sundays.',
  ...Array.from(
    { length: 80 },
    (_, i) => `Cake number ${i + 1} costs ${10 + (i % 7)} euros a slice and keeps two days.`,
  ),
].join('\n');

interface Body {
  cachedContent?: string;
  systemInstruction?: { parts: { text: string }[] };
  contents: { parts: { text: string }[] }[];
}

interface Reply {
  at: string;
  /** What carries the varying part: the last line of the instruction, or the first turn with an entry. */
  varying: string;
  /** Everything but the varying part: the instruction sent, or the entry's name. */
  stable: string;
  promptTokens: number;
  cachedTokens: number;
}

interface ModeResult {
  mode: 'implicit' | 'explicit';
  replies: Reply[];
  stableIdentical: boolean;
  entriesCreated: number;
  stats: { requests: number; cached_tokens: number; estimated_cost_usd: number; cache_saving_usd: number };
}

async function measure(mode: ModeResult['mode'], cleanups: Cleanups): Promise<ModeResult> {
  let clock = START;
  const requests: EmulatorRequest[] = [];
  const gemini = await startEmulator({ now: () => clock, onRequest: (request) => requests.push(request) }, cleanups);
  const dataDir = await tempDir(cleanups);
  const config = loadConfig({
    PARLEY_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    APP_SECRET,
    GEMINI_API_KEY: GEMINI_KEY,
    GEMINI_BASE_URL: gemini.url,
    GEMINI_REQUESTS_PER_MINUTE: '0',
    PARLEY_ALLOWED_MODELS: MODEL,
    PARLEY_EXPLICIT_CACHE: mode === 'explicit' ? 'on' : 'off',
  });
  const handle = await openDatabase({ kind: 'embedded', directory: path.join(dataDir, 'pglite') });
  cleanups.push(() => handle.close());
  await migrateDatabase(handle);
  const cache = createLocalCache();
  const queue = createLocalQueue();
  const app = await buildApp({
    config,
    db: handle.db,
    queue,
    cache,
    model: sharedKeyModel(config, cache),
    readiness: {},
    logger: false,
    now: () => new Date(clock),
  });
  cleanups.push(async () => {
    await app.close();
    await queue.close();
  });
  const user = await createUser(handle.db, { username: 'rosa', password: 'bench-password' });
  const token = await createApiToken(handle.db, user.id, 'bench');
  const call = async (method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) => {
    const response = await app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } });
    if (response.statusCode !== 200)
      throw new Error(`${method} ${url} answered ${response.statusCode}: ${response.body}`);
    return response.json<Record<string, unknown>>();
  };
  await call('PUT', '/api/v1/ai/config/', {
    auto_response_enabled: true,
    model_name: MODEL,
    prompts: { manual_prompt: 'You are the assistant of Rosa Bakery.', knowledge_source: KNOWLEDGE },
  });

  const replies: Reply[] = [];
  for (const [index, customer] of ['ana', 'ben'].entries()) {
    clock = START + index * 60_000;
    await call('POST', '/api/v1/ai/ask/', { question: 'Are you open now?', customer_id: customer });
    const body = requests.filter((request) => /generatecontent$/i.test(request.method)).at(-1)?.body as Body;
    const usage = (await handle.db.query.usageRecords.findMany()).at(-1);
    const instruction = body.systemInstruction?.parts[0]?.text ?? '';
    replies.push({
      at: new Date(clock).toISOString(),
      varying: body.cachedContent ? (body.contents[0]?.parts[0]?.text ?? '') : (instruction.split('\n').at(-1) ?? ''),
      stable: body.cachedContent ?? instruction.split('\n').slice(0, -1).join('\n'),
      promptTokens: usage?.promptTokens ?? 0,
      cachedTokens: usage?.cachedTokens ?? 0,
    });
  }
  const report = await call('GET', '/api/v1/ai/usage/stats/?days=1');
  return {
    mode,
    replies,
    stableIdentical: replies[0]?.stable === replies[1]?.stable && replies[0]?.varying !== replies[1]?.varying,
    entriesCreated: requests.filter((request) => request.method === 'createCachedContent').length,
    stats: report.totals as ModeResult['stats'],
  };
}

async function main(cleanups: Cleanups): Promise<void> {
  const results: ModeResult[] = [];
  for (const mode of ['implicit', 'explicit'] as const) {
    const mark = cleanups.mark();
    results.push(await measure(mode, cleanups));
    await cleanups.runFrom(mark);
  }
  print('mode      reply  at (UTC)  identical up to the time  prompt tok  cached tok');
  for (const result of results) {
    for (const [index, reply] of result.replies.entries()) {
      const same = index === 0 ? '' : result.stableIdentical ? 'yes' : 'NO';
      print(
        `${result.mode.padEnd(9)} ${String(index + 1).padStart(5)}  ${reply.at.slice(11, 16).padStart(8)}  ${same.padStart(
          24,
        )}  ${String(reply.promptTokens).padStart(10)}  ${String(reply.cachedTokens).padStart(10)}`,
      );
    }
  }
  print('\nusage/stats (both replies)  requests  cached tok   cost USD   saving USD  entries created');
  for (const { mode, stats, entriesCreated } of results) {
    print(
      `${mode.padEnd(27)} ${String(stats.requests).padStart(9)} ${String(stats.cached_tokens).padStart(11)}  ${stats.estimated_cost_usd
        .toFixed(6)
        .padStart(9)}  ${stats.cache_saving_usd.toFixed(6).padStart(11)}  ${String(entriesCreated).padStart(15)}`,
    );
  }
  await writeResults('prompt-cache', { machine: machine(), model: MODEL, results });
}

const cleanups = new Cleanups();
cleanups.onSignals();
void runBench(async () => {
  await main(cleanups);
  await cleanups.runFrom(0);
}, cleanups);
