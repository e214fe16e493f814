import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, query } from '../api.js';
import type { ScreenProps } from '../screens.js';
import type { Analytics, UsageStats } from '../types-usage.js';
import { Figures } from '../ui/figures.js';
import { count, day, duration, share, usd } from '../ui/format.js';
import { PeriodPicker, usePeriod } from '../ui/period.js';
import { QuotaMeters } from '../ui/quota-meter.js';
import {
  BurstsChart,
  CostChart,
  HandoversChart,
  RequestsChart,
  ResponseRateChart,
  ResponseTimeChart,
  TokensChart,
} from './usage/charts.js';
import { AnswerCostsSection } from './usage/answer-costs.js';

function useReport<T>(path: string, days: number) {
  return useQuery({
    queryKey: [path, days],
    queryFn: () => api<T>('GET', `${path}${query({ days })}`),
    // Switching the period keeps the old charts until the new figures arrive.
    placeholderData: keepPreviousData,
  });
}

/** This business's use of the AI and what its conversations looked like, day by day. */
export function Usage(_props: ScreenProps) {
  const [days, setDays] = usePeriod();
  const usage = useReport<UsageStats>('/api/v1/ai/usage/stats/', days);
  const analytics = useReport<Analytics>('/api/v1/ai/analytics/', days);
  const error = usage.error ?? analytics.error;
  const period = usage.data?.period;
  return (
    <main class="screen usage">
      <h1>Usage</h1>
      <PeriodPicker name="usage-period" days={days} onChange={setDays} />
      <p class="hint" aria-live="polite">
        {period
          ? `The last ${period.days} days, ${day(period.start)} to ${day(period.end)} (today), in ${period.timezone}.`
          : 'Loading…'}
      </p>
      <p class="error" role="alert">
        {error ? `The figures could not be loaded: ${error.message}` : ''}
      </p>

      {usage.data && (
        <section aria-labelledby="quota-heading" class="card">
          <h2 id="quota-heading">Your quota</h2>
          <QuotaMeters quota={usage.data.quota} idPrefix="quota" />
          <p class="hint">Caps on the shared AI key are set by the person who runs Parley.</p>
        </section>
      )}

      {usage.data && analytics.data && (
        <>
          <section aria-labelledby="glance-heading">
            <h2 id="glance-heading">In this period</h2>
            <Figures
              items={[
                ['AI requests', count(usage.data.totals.requests)],
                ['Tokens', count(usage.data.totals.total_tokens)],
                ['Estimated cost', usd(usage.data.totals.estimated_cost_usd)],
                ['Cached tokens', count(usage.data.totals.cached_tokens)],
                ['Saved by caching', usd(usage.data.totals.cache_saving_usd)],
                ['Conversations', count(analytics.data.totals.conversations)],
                ['AI response rate', rate(analytics.data.totals.ai_response_rate)],
                ['Average response', ms(analytics.data.totals.average_response_time_ms)],
                ['95% answered within', ms(analytics.data.totals.p95_response_time_ms)],
                ['Handovers to people', count(analytics.data.totals.handovers)],
              ]}
            />
          </section>

          <section aria-labelledby="key-heading">
            <h2 id="key-heading">The AI's use of the key</h2>
            <p class="hint">
              Every model call counts, failed ones too. Costs are estimates from the model's list prices; prompt tokens
              Gemini served from its cache cost less.
            </p>
            {usage.data.unpriced_models.length > 0 && (
              <p class="hint">
                No price is set for {usage.data.unpriced_models.join(', ')}: their calls count, but their cost is not in
                the estimate.
              </p>
            )}
            <div class="chart-grid">
              <RequestsChart usage={usage.data} />
              <TokensChart usage={usage.data} />
              <CostChart usage={usage.data} />
            </div>
          </section>

          <AnswerCostsSection costs={usage.data.answer_costs} idPrefix="usage" />

          <section aria-labelledby="conversations-heading">
            <h2 id="conversations-heading">Conversations</h2>
            <div class="chart-grid">
              <ResponseRateChart analytics={analytics.data} />
              <ResponseTimeChart analytics={analytics.data} />
              <HandoversChart analytics={analytics.data} />
              <BurstsChart analytics={analytics.data} />
            </div>
          </section>
        </>
      )}
    </main>
  );
}

const ms = (value: number | null) => (value === null ? '—' : duration(value));
const rate = (value: number | null) => (value === null ? '—' : share(value));
