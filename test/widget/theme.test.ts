import { describe, expect, it } from 'vitest';
import { accentColour, textOn } from '../../widget/src/theme.js';

// The business's colour goes into the widget's stylesheet: only a colour gets there, and the text on it stays readable.

describe("the widget's colours", () => {
  it('takes #rgb and #rrggbb, and anything else falls back to the default blue', () => {
    expect(accentColour('#b45309')).toBe('#b45309');
    expect(accentColour('#fA0')).toBe('#ffAA00');
    for (const bad of [null, '', 'red', '#12345', '#b45309;} :host{display:none', 'url(x)', '#ggg']) {
      expect(accentColour(bad)).toBe('#2563eb');
    }
  });

  it('writes white on dark colours and near-black on light ones', () => {
    expect(textOn('#b45309')).toBe('#ffffff');
    expect(textOn('#2563eb')).toBe('#ffffff');
    expect(textOn('#000000')).toBe('#ffffff');
    expect(textOn('#fde047')).toBe('#111827');
    expect(textOn('#ffffff')).toBe('#111827');
  });
});
