import { reasonText } from '../../inbox/labels.js';
import type { Analytics, GlobalUsage, UsageStats } from '../../types-usage.js';
import { Chart, type Series } from '../../ui/chart.js';
import { count, duration, share, short, usd } from '../../ui/format.js';

// The charts of the usage screen, each with its table; the admin's global charts reuse the first three.

type UsageReport = Pick<UsageStats, 'daily' | 'totals'> | Pick<GlobalUsage, 'daily' | 'totals'>;

export function RequestsChart({ usage }: { usage: UsageReport }) {
  return (
    <Chart
      title="AI requests"
      dates={usage.daily.map((row) => row.date)}
      series={[
        { label: 'Requests', values: usage.daily.map((row) => row.requests), color: 1, bars: true },
        { label: 'Failed', values: usage.daily.map((row) => row.failed), color: 5 },
      ]}
      totals={[usage.totals.requests, usage.totals.failed]}
      format={count}
      axis={short}
      whole
    />
  );
}

export function TokensChart({ usage }: { usage: UsageReport }) {
  return (
    <Chart
      title="Tokens"
      dates={usage.daily.map((row) => row.date)}
      series={[
        { label: 'Total', values: usage.daily.map((row) => row.total_tokens), color: 4, bars: true },
        { label: 'Prompt', values: usage.daily.map((row) => row.prompt_tokens), color: 1 },
        {
          label: 'Answer and thinking',
          values: usage.daily.map((row) => row.completion_tokens + row.thought_tokens),
          color: 2,
        },
      ]}
      totals={[
        usage.totals.total_tokens,
        usage.totals.prompt_tokens,
        usage.totals.completion_tokens + usage.totals.thought_tokens,
      ]}
      format={count}
      axis={short}
      whole
    />
  );
}

export function CostChart({ usage }: { usage: UsageReport }) {
  return (
    <Chart
      title="Estimated cost (USD)"
      dates={usage.daily.map((row) => row.date)}
      series={[{ label: 'Cost', values: usage.daily.map((row) => row.estimated_cost_usd), color: 6, bars: true }]}
      totals={[usage.totals.estimated_cost_usd]}
      format={usd}
    />
  );
}

export function ResponseRateChart({ analytics }: { analytics: Analytics }) {
  return (
    <Chart
      title="AI response rate"
      dates={analytics.daily.map((row) => row.date)}
      series={[
        {
          label: 'Customer messages the AI answered',
          values: analytics.daily.map((row) => row.ai_response_rate),
          color: 3,
        },
      ]}
      totals={[analytics.totals.ai_response_rate]}
      format={share}
      max={1}
    />
  );
}

export function ResponseTimeChart({ analytics }: { analytics: Analytics }) {
  return (
    <Chart
      title="AI response time"
      dates={analytics.daily.map((row) => row.date)}
      series={[
        { label: 'Average', values: analytics.daily.map((row) => row.average_response_time_ms), color: 1 },
        { label: '95th percentile', values: analytics.daily.map((row) => row.p95_response_time_ms), color: 2 },
      ]}
      totals={[analytics.totals.average_response_time_ms, analytics.totals.p95_response_time_ms]}
      format={duration}
    />
  );
}

const COLORS: Series['color'][] = [2, 1, 4, 6, 3, 5];

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function HandoversChart({ analytics }: { analytics: Analytics }) {
  // The period's reasons, most frequent first; one line each.
  const reasons = Object.entries(analytics.totals.handovers_by_reason)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([reason]) => reason);
  const series: Series[] =
    reasons.length === 0
      ? [{ label: 'Handovers', values: analytics.daily.map((row) => row.handovers), color: 2 }]
      : reasons.map((reason, index) => ({
          label: capitalised(reasonText(reason) ?? reason),
          values: analytics.daily.map((row) => row.handovers_by_reason[reason] ?? 0),
          color: COLORS[index % COLORS.length]!,
        }));
  return (
    <Chart
      title="Handovers to people, by reason"
      legend
      dates={analytics.daily.map((row) => row.date)}
      series={series}
      totals={
        reasons.length === 0
          ? [analytics.totals.handovers]
          : reasons.map((reason) => analytics.totals.handovers_by_reason[reason] ?? 0)
      }
      format={count}
      whole
    />
  );
}

export function BurstsChart({ analytics }: { analytics: Analytics }) {
  return (
    <Chart
      title="Coalesced bursts"
      dates={analytics.daily.map((row) => row.date)}
      series={[
        {
          label: 'Answers to several messages at once',
          values: analytics.daily.map((row) => row.coalesced_bursts),
          color: 4,
          bars: true,
        },
      ]}
      totals={[analytics.totals.coalesced_bursts]}
      format={count}
      whole
    />
  );
}
