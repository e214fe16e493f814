/**
 * bench:webhook's printout: one table per part (acknowledgement in the open
 * loop, throughput in the closed loop, message → reply sent, stored exactly
 * once, memory), a row per target and round plus medians over rounds, and the
 * `!!!` lines for lost or duplicated messages.
 */
import type { Memory } from '../lib/process.js';
import { median } from '../lib/setup.js';
import { config, TARGETS } from './config.js';
import type { ReplyPhase } from './reply.js';
import type { TargetResult } from './target.js';

const fixed = (value: number, digits: number) => (Number.isNaN(value) ? '-' : value.toFixed(digits));
const ms = (value: number, digits = 1) => (Number.isNaN(value) ? '-' : `${value.toFixed(digits)} ms`);
const mb = (value: number) => (Number.isNaN(value) ? '-' : `${value.toFixed(0)} MB`);
const sum = (values: number[]) => (values.some(Number.isNaN) ? Number.NaN : values.reduce((a, b) => a + b, 0));
const memorySum = (list: (Memory | undefined)[], field: keyof Memory) =>
  sum(list.map((memory) => memory?.[field] ?? Number.NaN));

interface Column {
  title: string;
  /** A number is formatted by `format` and has a median over rounds; a string is shown as it is. */
  value: (result: TargetResult) => number | string;
  format?: (value: number) => string;
}

function table(columns: Column[], results: TargetResult[]): string[] {
  const rowOf = (label: string, values: (number | string)[]) => [
    label,
    ...values.map((value, i) => (typeof value === 'number' ? (columns[i]!.format ?? String)(value) : value)),
  ];
  const rows = results.map((result) =>
    rowOf(
      config.rounds > 1 ? `${result.label} #${result.round}` : result.label,
      columns.map((column) => column.value(result)),
    ),
  );
  if (config.rounds > 1) {
    for (const target of config.targets) {
      const mine = results.filter((result) => result.target === target);
      if (mine.length < 2) continue;
      rows.push(
        rowOf(
          `${TARGETS[target]} median`,
          columns.map((column) => {
            const values = mine.map(column.value);
            return values.every((value) => typeof value === 'number') ? median(values) : '';
          }),
        ),
      );
    }
  }
  const header = ['target', ...columns.map((column) => column.title)];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const format = (line: string[]) =>
    line.map((cell, i) => (i === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[i]!))).join('  ');
  return [format(header), ...rows.map(format)].map((line) => `  ${line}`);
}

/** The open loop kept its rate: every delivery due was sent and acknowledged. */
const keptRate = (r: TargetResult) => r.open.errors === 0 && r.open.skipped === 0 && r.open.rps >= 0.95 * r.open.rate;

/**
 * Issue #17's target: Parley on PostgreSQL + Redis acknowledges within 2× the
 * bare handler's p99 in the open loop; and the share of the bare handler's
 * closed-loop throughput it reaches. Medians over rounds.
 */
function againstBare(results: TargetResult[]): string[] {
  const parley = results.filter((r) => r.target === 'postgres');
  const bare = results.filter((r) => r.target === 'bare');
  if (parley.length === 0 || bare.length === 0) return [];
  const p99 = (rows: TargetResult[]) => median(rows.map((r) => r.open.onWire.p99Ms));
  const ratio = p99(parley) / p99(bare);
  const share = median(parley.map((r) => r.closed.rps)) / median(bare.map((r) => r.closed.rps));
  const met = ratio <= 2 && [...parley, ...bare].every(keptRate);
  // On a shared machine one round's rows, taken minutes apart from the next's, compare best with each other.
  const rounds = parley.flatMap((row) => {
    const yardstick = bare.find((r) => r.round === row.round);
    return yardstick ? [`${fixed(row.open.onWire.p99Ms / yardstick.open.onWire.p99Ms, 1)}×`] : [];
  });
  return [
    `  ${TARGETS.postgres} / ${TARGETS.bare}: open loop at ${config.rate}/s p99 ${ms(p99(parley), 2)} / ` +
      `${ms(p99(bare), 2)} = ${fixed(ratio, 1)}×${rounds.length > 1 ? ` (per round ${rounds.join(', ')})` : ''} ` +
      `(issue #17 target ≤ 2×, both keeping the rate: ${met ? 'met' : 'NOT met'}); ` +
      `closed loop @${config.concurrency} throughput ${fixed(share * 100, 0)}% of bare`,
  ];
}

