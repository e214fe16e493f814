import { useMemo, useState } from 'preact/hooks';

// A time-zone field that finds zones by their city ("lisbon" → Europe/Lisbon), with each zone's
// offset now: the ARIA combobox pattern (a text input with a list box of suggestions).

const MAX_SHOWN = 40;
let zones: string[] | undefined;

/** Every IANA zone this browser knows, and UTC. */
function allZones(): string[] {
  if (!zones) {
    const known = Intl.supportedValuesOf('timeZone');
    zones = known.includes('UTC') ? known : [...known, 'UTC'];
  }
  return zones;
}

const fold = (text: string) =>
  text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[_\s]+/g, ' ')
    .trim();

/** The city part, as people write it: "America/Argentina/Buenos_Aires" → "Buenos Aires". */
export const cityOf = (zone: string) => (zone.split('/').at(-1) ?? zone).replace(/_/g, ' ');

const offsets = new Map<string, string>();

/** "UTC+01:00": the zone's offset now. */
export function offsetOf(zone: string): string | null {
  const known = offsets.get(zone);
  if (known) return known;
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
      .formatToParts(new Date())
      .find((each) => each.type === 'timeZoneName')?.value;
    const offset = part === undefined ? null : part === 'GMT' ? 'UTC+00:00' : part.replace('GMT', 'UTC');
    if (offset) offsets.set(zone, offset);
    return offset;
  } catch {
    return null;
  }
}

/** The zone's own spelling of `text`, when `text` names a zone in any casing. */
export function knownZone(text: string): string | undefined {
  const wanted = text.trim().toLowerCase();
  return allZones().find((zone) => zone.toLowerCase() === wanted);
}

/** Zones whose city starts with the text first, then any part of the name, then the name containing it. */
export function findZones(text: string): string[] {
  const query = fold(text);
  if (query === '') return allZones().slice(0, MAX_SHOWN);
  const ranked: [number, string][] = [];
  for (const zone of allZones()) {
    const name = fold(zone);
    const parts = name.split('/');
    const rank = (parts.at(-1) ?? '').startsWith(query)
      ? 0
      : parts.some((part) => part.startsWith(query))
        ? 1
        : name.includes(query)
          ? 2
          : -1;
    if (rank >= 0) ranked.push([rank, zone]);
  }
  ranked.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
  return ranked.slice(0, MAX_SHOWN).map(([, zone]) => zone);
}

export function ZonePicker({
  id,
  value,
  onChange,
  describedBy,
  invalid,
}: {
  id: string;
  value: string;
  onChange: (zone: string) => void;
  describedBy?: string | undefined;
  invalid?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [query, setQuery] = useState<string | null>(null);
  // While the person types, the list follows what they typed; otherwise it starts from the zone's city.
  const matches = useMemo(() => (open ? findZones(query ?? '') : []), [open, query]);
  const listId = `${id}-list`;
  const optionId = (index: number) => `${id}-option-${index}`;

  const choose = (zone: string) => {
    onChange(zone);
    setQuery(null);
    setOpen(false);
    setActive(-1);
  };

  const move = (to: number) => {
    const index = Math.max(0, Math.min(matches.length - 1, to));
    setActive(index);
    requestAnimationFrame(() => document.getElementById(optionId(index))?.scrollIntoView({ block: 'nearest' }));
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (!open) {
        setOpen(true);
        setActive(0);
        return;
      }
      move(active + (event.key === 'ArrowDown' ? 1 : -1));
    } else if (event.key === 'Enter' && open && matches[active]) {
      event.preventDefault();
      choose(matches[active]);
    } else if (event.key === 'Escape' && open) {
      event.preventDefault();
      setOpen(false);
      setActive(-1);
    }
  };

  return (
    <div class="zone-picker">
      <input
        id={id}
        type="text"
        role="combobox"
        autocomplete="off"
        spellcheck={false}
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={listId}
        aria-activedescendant={open && active >= 0 ? optionId(active) : undefined}
        aria-describedby={describedBy}
        aria-invalid={invalid || undefined}
        value={value}
        onInput={(event) => {
          const text = event.currentTarget.value;
          onChange(text);
          setQuery(text);
          setOpen(true);
          setActive(0);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => {
          setOpen(false);
          setQuery(null);
          const zone = knownZone(value);
          if (zone && zone !== value) onChange(zone);
        }}
      />
      <ul id={listId} role="listbox" aria-label="Time zones" class="zone-list" hidden={!open || matches.length === 0}>
        {matches.map((zone, index) => (
          <li
            key={zone}
            id={optionId(index)}
            role="option"
            aria-selected={index === active}
            class={index === active ? 'zone-option zone-option--active' : 'zone-option'}
            // Chosen on mousedown, before the input loses focus and closes the list.
            onMouseDown={(event) => {
              event.preventDefault();
              choose(zone);
            }}
          >
            <span class="zone-city">{cityOf(zone)}</span>
            <span class="zone-name">
              {zone} · {offsetOf(zone) ?? ''}
            </span>
          </li>
        ))}
      </ul>
      <p class="visually-hidden" aria-live="polite">
        {open
          ? `${matches.length === 0 ? 'No' : matches.length} time zone${matches.length === 1 ? '' : 's'} found.`
          : ''}
      </p>
    </div>
  );
}
