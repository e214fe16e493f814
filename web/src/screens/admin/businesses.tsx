import { Link } from '../../nav.js';
import type { Business } from '../../types-admin.js';
import { count, usd } from '../../ui/format.js';
import { CreateBusiness } from './create-business.js';
import { useBusinesses } from './data.js';
import { ScrollTable } from '../../ui/scroll-table.js';

function caps(business: Business): string {
  const { quota } = business;
  const cap = (tokens: number | null, source: string, period: string) =>
    tokens === null ? null : `${count(tokens)} a ${period}${source === 'default' ? ' (default)' : ''}`;
  const shown = [
    cap(quota.daily_tokens, quota.daily_tokens_source, 'day'),
    cap(quota.monthly_tokens, quota.monthly_tokens_source, 'month'),
  ].filter(Boolean);
  return shown.length > 0 ? shown.join(', ') : 'None';
}

/** Every business with its status, and the button that creates one. */
export function Businesses() {
  const businesses = useBusinesses();
  return (
    <section aria-labelledby="businesses-heading">
      <div class="section-head">
        <h2 id="businesses-heading">Businesses</h2>
        <CreateBusiness />
      </div>
      {businesses.isPending && <p class="hint">Loading…</p>}
      <p class="error" role="alert">
        {businesses.error ? `The businesses could not be loaded: ${businesses.error.message}` : ''}
      </p>
      {businesses.data && (
        <ScrollTable class="card flush" label="Businesses">
          <table class="data businesses">
            <caption class="visually-hidden">Every business: its AI, conversations, usage this month and caps</caption>
            <thead>
              <tr>
                <th scope="col">Business</th>
                <th scope="col">AI answers</th>
                <th scope="col">New conversations go to</th>
                <th scope="col">Conversations</th>
                <th scope="col">Used this month</th>
                <th scope="col">Token caps</th>
              </tr>
            </thead>
            <tbody>
              {businesses.data.results.map((business) => (
                <tr key={business.id}>
                  <th scope="row">
                    <Link href={`/admin/${business.id}`}>{business.username}</Link>
                    {business.is_admin && <span class="tag">admin</span>}
                  </th>
                  <td>{business.ai_enabled ? 'On' : 'Off'}</td>
                  <td>{business.default_reply_handler === 'AI' ? 'The AI' : 'People'}</td>
                  <td>
                    {count(business.conversations.total)}
                    {business.conversations.people > 0 && (
                      <span class="hint"> ({count(business.conversations.people)} with people)</span>
                    )}
                  </td>
                  <td>
                    {count(business.usage_this_month.total_tokens)} tokens
                    <span class="hint">
                      {' '}
                      · {count(business.usage_this_month.requests)} requests ·{' '}
                      {usd(business.usage_this_month.estimated_cost_usd)}
                    </span>
                  </td>
                  <td>
                    {caps(business)}
                    {business.quota.exceeded && <span class="tag tag--attention">over a cap</span>}
                    {business.quota.weight !== 1 && <span class="tag">weight {business.quota.weight}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
    </section>
  );
}
