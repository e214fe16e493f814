// A widget's defaults without zod, so the dashboard's form starts from the same values the server
// fills in (web/ imports this at run time; website.settings.ts would bring zod into its bundle).
// website.settings.ts checks them against the settings' schema.

export const ASK_IDENTITY = ['none', 'name', 'name_and_email'] as const;

export const WIDGET_DEFAULTS = {
  business_name: null,
  greeting: 'Hi! How can we help?',
  colour: '#2f6f4f',
  position: 'right',
  launcher_label: 'Chat with us',
  language: 'en',
  ask_identity: 'none',
  z_index: 2_147_483_000,
  unverified_ai_replies: null,
} as const;
