import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { describedBy, Field, SaveStatus, useSave, useUnsavedChanges } from '../forms.js';
import { Link } from '../nav.js';
import type { ScreenProps } from '../screens.js';
import type { HoursConfig, HoursPatch, HoursPreview, WeeklyHours } from '../types-hours.js';
import { draftOf, hoursOf, knownFields, localLine, patchOf, previewLine, type Draft } from './hours/model.js';
import { WeekEditor } from './hours/week.js';
import { saveAiConfig, useAiConfig } from './ai/data.js';
import { knownZone, offsetOf, ZonePicker } from './hours/zone-picker.js';
import './hours/hours.css';

const AWAY_LIMIT = 1_000;

export function BusinessHours(_props: ScreenProps) {
  // The same cached configuration as the AI screens: the away message is edited on both.
  const config = useAiConfig();
  if (config.isPending || config.isError) {
    return (
      <main class="screen">
        <h1>Business hours</h1>
        {config.isPending ? (
          <p class="loading">Loading…</p>
        ) : (
          <p class="error" role="alert">
            The business hours could not be loaded: {config.error.message}{' '}
            <button type="button" onClick={() => void config.refetch()}>
              Try again
            </button>
          </p>
        )}
      </main>
    );
  }
  return <HoursForm config={config.data} />;
}

function HoursForm({ config }: { config: HoursConfig }) {
  const queryClient = useQueryClient();
  const browserZone = useMemo(() => Intl.DateTimeFormat().resolvedOptions().timeZone, []);
  const [saved, setSaved] = useState(() => draftOf(config, browserZone));
  const [draft, setDraft] = useState<Draft>(saved);
  const dirty = JSON.stringify(patchOf(draft)) !== JSON.stringify(patchOf(saved));
  useUnsavedChanges(dirty);
  const save = useSave(knownFields(draft.week), async (patch: HoursPatch) => {
    const answer = await saveAiConfig(queryClient, patch);
    const next = draftOf(answer, browserZone);
    setSaved(next);
    setDraft(next);
  });
  const { errors } = save;
  const update = (change: Partial<Draft>) => setDraft((current) => ({ ...current, ...change }));
  const zone = knownZone(draft.timezone);
  const offset = zone ? offsetOf(zone) : null;

  return (
    <main class="screen hours-screen">
      <h1>Business hours</h1>
      <form
        class="hours-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void save.run(patchOf(draft));
        }}
      >
        <div class="card hours-toggle">
          <label class="check">
            <input
              type="checkbox"
              checked={draft.enabled}
              onChange={(event) => update({ enabled: event.currentTarget.checked })}
              {...describedBy('business_hours_enabled', errors, true)}
            />
            Answer with the AI only during business hours
          </label>
          <p class="field-hint" id="business_hours_enabled-hint">
            Outside these hours the AI does not answer: a customer who writes gets the away message instead, and your
            people see the conversation in the inbox.
          </p>
          {(errors.fields['business_hours_enabled'] ?? []).length > 0 && (
            <p class="field-error" id="business_hours_enabled-error">
              {errors.fields['business_hours_enabled']?.join(' ')}
            </p>
          )}
        </div>

        <Preview hours={hoursOf(draft)} enabled={draft.enabled} aiOn={config.auto_response_enabled} />

        <div class="card hours-zone">
          <Field
            id="business_hours.timezone"
            label="Time zone"
            errors={errors}
            hint={
              <>
                Search by city, such as Lisbon or New York.
                {offset && ` ${zone} is at ${offset} now.`}
              </>
            }
          >
            <ZonePicker
              id="business_hours.timezone"
              value={draft.timezone}
              onChange={(timezone) => update({ timezone })}
              {...ariaOf(describedBy('business_hours.timezone', errors, true))}
            />
          </Field>
        </div>

        <WeekEditor week={draft.week} onChange={(week) => update({ week })} errors={errors} />

        <div class="card hours-away">
          <Field
            id="away_message"
            label="Away message"
            errors={errors}
            hint={
              <>
                Sent to a customer who writes outside these hours (once in 12 hours). It is the same message as in{' '}
                <Link href="/ai">AI settings</Link>. {draft.away.length} / {AWAY_LIMIT} characters.
              </>
            }
          >
            <textarea
              rows={5}
              value={draft.away}
              placeholder="Thanks for your message! We are closed now and answer from 9:00."
              onInput={(event) => update({ away: event.currentTarget.value })}
              {...describedBy('away_message', errors, true)}
            />
          </Field>
          {draft.enabled && draft.away.trim() === '' && (
            <p class="hint">Without an away message, a customer who writes outside these hours gets no answer.</p>
          )}
        </div>

        <div class="form-actions hours-actions">
          <button type="submit" class="primary" disabled={save.busy || !dirty}>
            {save.busy ? 'Saving…' : 'Save'}
          </button>
          {dirty && (
            <button
              type="button"
              class="quiet"
              onClick={() => {
                setDraft(saved);
                save.reset();
              }}
            >
              Discard changes
            </button>
          )}
          <SaveStatus errors={errors} saved={save.saved && !dirty} />
        </div>
      </form>
    </main>
  );
}

/** The combobox takes the field's aria attributes by name. */
function ariaOf(attributes: ReturnType<typeof describedBy>) {
  return { describedBy: attributes['aria-describedby'], invalid: attributes['aria-invalid'] };
}

/** Open or closed now with these (unsaved) hours, as the server decides it for the next message. */
function Preview({ hours, enabled, aiOn }: { hours: WeeklyHours; enabled: boolean; aiOn: boolean }) {
  const body = JSON.stringify(hours);
  const [asked, setAsked] = useState(body);
  useEffect(() => {
    const timer = setTimeout(() => setAsked(body), 300);
    return () => clearTimeout(timer);
  }, [body]);
  const preview = useQuery({
    queryKey: ['hours-preview', asked],
    queryFn: () =>
      api<HoursPreview>('POST', '/api/v1/ai/business-hours/preview/', {
        business_hours: JSON.parse(asked) as WeeklyHours,
      }),
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 0,
    // "Now" moves on while the page is open.
    refetchInterval: 60_000,
  });
  const state = preview.isError ? 'unknown' : preview.data?.open_now ? 'open' : 'closed';
  return (
    <section class="card hours-preview" aria-label="Now">
      <p class={`preview-state preview-state--${state}`} role="status">
        {preview.isError
          ? 'The preview shows once the time zone and every range are complete.'
          : preview.data
            ? previewLine(preview.data)
            : 'Working out whether you are open…'}
      </p>
      {!preview.isError && preview.data && <p class="hint">{localLine(preview.data)}</p>}
      {!enabled ? (
        <p class="hint">Business hours are off, so the AI answers at any hour.</p>
      ) : (
        !aiOn && (
          <p class="hint">
            The AI is switched off in <Link href="/ai">AI settings</Link>, so it answers at no hour.
          </p>
        )
      )}
    </section>
  );
}
