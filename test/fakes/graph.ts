import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
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
 * A loopback Instagram Send API (Instagram API with Instagram Login, external-apis.md §3.4) and
 * `GET /me` (who a token belongs to), plus Meta-style webhook deliveries. Point META_GRAPH_BASE at `url`.
 * Simplification: a recipient with no recorded customer message counts as inside the 24 h window,
 * so tests that do not care about the window need no setup.
 */

export interface GraphFailure {
  status: number;
  code: number;
  message: string;
  error_subcode?: number;
  /** Defaults to OAuthException, as most Graph errors are. */
  type?: string;
  /** Graph marks errors worth retrying, such as code 2. */
  is_transient?: boolean;
}

export interface GraphCall {
  method: string;
  path: string;
  token?: string;
  body: unknown;
}

export interface GraphSentMessage {
  igUserId: string;
  recipientId: string;
  text: string;
  messagingType?: string;
  tag?: string;
  messageId: string;
  attachment?: unknown;
}

class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly subcode?: number,
    readonly extra: { type?: string; is_transient?: boolean } = {},
  ) {
    super(message);
  }
}

const HOUR = 60 * 60 * 1000;
const STANDARD_WINDOW = 24 * HOUR;
const HUMAN_AGENT_WINDOW = 7 * 24 * HOUR;
const MESSAGING_TYPES = ['RESPONSE', 'UPDATE', 'MESSAGE_TAG'];
const MESSAGE_PATH = /^(?:\/v\d+\.\d+)?\/([^/]+)\/messages\/?$/;
const ME_PATH = /^(?:\/v\d+\.\d+)?\/me\/?$/;
/** The fields of an Instagram user `GET /me` answers here; Graph has more, none Parley reads. */
const USER_FIELDS = ['id', 'user_id', 'username', 'name', 'account_type'];

const badToken = () => new GraphError(400, 190, 'Invalid OAuth access token - Cannot parse access token');
const missing = (name: string) => new GraphError(400, 100, `(#100) The parameter ${name} is required`);
const invalid = (message: string) => new GraphError(400, 100, `(#100) ${message}`);

export class GraphFake {
  readonly sent: GraphSentMessage[] = [];
  readonly calls: GraphCall[] = [];
  /** By access token: the professional account it speaks for. */
  private readonly accounts = new Map<string, { igUserId: string; username: string }>();
  private readonly lastCustomerMessage = new Map<string, number>();
  private readonly blocked = new Set<string>();
  private readonly failures: { failure: GraphFailure; times: number }[] = [];
  private counter = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(options: ListenOptions & { version?: string } = {}): Promise<GraphFake> {
    const holder: { fake?: GraphFake } = {};
    const { server, origin } = await listen(
      (request, response) => holder.fake?.handle(request, response) ?? Promise.resolve(),
      (response, error) => sendJson(response, 500, errorBody(new GraphError(500, 2, `Fake crashed: ${String(error)}`))),
      options,
    );
    holder.fake = new GraphFake(server, `${origin}/${options.version ?? 'v23.0'}`);
    return holder.fake;
  }

  close(): Promise<void> {
    return close(this.server);
  }

  /** A professional account and a token for it: `GET /me` names it, and the token may send as it. */
  addAccount(igUserId: string, accessToken: string, username = `account_${igUserId.slice(-4)}`): void {
    this.accounts.set(accessToken, { igUserId, username });
  }

  setLastCustomerMessage(igsid: string, at: Date): void {
    this.lastCustomerMessage.set(igsid, at.getTime());
  }

  blockRecipient(igsid: string): void {
    this.blocked.add(igsid);
  }

  failNext(failure: GraphFailure, times = 1): void {
    this.failures.push({ failure, times });
  }

  /** Clears sends, calls, scripted failures, blocks and the recorded customer messages; keeps accounts. */
  reset(): void {
    this.sent.length = 0;
    this.calls.length = 0;
    this.failures.length = 0;
    this.blocked.clear();
    this.lastCustomerMessage.clear();
  }

