import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import type { OutboundDelivery } from '../conversations/outbox.js';
import type { ChannelType } from '../db/schema/index.js';
import type { Config } from '../kernel/config.js';
import type { WebhookMetrics } from '../metrics/metrics.js';
import type { Channel } from './channels.repo.js';
import type { InboundDeps } from './inbound.js';

/** What an adapter may use: the configuration (its platform's API base, secrets). */
export interface AdapterDeps {
  config: Config;
}

/** An account the platform vouched for, ready to be stored. */
export interface VerifiedAccount {
  /** The platform's id of the bot or account: it can serve one business only. */
  externalId: string;
  /** For people: a bot's @username, an account's name. */
  name: string;
  /** The token Parley uses to speak for it, stored sealed. */
  credentials: string;
  /** A hash of the secret the platform echoes on every delivery, when it has one. */
  webhookSecretHash?: string | null;
  /** Handed to `activate` once stored; never stored itself (Telegram's webhook secret). */
  webhookSecret?: string;
  /** The channel's own settings, where the platform has some (a website widget's). */
  settings?: Record<string, unknown>;
}

/** What needs attention on a channel, in a few words (`code`) and in a sentence for its owner. */
export interface HealthProblem {
  code: string;
  detail: string;
}

/** What the platform says of a connected account now (asked with a short timeout). */
export interface PlatformHealth {
  /** Whether the platform answered at all. */
  reachable: boolean;
  problems: HealthProblem[];
  /** Where the platform delivers this account's messages and how that goes, where it says so (Telegram). */
  webhook?: {
    url: string;
    pointsHere: boolean;
    pendingUpdates: number;
    lastErrorAt: Date | null;
    lastErrorMessage: string | null;
  };
}

/** What connecting an account of this platform needs of this server, told before anyone tries. */
export interface PlatformSetup {
  /** The rule, in a sentence. */
  requirement: string;
  /** Why this server does not meet it now; undefined when it does. */
  problem?: string | undefined;
  /** The address to give the platform by hand, when the owner must (Instagram's app settings). */
  webhookUrl?: string;
}

export type WebhookDeps = InboundDeps & { metrics: WebhookMetrics };

/** The body of `POST /channels/` for one platform: an object whose `type` is the platform's. */
export type ConnectBody = z.ZodObject<{ type: z.ZodLiteral<ChannelType> } & z.ZodRawShape>;

/**
 * One messaging platform, whole: how a business connects and disconnects it,
 * where the platform delivers customers' messages, and how answers (and a
 * typing indicator) go back. Everything platform-specific lives behind this.
 */
export interface ChannelAdapter<Input extends { type: ChannelType } = { type: ChannelType }> {
  readonly type: ChannelType;
  /** How people call one of its accounts in errors: "bot", "Instagram account". */
  readonly accountNoun: string;
  readonly connectBody: ConnectBody;
  /** Before the platform is asked anything: refuses (throws) when Parley's own setup would make the channel useless. */
  preflight?(deps: AdapterDeps): void;
  /** Checks the credentials with the platform; a refusal is a 400 in the platform's words. */
  verify(deps: AdapterDeps, input: Input): Promise<VerifiedAccount>;
  /** Once stored: tells the platform to deliver here. A throw undoes the connection. */
  activate?(deps: AdapterDeps, channel: Channel, account: VerifiedAccount): Promise<void>;
  /** Before the channel goes: stops the platform delivering. False when the platform no longer accepts the token. */
  deactivate?(deps: AdapterDeps, channel: Channel, credentials: string): Promise<boolean>;
  webhookUrl(config: Config, channel: Channel): string;
  setup(config: Config): PlatformSetup;
  /** Asks the platform how the account is doing; never throws for the platform's own failures. */
  health?(deps: AdapterDeps, channel: Channel, credentials: string): Promise<PlatformHealth>;
  /** The platform's deliveries, under /webhooks/<type>/. */
  webhooks: FastifyPluginAsyncZod<WebhookDeps>;
  /** Sends a message's parts not yet sent, each within the platform's limits; throws DeliveryError. */
  send(deps: AdapterDeps, delivery: OutboundDelivery, credentials: string): Promise<void>;
  /** "typing…" while the model writes, where the platform has one. */
  typing?(deps: AdapterDeps, channel: Channel, customerId: string, credentials: string): Promise<void>;
}
