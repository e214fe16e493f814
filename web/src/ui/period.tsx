import './reports.css';
import { navigate, useLocation } from '../router.js';

/** The periods the usage screens offer, in days (today included). */
export const PERIODS = [7, 30, 90] as const;
const DEFAULT_DAYS = 30;

/** The period chosen, kept in the address (`?days=`) so a reload or a shared link keeps it. */
export function usePeriod(): [number, (days: number) => void] {
  const { path, params } = useLocation();
  const asked = Number(params.get('days'));
  const days = (PERIODS as readonly number[]).includes(asked) ? asked : DEFAULT_DAYS;
  const choose = (next: number) => {
    const search = new URLSearchParams(params);
    search.set('days', String(next));
    navigate(`${path}?${search.toString()}`, true);
  };
  return [days, choose];
}

/** Three radio buttons: arrow keys move between them, as with any radio group. */
export function PeriodPicker({
  days,
  onChange,
  name,
}: {
  days: number;
  onChange: (days: number) => void;
  name: string;
}) {
  return (
    <fieldset class="period">
      <legend>Period</legend>
      <div class="period-options">
        {PERIODS.map((option) => (
          <label key={option}>
            <input
              type="radio"
              name={name}
              value={option}
              checked={days === option}
              onChange={() => onChange(option)}
            />
            {option} days
          </label>
        ))}
      </div>
    </fieldset>
  );
}
