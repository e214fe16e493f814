/** bench:ws's figures: one target's result, its percentiles and the table it prints. */
import { percentile } from '../lib/load.js';
import type { Memory } from '../lib/process.js';

/** Issue #17: event delivery p99 with 10,000 clients on one process. */
export const TARGET_DELIVERY_P99_MS = 50;

export interface Percentiles {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface TargetResult {
  target: string;
  label: string;
  servers: number;
  clients: number;
  businesses: number;
  clientThreads: number;
  connectMs: number;
  connectFailures: string[];
  asks: number;
  askErrors: string[];
  /** Deliveries expected (asks × clients of the asking business) and those missing or extra. */
  expected: number;
  missing: number;
  duplicated: number;
  delivery: Percentiles;
  endToEnd: Percentiles;
  durationMs: number;
  /** Summed over the target's servers: before the clients, with them connected and idle, after the load. */
  idleMemory: (Memory | undefined)[];
  connectedMemory: (Memory | undefined)[];
  loadedMemory: (Memory | undefined)[];
  /** Server CPU milliseconds per 1,000 first pieces delivered, all servers. */
  serverCpuMsPer1000Deliveries: number;
  /** How late the bench's own event loops ran in the measured phase: the main thread (emulator, asks) and the client threads'. */
  benchLoopDelay: { main: { p99Ms: number; maxMs: number }; clients: { p99Ms: number; maxMs: number } };
}

export function percentiles(values: number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  return {
    p50Ms: percentile(list, 50),
    p90Ms: percentile(list, 90),
    p99Ms: percentile(list, 99),
    maxMs: list.at(-1) ?? Number.NaN,
  };
}

export function errorsOf(result: TargetResult): number {
  return result.missing + result.duplicated + result.askErrors.length + result.connectFailures.length;
}

const ms = (value: number, digits = 1) => (Number.isNaN(value) ? '-' : `${value.toFixed(digits)} ms`);
const sumMb = (memories: (Memory | undefined)[]) => memories.reduce((sum, memory) => sum + (memory?.rssMb ?? NaN), 0);

export function table(results: TargetResult[]): string[] {
  const header = [
    'target',
    'clients',
    'delivery p50',
    'p99',
    'max',
    'ask→completed p50',
    'p99',
    'missed',
    'rss idle',
    'w/ clients',
    'KB/conn',
    'after load',
    'bench lag p99',
  ];
  const cells = results.map((result) => {
    const idle = sumMb(result.idleMemory);
    const connected = sumMb(result.connectedMemory);
    const perConnection = ((connected - idle) * 1024) / result.clients;
    const lag = Math.max(result.benchLoopDelay.main.p99Ms, result.benchLoopDelay.clients.p99Ms);
    return [
      result.label,
      `${result.clients} / ${result.businesses}`,
      ms(result.delivery.p50Ms, 2),
      ms(result.delivery.p99Ms),
      ms(result.delivery.maxMs),
      ms(result.endToEnd.p50Ms),
      ms(result.endToEnd.p99Ms),
      String(errorsOf(result)),
      `${idle.toFixed(0)} MB`,
      `${connected.toFixed(0)} MB`,
      Number.isNaN(perConnection) ? '-' : perConnection.toFixed(1),
      `${sumMb(result.loadedMemory).toFixed(0)} MB`,
      ms(lag),
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const format = (line: string[]) =>
    line.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!))).join('  ');
  return [format(header), ...cells.map(format)];
}

/** Whether one process with `clients` clients met issue #17's row (only said of runs that size or more, on one process). */
export function verdict(result: TargetResult): string | undefined {
  if (result.servers !== 1 || result.clients < 10_000) return undefined;
  const met = result.delivery.p99Ms <= TARGET_DELIVERY_P99_MS && errorsOf(result) === 0;
  return `${result.label}: delivery p99 ${ms(result.delivery.p99Ms)} with ${result.clients} clients on one process (target <= ${TARGET_DELIVERY_P99_MS} ms, exactly once: ${met ? 'met' : 'NOT met'})`;
}
