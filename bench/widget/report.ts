/** bench:widget's figures: percentiles, the result of one target, the table it prints and its verdict. */
import { percentile } from '../lib/load.js';

/** Issue #16's target for the time Parley adds to the model's. */
export const TARGET_ADDED = { p50Ms: 100, p95Ms: 250 };

export interface Percentiles {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface TargetResult {
  target: string;
  label: string;
  visitors: number;
  samples: number;
  errors: string[];
  accepted: Percentiles;
  firstDelta: Percentiles;
  model: Percentiles;
  added: Percentiles;
  /** The added time's two parts: before the model call reached the emulator, and after its first piece left. */
  toModel: Percentiles;
  afterModel: Percentiles;
  durationMs: number;
  serverCpuMsPerMessage: number;
  rssMb: number | undefined;
  /** How late the bench's own event loop ran during the measured phase (its timestamps are that late). */
  benchLoopDelay: { p99Ms: number; maxMs: number };
}

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}

export const ms = (value: number) => (Number.isNaN(value) ? '-' : `${value.toFixed(1)} ms`);

export function table(results: TargetResult[]): string[] {
  const header = [
    'target',
    'msgs',
    'errors',
    '202 p50',
    'first delta p50',
    'p95',
    'model p50',
    'added p50',
    'p95',
    'p99',
    'to model p50',
    'p95',
    'after p50',
    'p95',
    'cpu/msg',
    'rss',
    'bench lag p99',
    'max',
  ];
  const cells = results.map((result) => [
    result.label,
    String(result.samples),
    String(result.errors.length),
    ms(result.accepted.p50Ms),
    ms(result.firstDelta.p50Ms),
    ms(result.firstDelta.p95Ms),
    ms(result.model.p50Ms),
    ms(result.added.p50Ms),
    ms(result.added.p95Ms),
    ms(result.added.p99Ms),
    ms(result.toModel.p50Ms),
    ms(result.toModel.p95Ms),
    ms(result.afterModel.p50Ms),
    ms(result.afterModel.p95Ms),
    ms(result.serverCpuMsPerMessage),
    result.rssMb === undefined ? '-' : `${result.rssMb.toFixed(0)} MB`,
    ms(result.benchLoopDelay.p99Ms),
    ms(result.benchLoopDelay.maxMs),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const format = (line: string[]) =>
    line.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!))).join('  ');
  return [format(header), ...cells.map(format)];
}

export const verdict = (result: TargetResult) =>
  result.added.p50Ms <= TARGET_ADDED.p50Ms && result.added.p95Ms <= TARGET_ADDED.p95Ms && result.errors.length === 0;
