import { useEffect, useRef, useState } from 'preact/hooks';
import type { FormErrors } from '../../forms.js';
import type { Weekday } from '../../types-hours.js';
import { DAY_NAMES, newRange, overnight, WEEKDAYS, type Range, type Week } from './model.js';

// The weekly editor: any number of ranges a day, ranges past midnight, and a day's hours
// copied to others. Every control has a name that says which day and range it is.

const focusSoon = (id: string) => requestAnimationFrame(() => document.getElementById(id)?.focus());

export function WeekEditor({
  week,
  onChange,
  errors,
}: {
  week: Week;
  onChange: (week: Week) => void;
  errors: FormErrors;
}) {
  const [copying, setCopying] = useState<Weekday | null>(null);
  const setDay = (day: Weekday, ranges: Range[]) => onChange({ ...week, [day]: ranges });
  const general = [...(errors.fields['business_hours.schedule'] ?? []), ...(errors.fields['business_hours'] ?? [])];
  return (
    <fieldset class="card week">
      <legend>Opening hours</legend>
      <p class="field-hint" id="week-hint">
        In the business’s time zone. A range that closes at or before its opening time runs past midnight: 22:00 – 02:00
        closes at two the next morning.
      </p>
      {general.length > 0 && <p class="field-error">{general.join(' ')}</p>}
      <ul class="days">
        {WEEKDAYS.map((day) => (
          <Day
            key={day}
            day={day}
            ranges={week[day]}
            errors={errors}
            onChange={(ranges) => setDay(day, ranges)}
            onCopy={() => setCopying(day)}
          />
        ))}
      </ul>
      <CopyDialog
        from={copying}
        onClose={() => setCopying(null)}
        onCopy={(days) => {
          if (!copying) return;
          const next = { ...week };
          for (const day of days) next[day] = week[copying].map((range) => newRange(range.from, range.to));
          onChange(next);
        }}
      />
    </fieldset>
  );
}

function Day({
  day,
  ranges,
  errors,
  onChange,
  onCopy,
}: {
  day: Weekday;
  ranges: Range[];
  errors: FormErrors;
  onChange: (ranges: Range[]) => void;
  onCopy: () => void;
}) {
  const name = DAY_NAMES[day];
  const dayErrors = errors.fields[`business_hours.schedule.${day}`] ?? [];
  const add = () => {
    const range = ranges.length === 0 ? newRange('09:00', '17:00') : newRange('18:00', '22:00');
    onChange([...ranges, range]);
    focusSoon(`hours-${day}-${ranges.length}-from`);
  };
  return (
    <li class="day">
      <h3 class="day-name" id={`day-${day}`}>
        {name}
      </h3>
      <div class="ranges">
        {ranges.length === 0 && <p class="closed">Closed</p>}
        {ranges.map((range, index) => (
          <RangeRow
            key={range.key}
            day={day}
            index={index}
            range={range}
            multiple={ranges.length > 1}
            messages={errors.fields[`business_hours.schedule.${day}.${index}`] ?? []}
            onChange={(changed) => onChange(ranges.map((each) => (each.key === range.key ? changed : each)))}
            onRemove={() => {
              onChange(ranges.filter((each) => each.key !== range.key));
              focusSoon(`add-${day}`);
            }}
          />
        ))}
        {dayErrors.length > 0 && <p class="field-error">{dayErrors.join(' ')}</p>}
      </div>
      <div class="day-actions">
        <button type="button" class="quiet" id={`add-${day}`} aria-label={`Add hours on ${name}`} onClick={add}>
          Add hours
        </button>
        {ranges.length > 0 && (
          <button type="button" class="quiet" aria-label={`Copy ${name}’s hours to other days`} onClick={onCopy}>
            Copy to…
          </button>
        )}
      </div>
    </li>
  );
}

function RangeRow({
  day,
  index,
  range,
  multiple,
  messages,
  onChange,
  onRemove,
}: {
  day: Weekday;
  index: number;
  range: Range;
  multiple: boolean;
  messages: string[];
  onChange: (range: Range) => void;
  onRemove: () => void;
}) {
  const id = `hours-${day}-${index}`;
  const name = `${DAY_NAMES[day]}${multiple ? `, hours ${index + 1},` : ''}`;
  const late = overnight(range);
  const described = [late ? `${id}-note` : '', messages.length > 0 ? `${id}-error` : ''].filter(Boolean).join(' ');
  const input = (end: 'from' | 'to') => (
    <>
      <label class="visually-hidden" for={`${id}-${end}`}>
        {name} {end === 'from' ? 'opens' : 'closes'}
      </label>
      <input
        type="time"
        id={`${id}-${end}`}
        value={range[end]}
        required
        aria-invalid={messages.length > 0 || undefined}
        aria-describedby={described || undefined}
        onInput={(event) => onChange({ ...range, [end]: event.currentTarget.value })}
      />
    </>
  );
  return (
    <div class={`range ${messages.length > 0 ? 'range--invalid' : ''}`}>
      <div class="range-times">
        {input('from')}
        <span aria-hidden="true">–</span>
        {input('to')}
        {late && (
          <span class="range-note" id={`${id}-note`}>
            closes the next day
          </span>
        )}
        <button
          type="button"
          class="quiet"
          aria-label={`Remove ${DAY_NAMES[day]} ${range.from || '…'}–${range.to || '…'}`}
          onClick={onRemove}
        >
          Remove
        </button>
      </div>
      {messages.length > 0 && (
        <p class="field-error" id={`${id}-error`}>
          {messages.join(' ')}
        </p>
      )}
    </div>
  );
}

function CopyDialog({
  from,
  onClose,
  onCopy,
}: {
  from: Weekday | null;
  onClose: () => void;
  onCopy: (days: Weekday[]) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [chosen, setChosen] = useState<Set<Weekday>>(new Set());
  useEffect(() => {
    if (!from) return;
    setChosen(new Set());
    dialog.current?.showModal();
  }, [from]);
  // Closing (Cancel, Copy or Escape) fires the dialog's close event, which tells the editor.
  const close = () => dialog.current?.close();
  const toggle = (day: Weekday, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(day);
    else next.delete(day);
    setChosen(next);
  };
  return (
    <dialog ref={dialog} aria-labelledby="copy-title" onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          onCopy(WEEKDAYS.filter((day) => chosen.has(day)));
          close();
        }}
      >
        <h2 id="copy-title">Copy {from ? DAY_NAMES[from] : ''}’s hours to</h2>
        <p class="hint">The days chosen get the same hours; what they had is replaced.</p>
        <div class="copy-days">
          {WEEKDAYS.filter((day) => day !== from).map((day) => (
            <label class="check" key={day}>
              <input
                type="checkbox"
                checked={chosen.has(day)}
                onChange={(event) => toggle(day, event.currentTarget.checked)}
              />
              {DAY_NAMES[day]}
            </label>
          ))}
        </div>
        <div class="form-actions">
          <button type="submit" class="primary" disabled={chosen.size === 0}>
            Copy
          </button>
          <button type="button" onClick={close}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