  /**
   * POSTs a webhook as Meta does: body serialised the way Meta sends it (see `metaJson`), signed over
   * those exact bytes. A customer message in the payload also opens that customer's messaging window.
   * Overriding `signature` drops the legacy sha1 header, so a forged sha256 cannot be rescued by it.
   */
  async deliver(
    webhookUrl: string,
    payload: object,
    options: { appSecret: string; signature?: string | null },
  ): Promise<Delivery> {
    this.learn(payload);
    const body = metaJson(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'facebookexternalua' };
    if (options.signature === undefined) {
      headers['x-hub-signature-256'] = metaSignature(body, options.appSecret);
      headers['x-hub-signature'] = `sha1=${createHmac('sha1', options.appSecret).update(body, 'utf8').digest('hex')}`;
    } else if (options.signature !== null) {
      headers['x-hub-signature-256'] = options.signature;
    }
    return deliverRequest(webhookUrl, { method: 'POST', headers, body });
  }

  /** The subscription handshake Meta performs when a callback URL is saved (§3.1). */
  verify(
    webhookUrl: string,
    options: { mode?: string; verifyToken: string; challenge: string | number },
  ): Promise<Delivery> {
    const url = new URL(webhookUrl);
    url.searchParams.set('hub.mode', options.mode ?? 'subscribe');
    url.searchParams.set('hub.challenge', String(options.challenge));
    url.searchParams.set('hub.verify_token', options.verifyToken);
    return deliverRequest(url.toString(), { method: 'GET', headers: { 'user-agent': 'facebookplatform/1.0' } });
  }

