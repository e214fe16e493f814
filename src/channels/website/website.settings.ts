import { z } from 'zod';
import { ASK_IDENTITY, WIDGET_DEFAULTS as DEFAULTS } from './widget-defaults.js';

export { ASK_IDENTITY };

/**
 * A website widget's settings, as the business sets them (`POST` and `PATCH
 * /api/v1/channels/`) and as they are stored in the channel's `settings`.
 * The widget reads the public part from `GET /api/v1/widget/{public_id}/settings/`.
 */

const LOOPBACK = new Set(['localhost', '127.0.0.1']);

/** `https://host[:port]`, or `http://` for a site on this machine; nothing after the port. */
export const siteOrigin = z
  .string()
  .trim()
  .max(200)
  .superRefine((value, ctx) => {
    const problem = originProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

function originProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not an origin like https://shop.example.`;
  }
  if (url.origin !== value.replace(/\/$/, '') || value.endsWith('/')) {
    return `"${value}" must be only scheme, host and port, like https://shop.example (no path, no trailing slash).`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return undefined;
  return `"${value}" must use https:// (http:// only for localhost or 127.0.0.1).`;
}

const fields = {
  allowed_origins: z
    .array(siteOrigin)
    .min(1, 'needs at least one site origin, like https://shop.example')
    .max(20, 'may list at most 20 origins')
    .describe('The sites the widget may run on (their `Origin`): `https://host[:port]`, `http://` only for localhost.'),
  business_name: z
    .string()
    .trim()
    .min(1, 'needs at least one character, or null for the account’s name')
    .max(80)
    .nullable()
    .describe('The name at the top of the panel, as visitors know the business; null: the account’s username.'),
  greeting: z.string().trim().max(500).describe('The first words in the panel.'),
  colour: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #2f6f4f')
    .describe('The launcher’s and the panel’s colour, `#rrggbb`.'),
  position: z.enum(['right', 'left']).describe('The bottom corner the launcher sits in.'),
  launcher_label: z.string().trim().min(1).max(40).describe('The launcher button’s words.'),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$/, 'must be a language tag like en or pt-BR')
    .describe('The widget’s own words’ language.'),
  ask_identity: z.enum(ASK_IDENTITY).describe('What the widget asks before the first message.'),
  z_index: z.number().int().min(0).max(2_147_483_647).describe('The widget’s z-index on the host page.'),
  unverified_ai_replies: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .nullable()
    .describe(
      'AI answers an unverified visitor gets in a conversation before it goes to people (`customer_rate_limited`); null: no limit of its own, 0: people answer unverified visitors.',
    ),
};

export const widgetSettings = z.object(fields);
export type WidgetSettings = z.infer<typeof widgetSettings>;

/** Every setting but the origins, when not given (typed here, so a default of the wrong shape does not compile). */
export const WIDGET_DEFAULTS: Omit<WidgetSettings, 'allowed_origins'> = DEFAULTS;

/** What `POST /channels/` takes for a widget: the origins, and any setting to differ from the defaults. */
export const widgetSettingsInput = widgetSettings.partial().required({ allowed_origins: true });
/** What `PATCH /channels/{id}/` takes: any of the settings. */
export const widgetSettingsPatch = widgetSettings.partial();

/** The stored settings; a value no longer valid (a row written by hand) falls back to its default. */
export function readWidgetSettings(stored: Record<string, unknown> | null): WidgetSettings {
  const merged: Record<string, unknown> = { ...WIDGET_DEFAULTS, allowed_origins: [] };
  for (const [key, schema] of Object.entries(fields)) {
    const parsed = (schema as z.ZodType).safeParse(stored?.[key]);
    if (parsed.success) merged[key] = parsed.data;
  }
  return merged as WidgetSettings;
}
