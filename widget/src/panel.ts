// The panel chunk (`/widget/panel-<hash>.js`), fetched when the visitor first opens the widget:
// the conversation, the composer, the live socket. Everything from the server or the visitor is
// written with textContent, never as HTML.
import { wireComposer } from './composer.js';
import { ApiError, call, Live } from './connection.js';
import { Conversation } from './messages.js';
import { panelCss } from './panel-css.js';
import { chime, drawPanel, el, messageList } from './panel-view.js';
import { wordsFor } from './words.js';
import {
  readVisitor,
  type HandledBy,
  type Identity,
  type MessagesPage,
  type Panel,
  type PanelHost,
  type ServerFrame,
  type StoredVisitor,
  type WidgetMessage,
} from './protocol.js';

const STREAM_GRACE_MS = 3000;

export function mount(host: PanelHost): Panel {
  const { settings, api, storageKey, shadow, launcher } = host;
  const words = wordsFor(settings.language);
  const politeWait = (error: ApiError) => words.wait(error.retryAfter);
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(panelCss(settings.position === 'left' ? 'left' : 'right'));
  shadow.adoptedStyleSheets = [...shadow.adoptedStyleSheets, sheet];

  const stored = readVisitor(storageKey);
  let token = stored?.visitor_token ?? null;
  /** The customer `token` was verified for; undefined for an anonymous visitor. */
  let verifiedAs = stored?.user_id;
  let identity: Identity | undefined = host.identity;
  /** Identity switches, one after another: two quick identify() calls must not interleave. */
  let switching = Promise.resolve();
  /** The last user_hash the server refused, not sent again on every identify() of a page that keeps calling it. */
  let refused: string | undefined;
  let live: Live | undefined;
  let started = false;
  let isOpen = false;
  let unread = 0;
  let handledBy: HandledBy = 'ai';
  let streaming: HTMLParagraphElement | undefined;
  let conversation = new Conversation();
  // One tab plays the sound (the one holding the lock); opening the panel in any tab clears every tab's badge.
  let soundTab = false;
  const tabs = 'BroadcastChannel' in window ? new BroadcastChannel(storageKey) : undefined;
  navigator.locks
    ?.request(`${storageKey}:sound`, () => {
      soundTab = true;
      return new Promise<void>(() => undefined);
    })
    // Storage blocked (cookies disabled) blocks locks too: this tab then never plays the sound.
    .catch(() => undefined);

  const {
    panel,
    who,
    closeButton,
    handover,
    log,
    greeting,
    typing,
    notice,
    identify,
    nameInput,
    emailInput,
    composer,
    input,
  } = drawPanel(settings, words);
  shadow.append(panel);

  const askIdentity = () => settings.ask_identity !== 'none' && !token && !identity;

  function showWho(): void {
    handover.hidden = handledBy !== 'people';
    who.textContent = handledBy === 'people' ? words.withTeam : settings.open_now ? words.withAssistant : words.away;
    identify.hidden = !askIdentity();
    composer.hidden = askIdentity();
  }

  function say(text: string): void {
    notice.textContent = text;
    notice.hidden = !text;
  }

  const drawMessages = messageList(log, greeting, words);
  function render(): void {
    drawMessages(conversation.ordered(), streaming);
  }

  function setUnread(count: number): void {
    unread = count;
    host.setUnread(count);
  }

  /** A reply that arrived now (not history): a badge when the visitor is not looking, one sound across tabs. */
  function arrived(message: WidgetMessage): void {
    if (message.author === 'visitor') return;
    const looking = isOpen && document.visibilityState === 'visible';
    if (!looking) setUnread(unread + 1);
    if (!looking && soundTab) chime();
  }

  function endStream(): void {
    streaming?.remove();
    streaming = undefined;
    log.removeAttribute('aria-busy');
  }

  function take(message: WidgetMessage, live: boolean): void {
    // The stored answer replaces the streamed one; a handover or an agent's message ends it too.
    if (message.author !== 'visitor') endStream();
    if (conversation.add(message) && live) arrived(message);
  }

  async function history(): Promise<void> {
    const asked = token;
    if (!asked) return;
    const after = conversation.lastSeq;
    try {
      const page = await call<MessagesPage>(api, after ? `messages/?after=${after}` : 'messages/', asked);
      // The visitor changed meanwhile (identify): this page is another person's conversation.
      if (token !== asked) return;
      for (const message of page.messages) take(message, after > 0);
      handledBy = page.handled_by;
      showWho();
      render();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && token === asked) forget();
    }
  }

  function onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'ready':
        // Whatever was missed while the socket was down, and who handles the conversation now;
        // merged by id, so nothing shows twice.
        void history();
        return;
      case 'message':
        take(frame.message, true);
        if (frame.message.author !== 'visitor') typing.textContent = '';
        return render();
      case 'ai.delta':
        if (!streaming) {
          streaming = el('p', 'msg from-ai');
          log.setAttribute('aria-busy', 'true');
        }
        streaming.textContent = (streaming.textContent ?? '') + frame.text;
        typing.textContent = '';
        return render();
      case 'ai.done':
        log.removeAttribute('aria-busy');
        // The stored answer normally follows at once; if it does not come, ask for it rather than keep a draft.
        setTimeout(() => {
          if (!streaming) return;
          endStream();
          void history();
        }, STREAM_GRACE_MS);
        return;
      case 'typing':
        typing.textContent = frame.typing ? (frame.who === 'agent' ? words.teamTyping : words.aiTyping) : '';
        return;
      case 'status':
        handledBy = frame.handled_by;
        return showWho();
      case 'pong':
        return;
    }
  }

  function connect(): void {
    if (!token || live) return;
    const url = `${api.replace(/^http/, 'ws')}socket/`;
    live = new Live(url, token, onFrame, forget);
  }

  /** The server no longer knows this visitor: start again as a new one at the next message. */
  function forget(): void {
    live?.stop();
    live = undefined;
    token = null;
    verifiedAs = undefined;
    try {
      localStorage.removeItem(storageKey);
    } catch {
      // Storage blocked: there was nothing stored.
    }
    showWho();
  }

  /** This browser is now `visitor`: kept for the next visit, and the other tabs follow. */
  function keep(visitor: StoredVisitor): void {
    token = visitor.visitor_token;
    verifiedAs = visitor.user_id;
    try {
      localStorage.setItem(storageKey, JSON.stringify(visitor));
    } catch {
      // Cookies and storage blocked: the conversation lasts as long as this page.
    }
    tabs?.postMessage({ type: 'visitor' });
  }

  /** The page's customer signed out: nothing of theirs stays shown or stored; the next message starts anonymously. */
  function logout(): void {
    identity = undefined;
    leave();
    forget();
  }

  /** Stops showing this visitor's conversation (another visitor's replaces it). */
  function leave(): void {
    live?.stop();
    live = undefined;
    endStream();
    typing.textContent = '';
    conversation = new Conversation();
    handledBy = 'ai';
    setUnread(0);
    render();
  }

  /** The signed-in customer the page named, as a new visitor; throws when the server refuses or is away. */
  async function verified(details: { name?: string; email?: string }, who: Identity): Promise<StoredVisitor> {
    try {
      const made = await call<StoredVisitor>(api, 'visitors/', null, { ...details, ...who });
      return { visitor_token: made.visitor_token, user_id: who.user_id };
    } catch (error) {
      if (error instanceof ApiError && error.code === 'identity_invalid') refused = who.user_hash;
      throw error;
    }
  }

  async function startVisitor(details: { name?: string; email?: string }): Promise<boolean> {
    try {
      let made: StoredVisitor | undefined;
      try {
        if (identity && refused !== identity.user_hash) made = await verified(details, identity);
      } catch (error) {
        // A signature the server refuses: carry on anonymously rather than not at all.
        if (!(error instanceof ApiError && error.code === 'identity_invalid')) throw error;
      }
      const anonymous = { ...details, name: details.name ?? identity?.name, email: details.email ?? identity?.email };
      made ??= { visitor_token: (await call<StoredVisitor>(api, 'visitors/', null, anonymous)).visitor_token };
      keep(made);
      connect();
      return true;
    } catch (error) {
      say(error instanceof ApiError && error.status === 429 ? politeWait(error) : words.cannotStart);
      return false;
    }
  }

  /**
   * The page named a customer this browser's visitor is not (a login after chatting anonymously, or
   * another customer's login on a shared computer): that customer's conversation replaces the shown
   * one at once. If the server refuses the identity, an anonymous visitor carries on as they were;
   * another customer's conversation is never shown again (the next message starts anonymously).
   */
  function switchTo(who: Identity): Promise<void> {
    switching = switching.then(async () => {
      const anonymous = verifiedAs === undefined;
      if (token && verifiedAs !== who.user_id && !(anonymous && refused === who.user_hash)) {
        // Another customer's conversation goes at once, before the server answers (and nothing typed
        // meanwhile is sent as them).
        if (!anonymous) {
          leave();
          forget();
        }
        try {
          const made = await verified({}, who);
          leave();
          keep(made);
        } catch {
          // Refused or unreachable: an anonymous visitor carries on as they were.
        }
        showWho();
      }
      await history();
      connect();
    });
    return switching;
  }

  async function sendMessage(text: string): Promise<void> {
    if (!token && !(await startVisitor({}))) {
      input.value = text;
      return;
    }
    const clientId = crypto.randomUUID();
    const sentAs = token;
    conversation.addPending(clientId, text);
    render();
    try {
      const { message } = await call<{ message: WidgetMessage }>(api, 'messages/', sentAs, {
        client_id: clientId,
        text,
      });
      // Sent just before the visitor changed: it belongs to the conversation no longer shown.
      if (token !== sentAs) return;
      take(message, false);
      say('');
    } catch (error) {
      const limited = error instanceof ApiError && error.status === 429;
      conversation.fail(clientId, limited);
      if (limited) {
        // Given back to the visitor to send again when the limit allows.
        if (!input.value) input.value = text;
        say(politeWait(error));
      } else if (error instanceof ApiError && error.status === 401) {
        forget();
        say(words.sessionEnded);
      } else say(words.failed);
    }
    render();
  }

  async function begin(): Promise<void> {
    if (started) return;
    started = true;
    showWho();
    if (!token && identity) await startVisitor({});
    // A visitor stored before the page named its customer: switched first, then shown.
    if (token && identity && verifiedAs !== identity.user_id) return switchTo(identity);
    await history();
    connect();
  }

  function open(): void {
    isOpen = true;
    panel.hidden = false;
    host.setExpanded(true);
    setUnread(0);
    tabs?.postMessage({ type: 'read' });
    void begin();
    (askIdentity() ? nameInput : input).focus();
    log.scrollTop = log.scrollHeight;
  }

  function close(): void {
    const hadFocus = shadow.activeElement !== null;
    isOpen = false;
    panel.hidden = true;
    host.setExpanded(false);
    if (hadFocus) launcher.focus();
  }

  tabs?.addEventListener('message', (event: MessageEvent<{ type: string }>) => {
    if (event.data.type === 'read') setUnread(0);
    if (event.data.type === 'logout') logout();
    // Another tab started a visitor or switched to one: this tab follows, unless it names another customer.
    const other = event.data.type === 'visitor' ? readVisitor(storageKey) : null;
    if (other && other.visitor_token !== token && (!identity || other.user_id === identity.user_id)) {
      leave();
      token = other.visitor_token;
      verifiedAs = other.user_id;
      showWho();
      void history().then(connect);
    }
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && isOpen) setUnread(0);
  });
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      close();
    }
  });
  closeButton.addEventListener('click', close);
  identify.addEventListener('submit', (event) => {
    event.preventDefault();
    const details = { name: nameInput.value.trim(), ...(emailInput.value ? { email: emailInput.value.trim() } : {}) };
    void startVisitor(details).then((ok) => {
      if (!ok) return;
      showWho();
      input.focus();
    });
  });
  wireComposer(composer, input, {
    send: (text) => void sendMessage(text),
    typing: (typing) => live?.send({ type: 'typing', typing }),
  });

  showWho();
  // A returning visitor's panel loads closed: the conversation connects so replies reach the badge.
  if (token) void begin();

  return {
    open,
    close,
    identify(value) {
      identity = value;
      showWho();
      // Before the panel starts, begin() does it; a visitor who has not written yet is made at their first message.
      if (started && token && verifiedAs !== value.user_id) void switchTo(value);
    },
    logout() {
      logout();
      tabs?.postMessage({ type: 'logout' });
    },
  };
}
