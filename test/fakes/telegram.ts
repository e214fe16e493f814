import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import {
  close,
  deliverRequest,
  isRecord,
  listen,
  mediaType,
  parseForm,
  readBody,
  sendJson,
  type Delivery,
  type ListenOptions,
} from './http.js';

/**
 * A loopback Telegram Bot API (external-apis.md §2). Point TELEGRAM_API_BASE at `url`.
 * Deliberate simplifications: any chat id is a reachable chat (no "chat not found"), `parse_mode` is
 * echoed but not parsed (length is checked on the raw text, which is stricter than Telegram),
 * http webhook URLs are accepted for loopback hosts only, and an update the webhook did not take is held
 * (getWebhookInfo counts it in pending_update_count) but never sent again.
 */

export interface TelegramUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface TelegramFailure {
  error_code: number;
  description: string;
  retry_after?: number;
}

export interface TelegramCall {
  token: string;
  method: string;
  body: Record<string, unknown>;
}

/** A message the fake accepted: every parameter the client sent, plus what Telegram assigned. */
export interface SentTelegramMessage {
  [param: string]: unknown;
  token: string;
  chat_id: number | string;
  text: string;
  message_id: number;
  date: number;
}

export interface TelegramWebhook {
  url: string;
  secret_token?: string;
  allowed_updates?: string[];
  max_connections: number;
  drop_pending_updates?: boolean;
  last_error_date?: number;
  last_error_message?: string;
}

interface Bot {
  user: TelegramUser;
  webhook?: TelegramWebhook;
  /** Last message id per chat: in a private chat the customer's and the bot's messages share one sequence. */
  lastMessageId: Map<string, number>;
  /** Updates the webhook did not take; Telegram holds them until they are delivered or dropped. */
  pendingUpdates: number;
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: Record<string, unknown>,
  ) {
    super(description);
  }
}

type Result = { result: unknown; description?: string };
type Method = (bot: Bot, token: string, body: Record<string, unknown>) => Result;

const JSON_FIELDS = ['allowed_updates', 'reply_markup', 'entities', 'link_preview_options', 'reply_parameters'];
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const WEBHOOK_PORTS = new Set(['', '80', '88', '443', '8443']);
const CHAT_ACTIONS = new Set([
  ...['typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice'],
  ...['upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note'],
]);

const now = () => Math.floor(Date.now() / 1000);

export class TelegramFake {
  readonly calls: TelegramCall[] = [];
  private readonly bots = new Map<string, Bot>();
  private readonly accepted: SentTelegramMessage[] = [];
  private readonly failures: { method: string; failure: TelegramFailure; times: number; after: number }[] = [];
  private readonly blocked = new Set<string>();
  /** Chat objects seen in delivered updates, so replies carry the same chat Telegram would return. */
  private readonly chats = new Map<string, Record<string, unknown>>();
  private nextBotId = 100_000_001;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(options: ListenOptions = {}): Promise<TelegramFake> {
    const holder: { fake?: TelegramFake } = {};
    const { server, origin } = await listen(
      (request, response) => holder.fake?.handle(request, response) ?? Promise.resolve(),
      (response, error) => sendJson(response, 500, failureBody(500, `Internal Server Error: ${String(error)}`)),
      options,
    );
    holder.fake = new TelegramFake(server, origin);
    return holder.fake;
  }

  close(): Promise<void> {
    return close(this.server);
  }

  /** A real token is `<bot id>:<secret>`, so the id is taken from it when it has that shape. */
  addBot(token: string, info: { id?: number; username?: string; first_name?: string } = {}): void {
    const prefix = Number(token.split(':')[0]);
    const id = info.id ?? (Number.isSafeInteger(prefix) && prefix > 0 ? prefix : this.nextBotId++);
    this.bots.set(token, {
      user: {
        id,
        is_bot: true,
        first_name: info.first_name ?? 'Parley Test',
        username: info.username ?? `test${id}_bot`,
      },
      lastMessageId: new Map(),
      pendingUpdates: 0,
    });
  }

  /** The next `times` calls of `method` fail, after `after` more calls of it succeed. */
  failNext(method: string, failure: TelegramFailure, times = 1, after = 0): void {
    this.failures.push({ method: method.toLowerCase(), failure, times, after });
  }

  blockChat(chatId: number | string): void {
    this.blocked.add(String(chatId));
  }

