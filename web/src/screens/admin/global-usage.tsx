import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, query } from '../../api.js';
import { Link } from '../../nav.js';
import type { GlobalUsage } from '../../types-usage.js';
import { count, day, usd } from '../../ui/format.js';
import { PeriodPicker, usePeriod } from '../../ui/period.js';
import { CostChart, RequestsChart, TokensChart } from '../usage/charts.js';
import { AnswerCostsSection } from '../usage/answer-costs.js';
import { ScrollTable } from '../../ui/scroll-table.js';

/** Everyone's use of the shared key: the same charts as a business's, and a row per business. */
export function GlobalUsageSection() {
  const [days, setDays] = usePeriod();
  const usage = useQuery({
    queryKey: ['admin', 'usage', days],
    queryFn: () => api<GlobalUsage>('GET', `/api/v1/ai/usage/global/${query({ days })}`),
    placeholderData: keepPreviousData,
  });
  const data = usage.data;
  return (
    <section aria-labelledby="global-heading">
      <h2 id="global-heading">Usage across businesses</h2>
      <PeriodPicker name="admin-period" days={days} onChange={setDays} />
      <p class="hint" aria-live="polite">
        {data ? `${day(data.period.start)} to ${day(data.period.end)}, in ${data.period.timezone}.` : 'Loading…'}
      </p>
      <p class="error" role="alert">
        {usage.error ? `Usage could not be loaded: ${usage.error.message}` : ''}
      </p>
      {data && (
        <>
          <div class="chart-grid">
            <RequestsChart usage={data} />
            <TokensChart usage={data} />
            <CostChart usage={data} />
          </div>
          <ScrollTable class="card flush" label="Usage by business">
            <table class="data">
              <caption>By business, heaviest first</caption>
              <thead>
                <tr>
                  <th scope="col">Business</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Tokens</th>
                  <th scope="col">Estimated cost</th>
                </tr>
              </thead>
              <tbody>
                {data.users.map((row) => (
                  <tr key={row.id}>
                    <th scope="row">
                      <Link href={`/admin/${row.id}`}>{row.username}</Link>
                    </th>
                    <td>{count(row.requests)}</td>
                    <td>{count(row.failed)}</td>
                    <td>{count(row.total_tokens)}</td>
                    <td>{usd(row.estimated_cost_usd)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollTable>
          <AnswerCostsSection costs={data.answer_costs} idPrefix="global" nested />
        </>
      )}
    </section>
  );
}
