import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './reports.css';
import { day, dayWithWeekday } from './format.js';
import { ScrollTable } from './scroll-table.js';

// A chart of one value (or a few) per day, drawn by uPlot on a canvas, and the same figures as a
// table for whoever cannot see the canvas. Only the usage and admin screens import this module,
// so uPlot (about 22 KB gzipped) loads with them and never with the inbox.

export interface Series {
  label: string;
  /** One per day; null where there is nothing to show (a rate without messages). */
  values: (number | null)[];
  /** Which of the palette's colours (--chart-1 … --chart-6 in chart.css). */
  color: 1 | 2 | 3 | 4 | 5 | 6;
  /** Drawn as bars; otherwise as a line. */
  bars?: boolean;
}

export interface ChartProps {
  title: string;
  /** YYYY-MM-DD, oldest first, in the business's time zone. */
  dates: string[];
  series: Series[];
  /** A value as the table and the summary write it. */
  format: (value: number) => string;
  /** A value on the axis (shorter); `format` when omitted. */
  axis?: (value: number) => string;
  /** The axis's top; from the data when omitted. */
  max?: number;
  /** Only whole numbers on the axis (counts). */
  whole?: boolean;
  /** Name the series above the chart even when there is one (its label says what it counts). */
  legend?: boolean;
  /** The period's figures, as the table's last row (they are not always the sum: a p95 is not). */
  totals?: (number | null)[];
  children?: ComponentChildren;
}

const HEIGHT = 190;
const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const WHOLE_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500]
  .flatMap((n) => [n, n * 1e3, n * 1e6])
  .sort((a, b) => a - b);
const DAY_STEPS = [1, 2, 7, 14, 28];
const DARK = '(prefers-color-scheme: dark)';

/** The chart's colours come from CSS custom properties, so they follow light and dark. */
function useColorScheme(): boolean {
  const [dark, setDark] = useState(() => matchMedia(DARK).matches);
  useEffect(() => {
    const query = matchMedia(DARK);
    const changed = () => setDark(query.matches);
    query.addEventListener('change', changed);
    return () => query.removeEventListener('change', changed);
  }, []);
  return dark;
}

function summary(title: string, props: ChartProps): string {
  const { dates, series, format } = props;
  if (dates.length === 0) return title;
  const parts = series.map((line) => {
    let best = -1;
    line.values.forEach((value, index) => {
      if (value !== null && (best < 0 || value > (line.values[best] ?? 0))) best = index;
    });
    const top = best < 0 ? null : line.values[best];
    return top === null || top === undefined || top === 0
      ? `${line.label}: none`
      : `${line.label}: highest ${format(top)}, on ${day(dates[best]!)}`;
  });
  return `${title}, by day from ${day(dates[0]!)} to ${day(dates.at(-1)!)}. ${parts.join('; ')}.`;
}

function Plot(props: ChartProps & { label: string }) {
  const { dates, series, axis, format, max, whole, label } = props;
  const box = useRef<HTMLDivElement>(null);
  const dark = useColorScheme();
  const key = JSON.stringify([dates, series, max, whole]);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const style = getComputedStyle(element);
    const css = (name: string) => style.getPropertyValue(name).trim();
    const muted = css('--muted');
    const line = css('--line');
    const widthOf = (values: string[] | null) =>
      values ? Math.max(24, ...values.map((value) => value.length * 7.2)) + 14 : 40;
    const options: uPlot.Options = {
      width: element.clientWidth || 320,
      height: HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: false, range: [-0.5, Math.max(dates.length, 1) - 0.5] },
        y: { range: (_plot, _min, top) => [0, max ?? (top > 0 ? uPlot.rangeNum(0, top, 0.1, true)[1] : 1)] },
      },
      axes: [
        {
          stroke: muted,
          font: FONT,
          grid: { show: false },
          ticks: { stroke: line, size: 4 },
          incrs: DAY_STEPS,
          space: 52,
          values: (_plot, splits) => splits.map((index) => (dates[index] ? day(dates[index]) : '')),
        },
        {
          stroke: muted,
          font: FONT,
          grid: { stroke: line, width: 1 },
          ticks: { show: false },
          ...(whole ? { incrs: WHOLE_STEPS } : {}),
          values: (_plot, splits) => splits.map((value) => (axis ?? format)(value)),
          size: (_plot, values) => widthOf(values),
        },
      ],
      series: [
        {},
        ...series.map((one): uPlot.Series => {
          const color = css(`--chart-${one.color}`);
          return one.bars
            ? {
                label: one.label,
                stroke: color,
                fill: color,
                width: 0,
                paths: uPlot.paths.bars!({ size: [0.7, 32] }),
                points: { show: false },
              }
            : { label: one.label, stroke: color, width: 2, points: { show: dates.length <= 31, size: 5, fill: color } };
        }),
      ],
    };
    const plot = new uPlot(
      options,
      [dates.map((_date, index) => index), ...series.map((one) => one.values)] as uPlot.AlignedData,
      element,
    );
    // The chart follows its column: a phone's width, a desktop's half.
    const observer = new ResizeObserver(() => {
      if (element.clientWidth > 0) plot.setSize({ width: element.clientWidth, height: HEIGHT });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
    // `key` stands for the data; the colours change with the scheme.
  }, [key, dark]);
  return <div ref={box} class="chart-plot" role="img" aria-label={label} />;
}

/** A titled chart with its legend, and "Show as table" with every day's figures. */
export function Chart(props: ChartProps) {
  const { title, dates, series, format, totals, legend, children } = props;
  return (
    <figure class="chart card">
      <figcaption>
        <h3>{title}</h3>
        {(series.length > 1 || legend) && (
          <ul class="chart-legend" aria-hidden="true">
            {series.map((one) => (
              <li key={one.label}>
                <span class={`swatch swatch--${one.color}${one.bars ? ' swatch--bar' : ''}`} />
                {one.label}
              </li>
            ))}
          </ul>
        )}
        {children}
      </figcaption>
      <Plot {...props} label={summary(title, props)} />
      <details class="chart-table">
        <summary>
          Show as table<span class="visually-hidden">: {title}</span>
        </summary>
        <ScrollTable label={`${title}, by day`}>
          <table class="data">
            <caption>{title}</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {series.map((one) => (
                  <th scope="col" key={one.label}>
                    {one.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {dates.map((date, index) => (
                <tr key={date}>
                  <th scope="row">
                    <time dateTime={date}>{dayWithWeekday(date)}</time>
                  </th>
                  {series.map((one) => {
                    const value = one.values[index];
                    return <td key={one.label}>{value === null || value === undefined ? '—' : format(value)}</td>;
                  })}
                </tr>
              ))}
            </tbody>
            {totals && (
              <tfoot>
                <tr>
                  <th scope="row">Whole period</th>
                  {totals.map((value, index) => (
                    <td key={series[index]?.label ?? index}>{value === null ? '—' : format(value)}</td>
                  ))}
                </tr>
              </tfoot>
            )}
          </table>
        </ScrollTable>
      </details>
    </figure>
  );
}