  sent(token?: string): SentTelegramMessage[] {
    return this.accepted.filter((message) => token === undefined || message.token === token);
  }

  webhookOf(token: string): TelegramWebhook | undefined {
    const webhook = this.bots.get(token)?.webhook;
    return webhook && { ...webhook };
  }

  reset(): void {
    this.calls.length = 0;
    this.accepted.length = 0;
    this.failures.length = 0;
    this.blocked.clear();
  }

  /**
   * POSTs an update to the bot's webhook as Telegram does. It also teaches the fake what the update
   * implies: the chat's details and message ids, and block/unblock from `my_chat_member` in private chats.
   */
  async deliver(token: string, update: object, options: { secretToken?: string | null } = {}): Promise<Delivery> {
    const bot = this.bots.get(token);
    const webhook = bot?.webhook;
    if (!bot || !webhook) throw new Error(`TelegramFake: bot ${token} has no webhook set; call setWebhook first`);
    this.learn(bot, update);
    const secret = options.secretToken === undefined ? webhook.secret_token : options.secretToken;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (secret !== undefined && secret !== null) headers['x-telegram-bot-api-secret-token'] = secret;
    try {
      const delivery = await deliverRequest(webhook.url, { method: 'POST', headers, body: JSON.stringify(update) });
      if (delivery.status < 200 || delivery.status > 299) {
        const reason = STATUS_CODES[delivery.status] ?? '';
        this.noteWebhookError(bot, webhook, `Wrong response from the webhook: ${delivery.status} ${reason}`.trim());
      }
      return delivery;
    } catch (error) {
      this.noteWebhookError(bot, webhook, 'Connection refused');
      throw error;
    }
  }

  private noteWebhookError(bot: Bot, webhook: TelegramWebhook, message: string): void {
    webhook.last_error_date = now();
    webhook.last_error_message = message;
    bot.pendingUpdates += 1;
  }

