import path from 'node:path';
import type { Logger } from 'pino';
import { updateAiSettings } from '../ai/ai-settings.js';
import type { Config } from '../kernel/config.js';
import { startServer, type RunningServer } from '../app/runtime.js';
import { startControlServer } from './control.js';
import { withAppSecret } from '../kernel/app-secret.js';
import { createApiToken, createUser, findUser } from '../auth/auth.service.js';
import { createSignInLink, signInLinkUrl } from '../auth/sign-in-links.service.js';
import { openDatabase } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { startSimulatedModel } from './simulated-model.js';

/**
 * `parley demo`: Parley with a made-up bakery and a simulated model, so a
 * newcomer sees an AI answer in minutes without a Gemini key. The model is the
 * local Gemini emulator; every reply it writes starts with "[Simulated]". The
 * demo keeps its own database in `<data dir>/demo`, apart from real data.
 */
export const DEMO_USER = 'demo';
export const DEMO_PASSWORD = 'demo-password';

const DEMO_PROMPTS = {
  manualPrompt: "You are the friendly assistant of Rosa's Bakery, a small neighbourhood bakery in Lisbon.",
  knowledgeSource: [
    "Rosa's Bakery, Rua das Flores 12, Lisbon.",
    'Opening hours: Monday to Saturday 7:00 to 19:00. Closed on Sundays and public holidays.',
    'Payment: cash, cards and MB Way.',
  ].join('\n'),
  productService: [
    'Pastel de nata: 1.40 EUR each, 7.50 EUR for six.',
    'Sourdough loaf: 4.20 EUR, baked every morning at 6.',
    'Birthday cakes to order, at least 48 hours ahead, from 25 EUR.',
  ].join('\n'),
  questionAnswer: [
    'Q: Are you open on Sunday?',
    'A: No, we are closed on Sundays. We are open Monday to Saturday from 7:00 to 19:00.',
    'Q: Do you deliver?',
    'A: Yes, within 3 km of the bakery for orders over 15 EUR, between 10:00 and 17:00.',
    'Q: Do you have gluten-free bread?',
    'A: We bake a gluten-free loaf on Wednesdays and Saturdays; please order it a day ahead.',
    'Q: Can I order a birthday cake?',
    'A: Yes, order at least 48 hours ahead by phone or here in the chat; cakes start at 25 EUR.',
  ].join('\n'),
};

/** What a customer is told when the AI hands the conversation to the bakery's people. */
export const DEMO_HANDOVER_MESSAGE =
  "I've passed your message to the team at Rosa's Bakery; someone will answer here shortly.";

export function demoConfig(base: Config): Config {
  const dataDir = path.join(base.dataDir, 'demo');
  return {
    ...base,
    dataDir,
    database: { kind: 'embedded', directory: path.join(dataDir, 'pglite') },
    // The demo's queue, cache and pub/sub are in-process, whatever the environment says.
    redisUrl: undefined,
  };
}

/** The demo's sign-in link works for a day: long enough to come back to the banner after lunch. */
const DEMO_LINK_MINUTES = 24 * 60;

export interface DemoCredentials {
  /** An API token, for curl. */
  token: string;
  /** A one-time sign-in link's token, to open the inbox without typing the password. */
  link: string;
}

/** Creates (or refreshes) the demo business and returns a fresh API token and sign-in link for it. */
export async function seedDemo(config: Config): Promise<DemoCredentials> {
  const database = await openDatabase(config.database, { dataDir: config.dataDir });
  try {
    await migrateDatabase(database);
    const db = database.db;
    const user =
      (await findUser(db, DEMO_USER)) ??
      (await createUser(db, { username: DEMO_USER, password: DEMO_PASSWORD, email: 'demo@example.com' }));
    await updateAiSettings(db, user.id, config.gemini.defaultModel, {
      autoResponseEnabled: true,
      handoverMessage: DEMO_HANDOVER_MESSAGE,
      prompts: DEMO_PROMPTS,
    });
    const token = await createApiToken(db, user.id, 'demo');
    const link = await createSignInLink(db, { username: DEMO_USER, minutes: DEMO_LINK_MINUTES });
    return { token, link: link.token };
  } finally {
    await database.close();
  }
}

export interface RunningDemo extends DemoCredentials {
  server: RunningServer;
  close(): Promise<void>;
}

export async function startDemo(base: Config, logger?: Logger): Promise<RunningDemo> {
  // The banner says the replies are simulated; the demo is not flagged `simulated`, which would log it again.
  const model = await startSimulatedModel(demoConfig(base));
  try {
    const config = await withAppSecret(model.config);
    const credentials = await seedDemo(config);
    const server = await startServer(config, logger, { control: startControlServer, startCommand: 'npx parley demo' });
    return {
      ...credentials,
      server,
      async close() {
        await server.close();
        await model.close();
      },
    };
  } catch (error) {
    await model.close();
    throw error;
  }
}

/** Where the banner's hand-back command wants the `session_id` from an `ask` answer. */
export const SESSION_PLACEHOLDER = '<session_id from the answer>';

export function demoBanner(url: string, { token, link }: DemoCredentials): string[] {
  return [
    '',
    `Parley demo: Rosa's Bakery is open at ${url}`,
    'Every AI reply in the demo is SIMULATED by a local stand-in for Gemini and starts with "[Simulated]".',
    '',
    "Open the bakery's inbox, live, signed in (this link works once, for a day):",
    `  ${signInLinkUrl(url, link)}`,
    `or open ${url}/ and sign in as ${DEMO_USER} / ${DEMO_PASSWORD}.`,
    '',
    `API token:  ${token}`,
    `Password:   ${DEMO_USER} / ${DEMO_PASSWORD}   (API docs: ${url}/api/docs)`,
    '',
    'Ask it something, as a customer would:',
    `  curl -s ${url}/api/v1/ai/ask/ -H "Authorization: Bearer ${token}" \\`,
    `       -d question="Are you open on Sunday?" -d customer_id=ana@example.com`,
    '',
    "Ask for a person: the AI hands the conversation to the bakery's people and stops answering it.",
    `  curl -s ${url}/api/v1/ai/ask/ -H "Authorization: Bearer ${token}" \\`,
    `       -d question="Can I talk to a person?" -d customer_id=ana@example.com`,
    '',
    'Hand it back to the AI (put in the session_id that ask answered):',
    `  curl -s -X PUT ${url}/api/v1/ai/conversations/${SESSION_PLACEHOLDER}/status/ \\`,
    `       -H "Authorization: Bearer ${token}" -d status=active`,
    '',
    'For real answers, stop the demo and run `GEMINI_API_KEY=<your key> npm start`.',
    '',
  ];
}
