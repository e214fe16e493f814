import cronParser from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { nextUtc, parseCron } from './cron.js';

const PATTERNS = [
  '* * * * *',
  '*/30 * * * *',
  '0 */12 * * *',
  '0 1 * * *',
  '0 2 * * *',
  '5/15 3-5 * * *',
  '0,10-20/5 * 1,15 * *',
  '30 4 * 2 *',
  '0 0 29 2 *',
  '0 9 * * 1-5',
  '0 12 * * 0',
  '0 12 * * 7',
  '15 6 */2 1-6 *',
];

/** A spread of starting points: minute boundaries, mid-minute, month and year ends, a leap day. */
const STARTS = [
  '2026-11-24T01:59:58.000Z',
  '2026-11-24T02:00:00.000Z',
  '2026-12-31T23:59:59.999Z',
  '2027-02-28T12:34:56.789Z',
  '2028-02-28T23:30:00.000Z',
  '2028-02-29T00:00:00.000Z',
  '2026-03-29T00:59:30.000Z',
].map((iso) => new Date(iso));

describe('UTC schedules read without cron-parser', () => {
  it('run at the same minutes as cron-parser gives, one after another', () => {
    for (const pattern of PATTERNS) {
      const cron = parseCron(pattern);
      expect(cron, pattern).toBeDefined();
      for (const start of STARTS) {
        const expected = cronParser.parseExpression(pattern, { tz: 'UTC', currentDate: start });
        let at = start;
        for (let run = 0; run < 5; run++) {
          at = nextUtc(cron!, at);
          expect(at.toISOString(), `${pattern} from ${start.toISOString()}`).toBe(
            expected.next().toDate().toISOString(),
          );
        }
      }
    }
  });

  it('leave to cron-parser what they do not read', () => {
    for (const pattern of [
      'every day',
      '0 0 * * MON',
      '0 0 L * *',
      '0 0 0 * * *',
      '0 0 1 * 1',
      '61 * * * *',
      '5-1 * * * *',
    ]) {
      expect(parseCron(pattern), pattern).toBeUndefined();
    }
  });
});
