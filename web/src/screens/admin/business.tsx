import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'preact/hooks';
import { api, ApiError } from '../../api.js';
import { describedBy, Field, SaveStatus, useSave, useUnsavedChanges } from '../../forms.js';
import { Link } from '../../nav.js';
import type { Business } from '../../types-admin.js';
import type { Quota, UserQuota } from '../../types-usage.js';
import { Figures } from '../../ui/figures.js';
import { count, usd, when } from '../../ui/format.js';
import { QuotaMeters } from '../../ui/quota-meter.js';
import { ADMIN_KEY, useBusiness } from './data.js';

/** One business: its status, what it used this month, and its caps on the shared key. */
export function BusinessDetail({ id }: { id: string }) {
  const business = useBusiness(id);
  const missing = business.error instanceof ApiError && business.error.status === 404;
  const title = business.data?.username ?? (missing ? 'No such business' : 'Business');
  return (
    <main class="screen admin">
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <Link href="/admin">All businesses</Link>
      </nav>
      <h1>{title}</h1>
      {business.isPending && <p class="hint">Loading…</p>}
      <p class="error" role="alert">
        {missing
          ? 'There is no business with this id: it may have been deleted.'
          : business.error
            ? `The business could not be loaded: ${business.error.message}`
            : ''}
      </p>
      {business.data && <Status business={business.data} />}
      {business.data && <QuotaSection business={business.data} />}
    </main>
  );
}

function Status({ business }: { business: Business }) {
  return (
    <section aria-labelledby="status-heading">
      <h2 id="status-heading">Status</h2>
      <p class="hint">
        {business.email || 'No email'} · {business.is_admin ? 'administrator' : 'business'} · since{' '}
        {when(business.created_at)}
      </p>
      <Figures
        items={[
          ['AI answers', business.ai_enabled ? 'On' : 'Off'],
          ['New conversations go to', business.default_reply_handler === 'AI' ? 'The AI' : 'People'],
          ['Conversations', count(business.conversations.total)],
          ['With people now', count(business.conversations.people)],
          ['AI requests this month', count(business.usage_this_month.requests)],
          ['Tokens this month', count(business.usage_this_month.total_tokens)],
          ['Estimated cost this month', usd(business.usage_this_month.estimated_cost_usd)],
        ]}
      />
    </section>
  );
}

const QUOTA_FIELDS = ['daily_tokens', 'monthly_tokens', 'weight'] as const;
type Caps = Record<(typeof QUOTA_FIELDS)[number], string>;

/** The business's own cap as typed: empty where the operator's default applies, 0 for "no cap". */
const asText = (cap: number | null, source: Quota['daily_tokens_source']) =>
  source === 'default' ? '' : String(cap ?? 0);
/** An empty field means the default (null); anything else goes as typed, for the API to judge. */
const asNumber = (text: string) => (text.trim() === '' ? null : Number(text));
const ownCaps = (quota: Quota): Caps => ({
  daily_tokens: asText(quota.daily_tokens, quota.daily_tokens_source),
  monthly_tokens: asText(quota.monthly_tokens, quota.monthly_tokens_source),
  weight: String(quota.weight),
});

function QuotaSection({ business }: { business: Business }) {
  const client = useQueryClient();
  const stored = ownCaps(business.quota);
  const [caps, setCaps] = useState<Caps>(stored);
  const dirty = QUOTA_FIELDS.some((field) => caps[field] !== stored[field]);
  useUnsavedChanges(dirty);
  const save = useSave<Caps>(QUOTA_FIELDS, async (value) => {
    const quota = await api<UserQuota>('PUT', `/api/v1/ai/usage/quotas/${encodeURIComponent(business.username)}/`, {
      daily_tokens: asNumber(value.daily_tokens),
      monthly_tokens: asNumber(value.monthly_tokens),
      // Empty means the default weight, an equal share.
      weight: value.weight.trim() === '' ? 1 : Number(value.weight),
    });
    setCaps(ownCaps(quota));
    await client.invalidateQueries({ queryKey: ADMIN_KEY });
  });
  const input = (
    field: keyof Caps,
    label: string,
    number: { min: number; step: number | 'any'; placeholder: string },
  ) => (
    <Field id={field} label={label} errors={save.errors}>
      <input
        {...describedBy(field, save.errors)}
        type="number"
        inputMode={number.step === 'any' ? 'decimal' : 'numeric'}
        min={number.min}
        step={number.step}
        placeholder={number.placeholder}
        value={caps[field]}
        onInput={(event) => setCaps({ ...caps, [field]: event.currentTarget.value })}
      />
    </Field>
  );
  const tokenCap = { min: 0, step: 1, placeholder: 'The default' };
  return (
    <section aria-labelledby="quota-heading" class="card">
      <h2 id="quota-heading">Quota on the shared AI key</h2>
      <QuotaMeters quota={business.quota} idPrefix="business-quota" />
      <form
        class="quota-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void save.run(caps);
        }}
      >
        <p class="hint">
          Tokens a calendar day and month. Empty: the operator’s default cap (PARLEY_DEFAULT_DAILY_TOKENS and
          PARLEY_DEFAULT_MONTHLY_TOKENS; none if unset). 0: no cap, whatever the default. Over a cap, AI replies stop
          with the reason “quota exceeded” and conversations go to people. The weight (0.1 to 100, 1 for an equal share)
          sets this business's turns on the key's per-minute budget when several businesses want more than it allows.
        </p>
        <div class="quota-fields">
          {input('daily_tokens', 'Daily cap (tokens)', tokenCap)}
          {input('monthly_tokens', 'Monthly cap (tokens)', tokenCap)}
          {input('weight', 'Weight', { min: 0.1, step: 'any', placeholder: '1' })}
        </div>
        <SaveStatus errors={save.errors} saved={save.saved && !dirty} />
        <div class="form-actions">
          <button type="submit" class="primary" disabled={save.busy || !dirty}>
            {save.busy ? 'Saving…' : 'Save caps'}
          </button>
        </div>
      </form>
    </section>
  );
}
