import './reports.css';
import type { Quota } from '../types-usage.js';
import { count } from './format.js';

function Cap({
  id,
  label,
  used,
  cap,
  source,
  period,
}: {
  id: string;
  label: string;
  used: number;
  cap: number | null;
  source: Quota['daily_tokens_source'];
  period: string;
}) {
  if (cap === null) {
    return (
      <div class="quota-row">
        <span class="quota-label">{label}</span>
        <p>
          {count(used)} tokens used {period}; no cap
          {source === 'own' ? ' (set for this business, whatever the default)' : ''}.
        </p>
      </div>
    );
  }
  const over = used >= cap;
  return (
    <div class="quota-row">
      <label for={id}>{label}</label>
      {/* A native meter: its value and range are read out; `high` turns it amber near the cap. */}
      <meter
        id={id}
        min={0}
        max={cap}
        value={Math.min(used, cap)}
        low={cap * 0.8}
        high={cap * 0.95}
        optimum={0}
        aria-describedby={`${id}-text`}
      >
        {count(used)} of {count(cap)}
      </meter>
      <p id={`${id}-text`} class={over ? 'quota-over' : undefined}>
        {count(used)} of {count(cap)} tokens used {period}
        {source === 'default' ? " (the operator's default cap)" : ''}
        {over ? ': the cap is reached, and AI replies stop until it resets (conversations go to people).' : '.'}
      </p>
    </div>
  );
}

/** What is used today and this month of a business's caps on the shared AI key. */
export function QuotaMeters({ quota, idPrefix }: { quota: Quota; idPrefix: string }) {
  return (
    <div class="quota">
      <Cap
        id={`${idPrefix}-daily`}
        label="Today"
        used={quota.used_today}
        cap={quota.daily_tokens}
        source={quota.daily_tokens_source}
        period="today"
      />
      <Cap
        id={`${idPrefix}-monthly`}
        label="This month"
        used={quota.used_this_month}
        cap={quota.monthly_tokens}
        source={quota.monthly_tokens_source}
        period="this month"
      />
    </div>
  );
}
