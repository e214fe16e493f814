import { createHash, randomBytes } from 'node:crypto';
import { getAiSettings } from '../../ai/ai-settings.js';
import { closedAt } from '../../ai/availability.js';
import { handOver } from '../../conversations/handover.js';
import type { Cache } from '../../infra/cache.js';
import { AppError, NotAuthenticatedError, NotFoundError } from '../../kernel/errors.js';
import { randomId } from '../../kernel/ids.js';
import type { SecretBox } from '../../kernel/secret-box.js';
import type { ChannelWithOwner } from '../channels.repo.js';
import { openCredentials } from '../credentials.js';
import { findDeliveryChannelByAccount } from '../delivery-channels.js';
import { receiveCustomerMessage, type InboundDeps } from '../inbound.js';
import { ADDRESS_SHARE_OF_DAILY_CAP, chargeAddress } from './address-share.js';
import { countNewVisitor, countVisitorMessage, countVisitorTyping, validUserHash } from './widget-limits.js';
import * as repo from './widget.repo.js';
import type { Visitor, WidgetMessageRow } from './widget.repo.js';
import { readWidgetSettings, type WidgetSettings } from './website.settings.js';

export interface WidgetDeps extends InboundDeps {
  cache: Cache;
  secrets: SecretBox;
  /** The clock business hours are read by; the real one when omitted. */
  now?: () => Date;
}

export interface Widget extends ChannelWithOwner {
  settings: WidgetSettings;
}

export class OriginNotAllowedError extends AppError {
  override readonly status = 403;
  override readonly code = 'origin_not_allowed';
}

/** Client ids are stored as the message's channel id, apart from ids Parley gives outbound messages. */
const CLIENT_PREFIX = 'client:';

/** The shape of every public id (website.adapter.ts): anything else is not looked up at all. */
const PUBLIC_ID = /^wgt_[\w-]{20}$/;

export async function findWidget(deps: Pick<WidgetDeps, 'db'>, publicId: string): Promise<Widget> {
  const row = PUBLIC_ID.test(publicId) ? await findDeliveryChannelByAccount(deps.db, 'website', publicId) : undefined;
  if (!row) throw new NotFoundError('No such widget.');
  return { ...row, settings: readWidgetSettings(row.channel.settings) };
}

/** A page on a site the business did not list (or no browser at all) gets nothing. */
export function checkOrigin(widget: Widget, origin: string | undefined): string {
  if (origin !== undefined && widget.settings.allowed_origins.includes(origin)) return origin;
  throw new OriginNotAllowedError(
    origin === undefined
      ? 'The widget answers browsers on its site only: the Origin header is missing.'
      : `The widget is not allowed on ${origin}: add it to the widget's allowed origins.`,
  );
}

export function hashVisitorToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function visitorFromToken(deps: Pick<WidgetDeps, 'db'>, widget: Widget, token: string | undefined) {
  const visitor = token ? await repo.findVisitor(deps.db, widget.channel.id, hashVisitorToken(token)) : undefined;
  if (!visitor) {
    throw new NotAuthenticatedError('Start a chat first (POST …/visitors/) and send its token.', 'visitor_required');
  }
  return visitor;
}

export function widgetPublicSettings(deps: Pick<WidgetDeps, 'now'>, widget: Widget, ai: AwaySettings) {
  const { settings } = widget;
  return {
    public_id: widget.channel.externalId,
    business_name: settings.business_name ?? widget.owner.name,
    greeting: settings.greeting,
    colour: settings.colour,
    position: settings.position,
    launcher_label: settings.launcher_label,
    language: settings.language,
    ask_identity: settings.ask_identity,
    z_index: settings.z_index,
    open_now: !closedAt(ai, deps.now?.() ?? new Date()),
    away_message: ai.awayMessage,
  };
}

type AwaySettings = Awaited<ReturnType<typeof getAiSettings>>;

export async function widgetSettingsView(deps: WidgetDeps, widget: Widget) {
  const ai = await getAiSettings(deps.db, widget.owner.id, deps.config.gemini.defaultModel);
  return widgetPublicSettings(deps, widget, ai);
}

export interface NewVisitor {
  name?: string | undefined;
  email?: string | undefined;
  user_id?: string | undefined;
  user_hash?: string | undefined;
}

/**
 * A new visitor and its token (returned this once, stored hashed). With the site's signed
 * user id the visitor is that customer: every device of theirs continues one conversation.
 */
export async function createVisitor(deps: WidgetDeps, widget: Widget, input: NewVisitor, ip: string) {
  await countNewVisitor(deps.cache, ip, deps.config.widget.visitorsPerIpPerHour);
  const id = `vis_${randomId(16)}`;
  let customerId = id;
  if (input.user_id !== undefined || input.user_hash !== undefined) {
    const secret = openCredentials(deps.secrets, widget.channel);
    if (!input.user_id || !input.user_hash || !secret || !validUserHash(secret, input.user_id, input.user_hash)) {
      throw new NotAuthenticatedError('The user_hash does not match the user_id.', 'identity_invalid');
    }
    customerId = input.user_id;
  }
  const token = randomBytes(32).toString('base64url');
  const visitor = await repo.insertVisitor(deps.db, {
    id,
    channelId: widget.channel.id,
    tokenHash: hashVisitorToken(token),
    customerId,
    name: input.name ?? null,
    email: input.email ?? null,
    verified: customerId !== id,
  });
  return { visitor_token: token, visitor: { id: visitor.id, name: visitor.name, verified: visitor.verified } };
}

