import type { UsageStats } from '../../types-usage.js';
import { Figures } from '../../ui/figures.js';
import { count, usd } from '../../ui/format.js';
import { ScrollTable } from '../../ui/scroll-table.js';

type AnswerCosts = UsageStats['answer_costs'];
type Spread = AnswerCosts['per_reply'];

// A cost is unknown when no reply in the group used a priced model: said in words, never shown as $0.
const cost = (value: number | null) => (value === null ? 'unknown' : usd(value));
const tokens = (value: number | null) => (value === null ? '—' : count(value));

function SpreadRow({ name, spread }: { name: string; spread: Spread }) {
  return (
    <tr>
      <th scope="row">
        {name} ({count(spread.count)})
      </th>
      <td>{tokens(spread.mean_tokens)}</td>
      <td>{tokens(spread.p95_tokens)}</td>
      <td>{spread.count === 0 ? '—' : cost(spread.mean_cost_usd)}</td>
      <td>{spread.count === 0 ? '—' : cost(spread.p95_cost_usd)}</td>
    </tr>
  );
}

/** What one answer costs, and the model calls Parley did not need to make; over the whole period. */
export function AnswerCostsSection({
  costs,
  idPrefix,
  nested = false,
}: {
  costs: AnswerCosts;
  idPrefix: string;
  /** Inside a section with its own h2 (the admin's), so its headings go one level down. */
  nested?: boolean;
}) {
  const Heading = nested ? 'h3' : 'h2';
  const Subheading = nested ? 'h4' : 'h3';
  const unpriced = costs.per_reply.unpriced + costs.per_ai_conversation.unpriced;
  const avoided = costs.model_calls_avoided;
  return (
    <section aria-labelledby={`${idPrefix}-cost-heading`}>
      <Heading id={`${idPrefix}-cost-heading`}>Cost per answer</Heading>
      <ScrollTable class="card flush" label="Tokens and cost per answer">
        <table class="data">
          <caption>Tokens and estimated cost: mean and 95th percentile</caption>
          <thead>
            <tr>
              <th scope="col">Per</th>
              <th scope="col">Mean tokens</th>
              <th scope="col">95% within (tokens)</th>
              <th scope="col">Mean cost</th>
              <th scope="col">95% within (cost)</th>
            </tr>
          </thead>
          <tbody>
            <SpreadRow name="AI reply" spread={costs.per_reply} />
            <SpreadRow name="Conversation the AI answered alone" spread={costs.per_ai_conversation} />
          </tbody>
        </table>
      </ScrollTable>
      <p class="hint">
        A conversation counts when it began in this period and no person took part (test chats from “Try it” are left
        out).
        {unpriced > 0 && ' Replies from a model without a price are in the tokens but not in the cost.'}
      </p>
      <Subheading id={`${idPrefix}-avoided-heading`}>Model calls avoided</Subheading>
      <Figures
        label="Model calls avoided"
        items={[
          ['Answered together in one reply', count(avoided.coalesced)],
          ['While a person had the conversation', count(avoided.takeovers)],
          ['Outside business hours', count(avoided.closed_hours)],
          ['All reasons', count(avoided.total)],
        ]}
      />
    </section>
  );
}