  private learn(payload: object): void {
    const entries = (payload as Record<string, unknown>).entry;
    for (const entry of Array.isArray(entries) ? entries : []) {
      const messaging = isRecord(entry) && Array.isArray(entry.messaging) ? entry.messaging : [];
      for (const event of messaging) {
        if (!isRecord(event) || !isRecord(event.message) || event.message.is_echo === true) continue;
        const sender = isRecord(event.sender) ? event.sender.id : undefined;
        if (typeof sender !== 'string' || typeof event.timestamp !== 'number') continue;
        const previous = this.lastCustomerMessage.get(sender) ?? 0;
        this.lastCustomerMessage.set(sender, Math.max(previous, event.timestamp));
      }
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const body = parseBody(request, await readBody(request));
    const token = bearer(request) ?? url.searchParams.get('access_token') ?? bodyToken(body);
    this.calls.push({ method: request.method ?? 'GET', path: url.pathname, token, body });
    try {
      const result =
        request.method === 'GET' && ME_PATH.test(url.pathname)
          ? this.me(token, url.searchParams.get('fields'))
          : this.send(request.method, url.pathname, token, body);
      sendJson(response, 200, result, jsonHeaders());
    } catch (error) {
      if (!(error instanceof GraphError)) throw error;
      const headers = jsonHeaders();
      if (error.code === 190)
        headers['www-authenticate'] = `OAuth "Facebook Platform" "invalid_token" "${error.message}"`;
      sendJson(response, error.status, errorBody(error), headers);
    }
  }

  /**
   * Who the token belongs to, with the fields asked for: `user_id` is the professional account id
   * webhooks carry, `id` an app-scoped id that differs from it. Without `fields`, only `id`.
   */
  private me(token: string | undefined, fields: string | null): Record<string, string> {
    const account = token === undefined ? undefined : this.accounts.get(token);
    if (account === undefined) throw badToken();
    this.scriptedFailure();
    const values: Record<string, string> = {
      id: appScopedId(account.igUserId),
      user_id: account.igUserId,
      username: account.username,
      name: account.username,
      account_type: 'BUSINESS',
    };
    const wanted = (fields ?? '')
      .split(',')
      .map((field) => field.trim())
      .filter(Boolean);
    const unknown = wanted.find((field) => !USER_FIELDS.includes(field));
    if (unknown !== undefined) {
      throw invalid(`Tried accessing nonexisting field (${unknown}) on node type (User)`);
    }
    const answer: Record<string, string> = {};
    for (const field of wanted) answer[field] = values[field]!;
    answer.id = values.id!;
    return answer;
  }

  private send(method: string | undefined, path: string, token: string | undefined, body: unknown) {
    const match = MESSAGE_PATH.exec(path);
    if (!match || method !== 'POST') {
      throw new GraphError(404, 803, `(#803) Some of the aliases you requested do not exist: ${method} ${path}`);
    }
    const account = token === undefined ? undefined : this.accounts.get(token)?.igUserId;
    if (account === undefined) throw badToken();
    const target = match[1] === 'me' ? account : decodeURIComponent(match[1] ?? '');
    if (target !== account) {
      throw new GraphError(400, 190, `Error validating access token: the token does not belong to IG user ${target}`);
    }
    this.scriptedFailure();

    const params = isRecord(body) ? body : {};
    const recipient = isRecord(params.recipient) ? params.recipient.id : undefined;
    const recipientId = typeof recipient === 'number' ? String(recipient) : recipient;
    if (typeof recipientId !== 'string' || recipientId === '') throw missing('recipient');
    const message = params.message;
    if (!isRecord(message)) throw missing('message');
    const { text, attachment } = message;
    if (text !== undefined && typeof text !== 'string') throw invalid('Param message[text] must be a string');
    if ((text === undefined || text === '') && attachment === undefined) {
      throw invalid('Message cannot be empty, must provide valid attachment or text');
    }
    // The documented limit says 1000 characters, integrations report bytes: enforce bytes, the stricter.
    if (text !== undefined && Buffer.byteLength(text, 'utf8') > 1000) {
      throw invalid('Length of param message[text] must be less than or equal to 1000 bytes (text is too long)');
    }
    const { messagingType, tag } = this.checkTag(params);
    if (this.blocked.has(recipientId))
      throw new GraphError(400, 551, "This person isn't available right now.", 1545041);
    this.checkWindow(recipientId, tag);

    const messageId = this.nextMessageId(account);
    this.sent.push({
      igUserId: account,
      recipientId,
      text: text ?? '',
      messageId,
      ...(messagingType !== undefined && { messagingType }),
      ...(tag !== undefined && { tag }),
      ...(attachment !== undefined && { attachment }),
    });
    return { recipient_id: recipientId, message_id: messageId };
  }

  private checkTag(params: Record<string, unknown>): { messagingType?: string; tag?: string } {
    const { messaging_type: messagingType, tag } = params;
    if (
      messagingType !== undefined &&
      (typeof messagingType !== 'string' || !MESSAGING_TYPES.includes(messagingType))
    ) {
      throw invalid(
        `Param messaging_type must be one of {${MESSAGING_TYPES.join(', ')}} - got ${JSON.stringify(messagingType)}.`,
      );
    }
    // Instagram supports a single message tag.
    if (tag !== undefined && tag !== 'HUMAN_AGENT') {
      throw invalid(`Param tag must be one of {HUMAN_AGENT} - got ${JSON.stringify(tag)}.`);
    }
    if (messagingType === 'MESSAGE_TAG' && tag === undefined) throw invalid('Param tag is required for MESSAGE_TAG');
    if (tag !== undefined && messagingType !== undefined && messagingType !== 'MESSAGE_TAG') {
      throw invalid('Param messaging_type must be MESSAGE_TAG when a tag is set');
    }
    return { messagingType, tag };
  }

  private checkWindow(recipientId: string, tag: string | undefined): void {
    const last = this.lastCustomerMessage.get(recipientId);
    if (last === undefined) return;
    const window = tag === 'HUMAN_AGENT' ? HUMAN_AGENT_WINDOW : STANDARD_WINDOW;
    if (Date.now() - last > window) {
      throw new GraphError(400, 10, '(#10) This message is sent outside of allowed window.', 2018278);
    }
  }

  private scriptedFailure(): void {
    const entry = this.failures[0];
    if (!entry) return;
    if (--entry.times <= 0) this.failures.shift();
    const { status, code, message, error_subcode: subcode, type, is_transient } = entry.failure;
    throw new GraphError(status, code, message, subcode, { type, is_transient });
  }

  /** Real mids are opaque base64 of an internal item key; this mimics the look and stays unique. */
  private nextMessageId(igUserId: string): string {
    const key = `ig_message_item:1:IGMessageThread:${igUserId}:${++this.counter}:${randomBytes(6).toString('hex')}`;
    return Buffer.from(key).toString('base64url');
  }
}

/**
 * Meta serialises webhook bodies with non-ASCII characters as lowercase \uXXXX escapes (the
 * "escaped unicode" its signature docs warn about) and slashes as `\/`. A receiver that re-serialises
 * the parsed JSON before checking the signature therefore fails, as it would in production.
 */
export function metaJson(payload: object): string {
  return JSON.stringify(payload)
    .replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\//g, '\\/');
}

/** An app-scoped user id: digits, stable per account, never the account's own id. */
function appScopedId(igUserId: string): string {
  const digest = createHash('sha256').update(`app-scoped:${igUserId}`).digest();
  return String((digest.readBigUInt64BE() % 10n ** 16n) + 10n ** 16n);
}

export function metaSignature(rawBody: string | Buffer, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

function errorBody(error: GraphError) {
  return {
    error: {
      message: error.message,
      type: error.extra.type ?? 'OAuthException',
      code: error.code,
      ...(error.subcode !== undefined && { error_subcode: error.subcode }),
      ...(error.extra.is_transient !== undefined && { is_transient: error.extra.is_transient }),
      fbtrace_id: randomBytes(17).toString('base64url'),
    },
  };
}

function jsonHeaders(): Record<string, string> {
  return { 'content-type': 'application/json; charset=UTF-8', 'x-fb-trace-id': randomBytes(8).toString('base64url') };
}

/** Graph takes JSON, or form fields whose structured values are JSON strings; garbage counts as no parameters. */
function parseBody(request: IncomingMessage, raw: Buffer): unknown {
  if (raw.length === 0) return {};
  if (mediaType(request) === 'application/x-www-form-urlencoded') {
    return parseForm(raw.toString('utf8'), ['recipient', 'message']);
  }
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return {};
  }
}

function bearer(request: IncomingMessage): string | undefined {
  const match = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

function bodyToken(body: unknown): string | undefined {
  return isRecord(body) && typeof body.access_token === 'string' ? body.access_token : undefined;
}

// ---- Webhook payload builders (external-apis.md §3.2). ----

export interface InstagramAttachment {
  type: string;
  payload: Record<string, unknown>;
}

export interface InstagramMessagingEvent {
  sender: { id: string };
  recipient: { id: string };
  timestamp: number;
  message: { mid: string; text?: string; attachments?: InstagramAttachment[]; is_echo?: true };
}

export interface InstagramEventInput {
  /** The business's professional account (IGID), the entry id. */
  igId: string;
  /** The customer's IGSID; in an echo it becomes the recipient. */
  senderId: string;
  mid: string;
  text?: string;
  attachments?: InstagramAttachment[];
  /** Milliseconds; defaults to now. */
  timestamp?: number;
}

export interface InstagramWebhookPayload {
  object: 'instagram';
  entry: { id: string; time: number; messaging: InstagramMessagingEvent[] }[];
}

export function instagramMessageEvent(input: InstagramEventInput): InstagramMessagingEvent {
  return {
    sender: { id: input.senderId },
    recipient: { id: input.igId },
    timestamp: input.timestamp ?? Date.now(),
    message: messageOf(input),
  };
}

/** What Meta sends back for a message the business account itself sent. */
export function instagramEchoEvent(input: InstagramEventInput): InstagramMessagingEvent {
  return {
    sender: { id: input.igId },
    recipient: { id: input.senderId },
    timestamp: input.timestamp ?? Date.now(),
    message: { ...messageOf(input), is_echo: true },
  };
}

/** Each argument is one entry: a single event, or an array of events batched in one entry's messaging[]. */
export function instagramBatch(
  ...entries: (InstagramMessagingEvent | InstagramMessagingEvent[])[]
): InstagramWebhookPayload {
  if (entries.length === 0) throw new Error('instagramBatch needs at least one event');
  return {
    object: 'instagram',
    entry: entries.map((group) => {
      const messaging = Array.isArray(group) ? group : [group];
      const ids = new Set(messaging.map(accountOf));
      const [id] = ids;
      if (id === undefined || ids.size > 1) throw new Error('an entry holds events of exactly one account');
      return { id, time: Math.max(...messaging.map((event) => event.timestamp)) + 1, messaging };
    }),
  };
}

function accountOf(event: InstagramMessagingEvent): string {
  return event.message.is_echo ? event.sender.id : event.recipient.id;
}

function messageOf(input: InstagramEventInput): InstagramMessagingEvent['message'] {
  return {
    mid: input.mid,
    ...(input.text !== undefined && { text: input.text }),
    ...(input.attachments !== undefined && { attachments: input.attachments }),
  };
}