export function report(results: TargetResult[]): string[] {
  const out: string[] = [];
  const debounceLoad = results[0]?.loadDebounceMs ?? Number.NaN;
  out.push(
    `Webhook acknowledgement, open loop: ${config.rate} deliveries/s for ${config.seconds} s over at most ` +
      `${config.connections} connections, ${config.chats} chats, every ${config.retryEvery || '∞'}th a re-delivery; ` +
      (config.loadWithAi ? `AI on, debounce ${debounceLoad} ms` : 'AI off') +
      ' (target: p99 ≤ 5 ms at 1,000/s)',
  );
  out.push(
    ...table(
      [
        { title: 'acked/s', value: (r) => r.open.rps, format: (v) => fixed(v, 0) },
        { title: 'p50', value: (r) => r.open.onWire.p50Ms, format: (v) => ms(v, 2) },
        { title: 'p99', value: (r) => r.open.onWire.p99Ms, format: (v) => ms(v, 2) },
        { title: 'max', value: (r) => r.open.onWire.maxMs, format: (v) => ms(v) },
        { title: 'p99 from due', value: (r) => r.open.fromDue.p99Ms, format: (v) => ms(v) },
        { title: 'send lag p99', value: (r) => r.open.sendLagP99Ms, format: (v) => ms(v) },
        { title: 'in flight', value: (r) => r.open.maxInFlight, format: (v) => fixed(v, 0) },
        { title: 'skipped', value: (r) => r.open.skipped, format: (v) => fixed(v, 0) },
        { title: 'errors', value: (r) => r.open.errors, format: (v) => fixed(v, 0) },
        { title: 'cpu/delivery', value: (r) => sum(r.open.cpuMsPerDelivery), format: (v) => ms(v, 2) },
        { title: 'pg cpu', value: (r) => r.open.otherCpuMsPerDelivery.postgres, format: (v) => ms(v, 2) },
        { title: 'bench cpu', value: (r) => r.open.otherCpuMsPerDelivery.bench, format: (v) => ms(v, 2) },
        {
          title: 'target',
          // docs/performance.md's target is Parley's; the yardstick has none of its own.
          value: (r) => (r.target === 'bare' ? '-' : r.open.onWire.p99Ms <= 5 && keptRate(r) ? 'met' : 'NOT met'),
        },
      ],
      results,
    ),
  );
  out.push(
    '  p50/p99/max: from the request having a connection to the answer; p99 from due: from when the delivery was due,',
    '  including any wait for a free connection and this process sending late (send lag). cpu/delivery: Parley',
    '  (with two processes, their sum); pg cpu: every postgres process on the machine; bench cpu: the load, fakes and emulator.',
  );
  out.push('');
  const c = config.concurrency;
  out.push(
    `Webhook throughput, closed loop: ${c} clients for ${config.closedSeconds} s, then 1 client for ${config.singleSeconds} s`,
  );
  out.push(
    ...table(
      [
        { title: `deliveries/s@${c}`, value: (r) => r.closed.rps, format: (v) => fixed(v, 0) },
        { title: `p50@${c}`, value: (r) => r.closed.p50Ms, format: (v) => ms(v) },
        { title: `p99@${c}`, value: (r) => r.closed.p99Ms, format: (v) => ms(v) },
        { title: `cpu/delivery@${c}`, value: (r) => sum(r.closed.cpuMsPerDelivery), format: (v) => ms(v, 2) },
        { title: 'deliveries/s@1', value: (r) => r.single.rps, format: (v) => fixed(v, 0) },
        { title: 'p50@1', value: (r) => r.single.p50Ms, format: (v) => ms(v, 2) },
        { title: 'p99@1', value: (r) => r.single.p99Ms, format: (v) => ms(v, 2) },
        { title: 'errors', value: (r) => r.closed.errors + r.single.errors, format: (v) => fixed(v, 0) },
        {
          title: 'replies drained',
          value: (r) =>
            r.closedDrain.chats === 0
              ? '-'
              : `${r.closedDrain.chats - r.closedDrain.unanswered}/${r.closedDrain.chats} chats in ${r.closedDrain.seconds.toFixed(1)} s`,
        },
      ],
      results,
    ),
  );
  out.push(...againstBare(results));
  out.push('');
  const debounce = config.replyDebounceMs;
  out.push(
    `Message → reply sent, emulator instant, debounce ${debounce} ms ` +
      '(target, one chat at a time: p50 ≤ 5 ms beyond the model and the debounce)',
  );
  // A target without reply phases (the bare handler) shows '-' throughout.
  const replyColumns = (pick: (r: TargetResult) => ReplyPhase | null): Column[] => {
    const number = (r: TargetResult, field: (phase: ReplyPhase) => number) => {
      const phase = pick(r);
      return phase ? field(phase) : Number.NaN;
    };
    return [
      { title: 'clients', value: (r) => number(r, (p) => p.clients), format: (v) => fixed(v, 0) },
      { title: 'replies', value: (r) => number(r, (p) => p.samples), format: (v) => fixed(v, 0) },
      { title: 'p50', value: (r) => number(r, (p) => p.p50Ms), format: (v) => ms(v, 2) },
      { title: 'p99', value: (r) => number(r, (p) => p.p99Ms), format: (v) => ms(v) },
      { title: 'max', value: (r) => number(r, (p) => p.maxMs), format: (v) => ms(v) },
      {
        title: 'p50 beyond debounce',
        value: (r) => number(r, (p) => p.beyondDebounceP50Ms),
        format: (v) => ms(v, 2),
      },
      {
        title: 'p50/p99 beyond model+debounce',
        value: (r) => {
          const phase = pick(r);
          return phase ? `${fixed(phase.beyondModelP50Ms, 2)} / ${fixed(phase.beyondModelP99Ms, 1)} ms` : '-';
        },
      },
      { title: 'model own p50', value: (r) => number(r, (p) => p.modelOwnP50Ms), format: (v) => ms(v, 2) },
      {
        title: 'p50 ack / typing / model / sent',
        value: (r) => {
          const s = pick(r)?.stagesP50Ms;
          return s ? [s.ack, s.typing, s.model, s.sent].map((v) => fixed(v, 1)).join(' / ') : '-';
        },
      },
      { title: 'cpu/reply', value: (r) => number(r, (p) => p.cpuMsPerReply), format: (v) => ms(v, 2) },
      { title: 'errors', value: (r) => number(r, (p) => p.errors), format: (v) => fixed(v, 0) },
      {
        title: 'target',
        value: (r) => {
          const phase = pick(r);
          // Several chats at once measure the machine's capacity too: shown, not held to the target.
          if (!phase || phase.clients > 1) return '-';
          return phase.beyondModelP50Ms <= 5 && phase.errors === 0 ? 'met' : 'NOT met';
        },
      },
    ];
  };
  out.push(
    ...table(
      replyColumns((r) => r.replySingle),
      results,
    ),
  );
  out.push(
    ...table(
      replyColumns((r) => r.replyConcurrent),
      results,
    ).slice(1),
  );
  out.push('');
  out.push('Stored exactly once (every delivery of the run, re-deliveries included)');
  out.push(
    ...table(
      [
        { title: 'updates', value: (r) => r.storage.sent, format: (v) => fixed(v, 0) },
        { title: 'acked', value: (r) => r.storage.acked, format: (v) => fixed(v, 0) },
        { title: 'stored', value: (r) => r.storage.stored, format: (v) => fixed(v, 0) },
        { title: 'LOST', value: (r) => r.storage.missing, format: (v) => fixed(v, 0) },
        { title: 'duplicates', value: (r) => r.storage.duplicates, format: (v) => fixed(v, 0) },
        { title: 'stored unacked', value: (r) => r.storage.storedUnacked, format: (v) => fixed(v, 0) },
        {
          title: 'AI replies by status',
          value: (r) =>
            Object.entries(r.storage.replies)
              .map(([status, n]) => `${status} ${n}`)
              .join(', ') || 'none',
        },
      ],
      results,
    ),
  );
  out.push('');
  out.push('Memory (RSS; with two processes, their sum)');
  out.push(
    ...table(
      [
        { title: 'idle', value: (r) => memorySum(r.idleMemory, 'rssMb'), format: mb },
        { title: 'after the open loop', value: (r) => memorySum(r.memory, 'rssMb'), format: mb },
        { title: 'peak', value: (r) => memorySum(r.memory, 'peakRssMb'), format: mb },
      ],
      results,
    ),
  );
  for (const result of results) {
    if (result.storage.missing > 0) {
      out.push(
        `!!! ${result.label}: ${result.storage.missing} acknowledged deliveries are NOT in the database ` +
          `(e.g. chat:message ${result.storage.missingSamples.join(', ')})`,
      );
    }
    if (result.storage.duplicates > 0)
      out.push(`!!! ${result.label}: ${result.storage.duplicates} messages stored twice`);
    for (const [phase, drained] of [
      ['open loop', result.openDrain],
      ['closed loop', result.closedDrain],
    ] as const) {
      if (!drained.complete) {
        out.push(
          `${result.label}: after the ${phase}, ${drained.unanswered} of ${drained.chats} chats had no answer to their ` +
            `last message ${drained.seconds.toFixed(1)} s later (the next phase ran with that backlog)`,
        );
      }
    }
    const samples = [
      ...result.open.errorSamples,
      ...result.closed.errorSamples,
      ...result.single.errorSamples,
      ...(result.replySingle?.errorSamples ?? []),
      ...(result.replyConcurrent?.errorSamples ?? []),
    ];
    if (samples.length > 0) out.push(`${result.label} errors, for example: ${samples.slice(0, 3).join(' | ')}`);
  }
  return out;
}