  private learn(bot: Bot, update: object): void {
    const record = update as Record<string, unknown>;
    const callback = isRecord(record.callback_query) ? record.callback_query : {};
    for (const message of [record.message, record.edited_message, callback.message]) {
      if (!isRecord(message) || !isRecord(message.chat)) continue;
      const key = String(message.chat.id);
      this.chats.set(key, message.chat);
      if (typeof message.message_id === 'number') {
        bot.lastMessageId.set(key, Math.max(bot.lastMessageId.get(key) ?? 0, message.message_id));
      }
    }
    const member = record.my_chat_member;
    if (isRecord(member) && isRecord(member.chat) && member.chat.type === 'private') {
      const status = isRecord(member.new_chat_member) ? member.new_chat_member.status : undefined;
      if (status === 'kicked') this.blocked.add(String(member.chat.id));
      if (status === 'member') this.blocked.delete(String(member.chat.id));
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const raw = await readBody(request);
    const match = /^\/bot([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!match) return sendJson(response, 404, failureBody(404, 'Not Found'));
    const token = decodeURIComponent(match[1] ?? '');
    const method = match[2] ?? '';
    let body: Record<string, unknown> = parseForm(url.search.slice(1), JSON_FIELDS);
    try {
      body = { ...body, ...parseBody(request, raw) };
    } catch (error) {
      return this.answer(response, error);
    } finally {
      this.calls.push({ token, method, body });
    }
    const bot = this.bots.get(token);
    if (!bot) return sendJson(response, 401, failureBody(401, 'Unauthorized'));
    // Bot API method names are case-insensitive; hasOwn keeps `constructor` and friends out.
    const name = method.toLowerCase();
    const implementation = Object.hasOwn(this.methods, name) ? this.methods[name] : undefined;
    if (!implementation) return sendJson(response, 404, failureBody(404, 'Not Found'));
    try {
      this.scriptedFailure(name);
      const { result, description } = implementation(bot, token, body);
      sendJson(response, 200, { ok: true, result, ...(description !== undefined && { description }) });
    } catch (error) {
      this.answer(response, error);
    }
  }

  private answer(response: ServerResponse, error: unknown): void {
    if (!(error instanceof ApiError)) throw error;
    sendJson(response, error.code, failureBody(error.code, error.description, error.parameters));
  }

  private scriptedFailure(method: string): void {
    const index = this.failures.findIndex((entry) => entry.method === method);
    const entry = this.failures[index];
    if (!entry) return;
    if (entry.after > 0) {
      entry.after--;
      return;
    }
    if (--entry.times <= 0) this.failures.splice(index, 1);
    const { error_code: code, retry_after: retryAfter } = entry.failure;
    if (code === 429) {
      // Telegram's flood answer always pairs the wording with parameters.retry_after; clients rely on either.
      const seconds = retryAfter ?? 1;
      throw new ApiError(429, `Too Many Requests: retry after ${seconds}`, { retry_after: seconds });
    }
    throw new ApiError(
      code,
      entry.failure.description,
      retryAfter === undefined ? undefined : { retry_after: retryAfter },
    );
  }

  private readonly methods: Record<string, Method> = {
    getme: (bot) => ({
      result: {
        ...bot.user,
        can_join_groups: true,
        can_read_all_group_messages: false,
        supports_inline_queries: false,
        can_connect_to_business: false,
        has_main_web_app: false,
      },
    }),
    setwebhook: (bot, _token, body) => {
      const url = typeof body.url === 'string' ? body.url : '';
      const previous = bot.webhook;
      if (truthy(body.drop_pending_updates)) bot.pendingUpdates = 0;
      if (url === '') {
        bot.webhook = undefined;
        return { result: true, description: previous ? 'Webhook was deleted' : 'Webhook is already deleted' };
      }
      checkWebhookUrl(url);
      const secret = body.secret_token === undefined || body.secret_token === '' ? undefined : body.secret_token;
      if (secret !== undefined && (typeof secret !== 'string' || !SECRET_TOKEN.test(secret))) {
        throw new ApiError(400, 'Bad Request: secret token contains unallowed characters');
      }
      const allowed = body.allowed_updates;
      if (allowed !== undefined && !(Array.isArray(allowed) && allowed.every((item) => typeof item === 'string'))) {
        throw new ApiError(400, "Bad Request: can't parse allowed updates");
      }
      const connections = Number(body.max_connections ?? 40);
      bot.webhook = {
        url,
        secret_token: secret,
        // Omitting allowed_updates keeps the previous setting (§2.2).
        allowed_updates: allowed ?? previous?.allowed_updates,
        max_connections: Number.isFinite(connections) ? Math.min(100, Math.max(1, Math.trunc(connections))) : 40,
        drop_pending_updates: body.drop_pending_updates === undefined ? undefined : truthy(body.drop_pending_updates),
      };
      return { result: true, description: previous?.url === url ? 'Webhook is already set' : 'Webhook was set' };
    },
    deletewebhook: (bot, _token, body) => {
      if (truthy(body.drop_pending_updates)) bot.pendingUpdates = 0;
      const previous = bot.webhook;
      bot.webhook = undefined;
      return { result: true, description: previous ? 'Webhook was deleted' : 'Webhook is already deleted' };
    },
    getwebhookinfo: (bot) => {
      const webhook = bot.webhook;
      const info: Record<string, unknown> = { url: webhook?.url ?? '', has_custom_certificate: false };
      info.pending_update_count = bot.pendingUpdates;
      if (webhook) {
        info.max_connections = webhook.max_connections;
        if (webhook.allowed_updates) info.allowed_updates = webhook.allowed_updates;
        if (webhook.last_error_date !== undefined) info.last_error_date = webhook.last_error_date;
        if (webhook.last_error_message !== undefined) info.last_error_message = webhook.last_error_message;
      }
      return { result: info };
    },
    getupdates: (bot) => {
      if (bot.webhook) {
        throw new ApiError(
          409,
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
        );
      }
      return { result: [] };
    },
    sendmessage: (bot, token, body) => {
      const chatId = requireChatId(body);
      const text = typeof body.text === 'string' ? body.text : typeof body.text === 'number' ? String(body.text) : '';
      if (text.trim() === '') throw new ApiError(400, 'Bad Request: message text is empty');
      // String length is UTF-16 code units, which is how Telegram counts the 4096 limit.
      if (text.length > 4096) throw new ApiError(400, 'Bad Request: message is too long');
      this.refuseBlocked(chatId);
      const key = String(chatId);
      const messageId = (bot.lastMessageId.get(key) ?? 0) + 1;
      bot.lastMessageId.set(key, messageId);
      const date = now();
      const message: Record<string, unknown> = { message_id: messageId, from: bot.user, chat: this.chatOf(chatId) };
      Object.assign(message, { date, text });
      if (isRecord(body.reply_markup) && 'inline_keyboard' in body.reply_markup)
        message.reply_markup = body.reply_markup;
      this.accepted.push({ ...body, token, chat_id: chatId, text, message_id: messageId, date });
      return { result: message };
    },
    sendchataction: (_bot, _token, body) => {
      const chatId = requireChatId(body);
      if (typeof body.action !== 'string' || !CHAT_ACTIONS.has(body.action)) {
        throw new ApiError(400, 'Bad Request: wrong parameter action in request');
      }
      this.refuseBlocked(chatId);
      return { result: true };
    },
  };

  private refuseBlocked(chatId: number | string): void {
    if (this.blocked.has(String(chatId))) throw new ApiError(403, 'Forbidden: bot was blocked by the user');
  }

  private chatOf(chatId: number | string): Record<string, unknown> {
    const known = this.chats.get(String(chatId));
    if (known) return known;
    if (typeof chatId === 'string') return { id: chatId, title: chatId, type: 'channel' };
    if (chatId > 0) return { id: chatId, first_name: 'Customer', type: 'private' };
    return { id: chatId, title: 'Group', type: String(chatId).startsWith('-100') ? 'supergroup' : 'group' };
  }
}

function failureBody(code: number, description: string, parameters?: Record<string, unknown>) {
  return { ok: false, error_code: code, description, ...(parameters && { parameters }) };
}

function parseBody(request: IncomingMessage, raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {};
  const type = mediaType(request);
  if (type === 'application/x-www-form-urlencoded') return parseForm(raw.toString('utf8'), JSON_FIELDS);
  if (type !== 'application/json' && type !== '') {
    throw new ApiError(400, `Bad Request: unsupported content type ${type} (the fake takes JSON or form data)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ApiError(400, "Bad Request: can't parse JSON object");
  }
  if (!isRecord(parsed)) throw new ApiError(400, "Bad Request: can't parse JSON object");
  return parsed;
}

function requireChatId(body: Record<string, unknown>): number | string {
  const value = body.chat_id;
  if (value === undefined || value === null || value === '') throw new ApiError(400, 'Bad Request: chat_id is empty');
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  if (typeof value === 'string' && value.startsWith('@')) return value;
  throw new ApiError(400, 'Bad Request: chat not found');
}

function checkWebhookUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ApiError(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
  }
  // Telegram demands https on a few ports; loopback http is the fake's one allowance, for tests.
  if (LOOPBACK.has(parsed.hostname) && (parsed.protocol === 'http:' || parsed.protocol === 'https:')) return;
  if (parsed.protocol !== 'https:') {
    throw new ApiError(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
  }
  if (!WEBHOOK_PORTS.has(parsed.port)) {
    throw new ApiError(400, 'Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443');
  }
}

function truthy(value: unknown): boolean {
  return value === true || value === 'true' || value === 1 || value === '1';
}

// ---- Update builders: the shapes Telegram POSTs to a webhook for a private chat (external-apis.md §2.4). ----

export interface TelegramPersonInput {
  updateId: number;
  /** In a private chat the chat id is the customer's user id. */
  chatId: number;
  firstName?: string;
  lastName?: string;
  username?: string;
  languageCode?: string;
  /** Unix seconds; defaults to now. */
  date?: number;
}

export interface TelegramMessageInput extends TelegramPersonInput {
  messageId: number;
}

export type TelegramUpdate = { update_id: number } & Record<string, unknown>;

const DEFAULT_BOT: TelegramUser = { id: 7_000_000_001, is_bot: true, first_name: 'Parley', username: 'parley_bot' };

export function telegramTextUpdate(input: TelegramMessageInput & { text: string }): TelegramUpdate {
  return { update_id: input.updateId, message: { ...baseMessage(input), text: input.text, ...entities(input.text) } };
}

export function telegramEditedUpdate(
  input: TelegramMessageInput & { text: string; editDate?: number },
): TelegramUpdate {
  const message = { ...baseMessage(input), text: input.text, ...entities(input.text) };
  return { update_id: input.updateId, edited_message: { ...message, edit_date: input.editDate ?? message.date + 60 } };
}

/** Telegram sends every stored size of the photo, smallest first; clients usually take the last. */
export function telegramPhotoUpdate(input: TelegramMessageInput & { caption?: string }): TelegramUpdate {
  const sizes: [number, number, number][] = [
    [90, 68, 1_254],
    [320, 240, 17_310],
    [800, 600, 71_882],
    [1280, 960, 132_047],
  ];
  const photo = sizes.map(([width, height, size], index) => ({
    ...fileIds('AgACAgIAAxkBAAI', input, index),
    file_size: size,
    width,
    height,
  }));
  const caption = input.caption === undefined ? {} : { caption: input.caption };
  return { update_id: input.updateId, message: { ...baseMessage(input), photo, ...caption } };
}

export function telegramStickerUpdate(
  input: TelegramMessageInput & { emoji?: string; setName?: string },
): TelegramUpdate {
  const sticker = {
    ...fileIds('CAACAgIAAxkBAAI', input, 0),
    width: 512,
    height: 512,
    emoji: input.emoji ?? '👍',
    set_name: input.setName ?? 'HotCherry',
    is_animated: false,
    is_video: false,
    type: 'regular',
    thumbnail: { ...fileIds('AAMCAgADGQEAAI', input, 1), file_size: 5_416, width: 128, height: 128 },
    file_size: 22_418,
  };
  return { update_id: input.updateId, message: { ...baseMessage(input), sticker } };
}

export function telegramVoiceUpdate(input: TelegramMessageInput & { duration?: number }): TelegramUpdate {
  const voice = { ...fileIds('AwACAgIAAxkBAAI', input, 0), duration: input.duration ?? 3 };
  return { update_id: input.updateId, message: { ...baseMessage(input), voice: { ...voice, mime_type: 'audio/ogg' } } };
}

/** A tap on an inline button under the bot's message `messageId`. */
export function telegramCallbackQueryUpdate(
  input: TelegramMessageInput & { data: string; callbackQueryId?: string; messageText?: string; bot?: TelegramUser },
): TelegramUpdate {
  const message = {
    message_id: input.messageId,
    from: input.bot ?? DEFAULT_BOT,
    chat: privateChat(input),
    date: input.date ?? Math.floor(Date.now() / 1000) - 30,
    text: input.messageText ?? 'Choose an option',
    reply_markup: { inline_keyboard: [[{ text: input.data, callback_data: input.data }]] },
  };
  const callback = {
    id: input.callbackQueryId ?? `${BigInt(input.chatId) * 4_294_967_296n + BigInt(input.updateId)}`,
    from: person(input),
    message,
    chat_instance: `${-BigInt(input.chatId) * 7_919n}`,
    data: input.data,
  };
  return { update_id: input.updateId, callback_query: callback };
}

/** The customer blocked (`kicked`) or unblocked (`member`) the bot in their private chat. */
export function telegramMyChatMemberUpdate(
  input: TelegramPersonInput & { status: 'kicked' | 'member'; bot?: TelegramUser },
): TelegramUpdate {
  const bot = input.bot ?? DEFAULT_BOT;
  const member = (status: 'kicked' | 'member') =>
    status === 'kicked' ? { user: bot, status, until_date: 0 } : { user: bot, status };
  const change = {
    chat: privateChat(input),
    from: person(input),
    date: input.date ?? Math.floor(Date.now() / 1000),
    old_chat_member: member(input.status === 'kicked' ? 'member' : 'kicked'),
    new_chat_member: member(input.status),
  };
  return { update_id: input.updateId, my_chat_member: change };
}

function person(input: TelegramPersonInput): TelegramUser {
  return withoutUndefined({
    id: input.chatId,
    is_bot: false,
    first_name: input.firstName ?? 'Customer',
    last_name: input.lastName,
    username: input.username,
    language_code: input.languageCode ?? 'en',
  });
}

function privateChat(input: TelegramPersonInput) {
  const { id, first_name, last_name, username } = person(input);
  return withoutUndefined({ id, first_name, last_name, username, type: 'private' as const });
}

function baseMessage(input: TelegramMessageInput) {
  const date = input.date ?? Math.floor(Date.now() / 1000);
  return { message_id: input.messageId, from: person(input), chat: privateChat(input), date };
}

/** Telegram marks a leading /command (optionally /command@bot) as a bot_command entity. */
function entities(text: string): { entities?: { type: string; offset: number; length: number }[] } {
  const command = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
  return command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {};
}

/** Real file ids are opaque base64url; deterministic ones keep snapshots stable. */
function fileIds(prefix: string, input: TelegramMessageInput, variant: number) {
  const seed = Buffer.from(`${input.chatId}:${input.messageId}:${variant}`).toString('base64url');
  return { file_id: `${prefix}${seed}`, file_unique_id: `AQAD${seed}` };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
