/**
 * `npm run bench:webhook`: Telegram deliveries to Parley's webhook, as Telegram
 * sends them, on Parley embedded and on PostgreSQL + Redis, with the Gemini
 * emulator answering at once and the fake Telegram Bot API taking the replies.
 * It measures how fast a delivery is acknowledged (docs/performance.md: p99
 * ≤ 5 ms at 1,000 deliveries/s), how many a second Parley takes, how long a
 * message takes to be answered beyond the model and the debounce, and checks
 * that every acknowledged delivery was stored exactly once.
 *
 * This file runs the rounds and writes the results; the parts are in
 * bench/webhook/: target.ts (start a target, run its phases in order),
 * acknowledgement.ts (open and closed loop), reply.ts (message → reply sent),
 * stored.ts (stored exactly once), report.ts (the tables).
 * See bench/README.md for the environment variables.
 */
import os from 'node:os';
import { buildIfNeeded, needsBuild } from '../scripts/build.js';
import {
  buildStamp,
  findPostgres,
  findRedis,
  log,
  machine,
  messageOf,
  print,
  redact,
  ROOT,
  runBench,
  startEmulator,
  writeResults,
} from './lib/setup.js';
import { ANSWER, cleanups, config, TARGETS, type TargetName } from './webhook/config.js';
import { noteModelAnswered, noteModelRequest } from './webhook/reply.js';
import { sendReply } from '../src/emulator/handler.js';
import { withThinking } from '../src/emulator/thinking.js';
import { report } from './webhook/report.js';
import { benchTarget, type TargetResult } from './webhook/target.js';

cleanups.onSignals();

async function main(): Promise<void> {
  buildIfNeeded();
  const buildBefore = await buildStamp(ROOT);
  const machineAtStart = machine();
  const needsServices = config.targets.some((target) => target !== 'embedded');
  const services = {
    postgres: needsServices ? await findPostgres() : { skipped: 'not needed' },
    redis: needsServices ? await findRedis() : { skipped: 'not needed' },
  };
  const skipped = [services.postgres, services.redis].flatMap((service) =>
    needsServices && 'skipped' in service ? [service.skipped] : [],
  );
  const targets = config.targets.filter((target) => target === 'embedded' || skipped.length === 0);
  for (const reason of skipped) log(`PostgreSQL + Redis rows skipped: ${reason}`);

  // The model behind the emulator notes each measured message as it is asked about it, and
  // once its answer is written out.
  const gemini = await startEmulator(
    {
      answer: async (call) => {
        const measured = noteModelRequest(call.request.body);
        if (measured !== undefined) call.response.once('finish', () => noteModelAnswered(measured));
        await sendReply(call, withThinking(call.request.body, { text: ANSWER }));
      },
    },
    cleanups,
  );

  log(
    `bench:webhook: ${config.rounds} round(s) of ${targets.join(', ')}; ${config.rate}/s for ${config.seconds} s, ` +
      `${config.concurrency} clients for ${config.closedSeconds} s, ${config.replySamples}+` +
      `${config.replyConcurrentSamples} replies; ${os.cpus().length} CPUs, node ${process.version}`,
  );
  const results: TargetResult[] = [];
  const failures: { target: TargetName; round: number; error: string }[] = [];
  for (let round = 1; round <= config.rounds; round++) {
    for (const target of targets) {
      try {
        results.push(await benchTarget(target, round, services, gemini));
      } catch (error) {
        // The other targets' figures are still worth having; the run fails at the end.
        log(`${TARGETS[target]} failed: ${messageOf(error)}`);
        failures.push({ target, round, error: messageOf(error) });
      }
    }
  }
  await cleanups.runFrom(0);
  const buildAfter = await buildStamp(ROOT);
  // bin/parley.js rebuilds dist/ whenever src/ is newer, so an edit during the run changes what is measured.
  const srcChanged = buildAfter !== buildBefore || needsBuild();

  print();
  const load = (values: unknown) => (Array.isArray(values) ? values.map((v) => Number(v).toFixed(1)).join(' ') : '?');
  print(
    `${os.cpus().length} CPUs; load average ${load(machineAtStart.loadAverage)} at the start, ` +
      `${load(os.loadavg())} at the end (anything above ${os.cpus().length} means the figures share the machine)`,
  );
  print();
  for (const line of report(results)) print(line);
  for (const reason of skipped) print(`PostgreSQL + Redis rows skipped: ${reason}`);
  for (const failure of failures) print(`${TARGETS[failure.target]} (round ${failure.round}) failed: ${failure.error}`);
  if (srcChanged) {
    print('warning: src/ changed during the run (Parley rebuilds itself); the rows may measure different code.');
  }

  const json = {
    benchmark: 'Telegram webhook: acknowledgement, throughput, message → reply sent',
    date: new Date().toISOString(),
    machine: { ...machineAtStart, loadAverageAtEnd: os.loadavg() },
    config: {
      ...config,
      postgres: 'url' in services.postgres ? redact(services.postgres.url) : null,
      redis: 'url' in services.redis ? redact(services.redis.url) : null,
      skipped,
    },
    parleyBuild: { before: buildBefore ?? null, after: buildAfter ?? null, srcChangedDuringRun: srcChanged },
    results,
    failures,
  };
  await writeResults('webhook', json);
  const lost = results.some((result) => result.storage.missing > 0 || result.storage.duplicates > 0);
  if (failures.length > 0 || lost) process.exitCode = 1;
}

await runBench(main, cleanups);