const AUTHORS = { customer: 'visitor', AI: 'ai', support: 'agent', system: 'system' } as const;

export function widgetMessage(row: WidgetMessageRow) {
  const clientId = row.channelMessageId?.startsWith(CLIENT_PREFIX)
    ? row.channelMessageId.slice(CLIENT_PREFIX.length)
    : null;
  return {
    id: row.id,
    seq: row.seq,
    client_id: row.type === 'customer' ? clientId : null,
    author: AUTHORS[row.type],
    text: row.text,
    created_at: row.createdAt.toISOString(),
  };
}

/** Who answers the visitor now, as the widget says it. */
export function handling(status: 'active' | 'support_active') {
  return { status, handled_by: status === 'active' ? ('ai' as const) : ('people' as const) };
}

export async function listMessages(deps: WidgetDeps, widget: Widget, visitor: Visitor, after: number | undefined) {
  const conversation = await repo.findWidgetConversation(deps.db, widget.owner.id, visitor.customerId);
  const rows = conversation ? await repo.widgetMessages(deps.db, conversation.id, after) : [];
  const status = conversation?.status ?? (widget.owner.defaultReplyHandler === 'AI' ? 'active' : 'support_active');
  return { messages: rows.map(widgetMessage), ...handling(status) };
}

/**
 * A visitor's message: stored before the answer says so, once per client id, then through
 * the channels' own pipeline (the reply wait, business hours, the away message, handover).
 */
export async function postMessage(
  deps: WidgetDeps,
  widget: Widget,
  visitor: Visitor,
  input: { client_id: string; text: string },
  /** The visitor's address as the limits count it (an IPv6 client by its /64). */
  address: string,
): Promise<{ created: boolean; message: ReturnType<typeof widgetMessage> }> {
  const channelMessageId = `${CLIENT_PREFIX}${input.client_id}`;
  const storedMessage = () => repo.findVisitorMessage(deps.db, widget.owner.id, visitor.customerId, channelMessageId);
  const again = await storedMessage();
  if (again) return { created: false, message: widgetMessage(again.message) };

  await countVisitorMessage(deps.cache, visitor.id, deps.config.widget.messagesPerMinute);
  const created = await receiveCustomerMessage(
    deps,
    { id: widget.channel.id, type: 'website', owner: widget.owner },
    {
      channelMessageId,
      customerId: visitor.customerId,
      customerName: visitor.name ?? `Visitor ${visitor.id.slice(-4).toUpperCase()}`,
      text: input.text,
    },
  );
  const row = await storedMessage();
  if (!row) throw new Error('a stored widget message could not be read back');
  if (created && !visitor.verified) await capUnverified(deps, widget, row.conversation, address);
  return { created, message: widgetMessage(row.message) };
}

type Conversation = NonNullable<Awaited<ReturnType<typeof repo.findVisitorMessage>>>['conversation'];

/**
 * An unverified visitor past the widget's own number of AI answers, or whose address has used
 * its share of the business's daily tokens: the conversation goes to people, as a customer past
 * the operator's hourly limit does (`customer_rate_limited`).
 */
async function capUnverified(
  deps: WidgetDeps,
  widget: Widget,
  conversation: Conversation,
  address: string,
): Promise<void> {
  if (conversation.status !== 'active') return;
  const limit = widget.settings.unverified_ai_replies;
  let detail: string | undefined;
  if (limit !== null && (await repo.countAiAnswers(deps.db, conversation.id)) >= limit) {
    detail = `an unverified website visitor had the widget's ${limit} AI answers`;
  } else if (!(await chargeAddress(deps, widget.owner.id, conversation.id, address))) {
    detail = `unverified website visitors from one address used their share of the day's tokens (${ADDRESS_SHARE_OF_DAILY_CAP * 100}% of the daily cap)`;
  }
  if (detail === undefined) return;
  const ai = await getAiSettings(deps.db, widget.owner.id, deps.config.gemini.defaultModel);
  await handOver(deps.db, deps.events, conversation, {
    source: 'system',
    reason: 'customer_rate_limited',
    detail,
    customerMessage: ai.handoverMessage,
  });
}

/** The visitor is typing (or stopped): told to the business's people watching the conversation. */
export async function visitorTyping(deps: WidgetDeps, widget: Widget, visitor: Visitor, typing: boolean) {
  await countVisitorTyping(deps.cache, visitor.id);
  const conversation = await repo.findWidgetConversation(deps.db, widget.owner.id, visitor.customerId);
  if (!conversation) return;
  deps.events.publish(widget.owner.id, {
    type: 'customer.typing',
    data: { conversation_id: conversation.id, typing },
  });
}
