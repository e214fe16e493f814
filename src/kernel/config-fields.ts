import { isIP } from 'node:net';
import { z } from 'zod';

/** The kinds of value Parley's environment variables hold, each with the message a bad one gets. */

export const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

export const url = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    );

export const optionalUrl = (protocols: readonly string[]) =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    url(protocols).optional(),
  );

export const httpUrl = ['http:', 'https:'] as const;

export const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as UTC or Europe/Berlin');

/** A whole number of `unit`, at least 1. */
const positive = (unit: string, fallback: number, max: number) =>
  z.coerce
    .number({ error: `must be a number of ${unit}` })
    .int(`must be a whole number of ${unit}`)
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`)
    .default(fallback);

export const milliseconds = (fallback: number, max: number) => positive('milliseconds', fallback, max);

export const perMinute = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a number per minute' })
    .int('must be a whole number')
    .min(0, 'must be between 0 (no limit) and 1000000')
    .max(1_000_000, 'must be between 0 (no limit) and 1000000')
    .default(fallback);

export const seconds = (fallback: number, max: number) => positive('seconds', fallback, max);

export const wholeNumber = (unit: string, min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: `must be a number of ${unit}` })
    .int(`must be a whole number of ${unit}`)
    .min(min, `must be between ${min} and ${max}`)
    .max(max, `must be between ${min} and ${max}`)
    .default(fallback);

const onOff = (whenUnset: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .default('')
    .refine((value) => ['', '0', '1', 'true', 'false', 'yes', 'no', 'on', 'off'].includes(value), 'must be 1 or 0')
    .transform((value) => (value === '' ? whenUnset : ['1', 'true', 'yes', 'on'].includes(value)));

/** An on/off switch: 1, true, yes or on; 0, false, no, off or empty. */
export const flag = onOff(false);
/** The same, on unless switched off. */
export const flagOn = onOff(true);

/** The largest token cap accepted: far above any real month, small enough to stay exact as a JS number. */
export const MAX_QUOTA_TOKENS = 1e12;

/** A default cap on tokens: unset or blank means none. */
export const optionalTokenCap = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
  z.coerce
    .number({ error: `must be a number of tokens from 1 to ${MAX_QUOTA_TOKENS}` })
    .int(`must be a whole number of tokens from 1 to ${MAX_QUOTA_TOKENS}`)
    .min(1, `must be a number of tokens from 1 to ${MAX_QUOTA_TOKENS} (leave it unset for no default cap)`)
    .max(MAX_QUOTA_TOKENS, `must be a number of tokens from 1 to ${MAX_QUOTA_TOKENS}`)
    .optional(),
);

/** proxy-addr's names for whole ranges: 127/8 and ::1; 169.254/16 and fe80::/10; 10/8, 172.16/12, 192.168/16 and fc00::/7. */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

const trustedProxy = (entry: string): boolean => {
  if (PROXY_RANGES.includes(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (version === 4 ? 32 : 128);
};

/** A comma-separated list, its entries trimmed and blanks dropped; unset is empty. */
export const commaList = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
  );

/**
 * The reverse proxies whose X-Forwarded-For is believed: IPs and CIDRs only. A hop count is
 * refused on purpose: it believes the header from whoever connects, so a client reaching
 * Parley directly (not through the proxy) would choose its own address.
 */
export const trustedProxies = commaList.refine(
  (entries) => entries.every(trustedProxy),
  "must be a comma-separated list of the proxies' addresses: IPs or CIDRs such as 10.0.0.5,192.168.1.0/24 (or loopback, linklocal, uniquelocal); not a hop count, which would believe any client",
);
