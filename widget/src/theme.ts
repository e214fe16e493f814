// The business's colour, checked so a setting can never inject CSS, and a text colour readable on it.

const DEFAULT_ACCENT = '#2563eb';

/** `#rgb` or `#rrggbb`, else Parley's blue. */
export function accentColour(colour: string | null): string {
  if (colour && /^#(?:[0-9a-f]{3}){1,2}$/i.test(colour)) {
    return colour.length === 4 ? `#${[...colour.slice(1)].map((c) => c + c).join('')}` : colour;
  }
  return DEFAULT_ACCENT;
}

function luminance(hex: string): number {
  const channel = (start: number) => {
    const value = parseInt(hex.slice(start, start + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** White or near-black text on the accent, whichever contrasts more (WCAG's formula). */
export function textOn(accent: string): string {
  const light = luminance(accent);
  return 1.05 / (light + 0.05) >= (light + 0.05) / 0.05 ? '#ffffff' : '#111827';
}
