// The panel chunk (`/widget/panel-<hash>.js`), fetched when the visitor first opens the widget:
// the conversation, the composer, the live socket. Everything from the server or the visitor is
// written with textContent, never as HTML.
import { ApiError, call, Live } from './connection.js';
import { Conversation, type ShownMessage } from './messages.js';
import { panelCss } from './panel-css.js';
import { wordsFor } from './words.js';
import {
  readToken,
  type HandledBy,
  type Identity,
  type MessagesPage,
  type Panel,
  type PanelHost,
  type ServerFrame,
  type WidgetMessage,
} from './protocol.js';

const TYPING_REFRESH_MS = 3000;
const STREAM_GRACE_MS = 3000;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

function icon(path: string): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  line.setAttribute('d', path);
  svg.append(line);
  return svg;
}

export function mount(host: PanelHost): Panel {
  const { settings, api, storageKey, shadow, launcher } = host;
  const words = wordsFor(settings.language);
  const authors: Record<ShownMessage['author'], string> = {
    visitor: words.you,
    ai: words.assistant,
    agent: words.team,
    system: words.notice,
  };
  const politeWait = (error: ApiError) => words.wait(error.retryAfter);
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(panelCss(settings.position === 'left' ? 'left' : 'right'));
  shadow.adoptedStyleSheets = [...shadow.adoptedStyleSheets, sheet];

  let token = readToken(storageKey);
  let identity: Identity | undefined = host.identity;
  let live: Live | undefined;
  let started = false;
  let isOpen = false;
  let unread = 0;
  let handledBy: HandledBy = 'ai';
  let streaming: HTMLParagraphElement | undefined;
  let typingSent = 0;
  const conversation = new Conversation();
  const shown = new Map<string, HTMLElement>();
  const drawn = new WeakMap<HTMLElement, string>();
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

  // The dialog.
  const panel = el('div', 'panel');
  panel.hidden = true;
  panel.setAttribute('role', 'dialog');
  if (settings.language) panel.lang = settings.language;
  panel.setAttribute('aria-labelledby', 'parley-title');
  const header = el('div', 'top');
  const heading = el('div', 'heading');
  const title = el('h2', '', settings.business_name);
  title.id = 'parley-title';
  const who = el('p', 'who');
  heading.append(title, who);
  const closeButton = el('button', 'close');
  closeButton.type = 'button';
  closeButton.setAttribute('aria-label', words.close);
  closeButton.append(icon('M6 6l12 12M18 6L6 18'));
  header.append(heading, closeButton);
  const handover = el('p', 'handover', words.handover);
  handover.hidden = true;
  const log = el('div', 'log');
  log.setAttribute('role', 'log');
  log.setAttribute('aria-label', words.messages);
  log.tabIndex = 0;
  const greetingText = settings.open_now ? settings.greeting : (settings.away_message ?? settings.greeting);
  const greeting = el('p', 'msg greeting', greetingText ?? words.greeting);
  log.append(greeting);
  const typing = el('p', 'typing');
  const notice = el('p', 'notice');
  notice.setAttribute('role', 'status');
  notice.hidden = true;

  const identify = el('form', 'identify');
  const nameInput = el('input');
  const emailInput = el('input');
  identify.hidden = true;
  {
    const nameLabel = el('label', '', words.name);
    nameInput.id = 'parley-name';
    nameLabel.htmlFor = nameInput.id;
    nameInput.required = true;
    nameInput.autocomplete = 'name';
    nameInput.maxLength = 100;
    identify.append(nameLabel, nameInput);
    if (settings.ask_identity === 'name_and_email') {
      const emailLabel = el('label', '', words.email);
      emailInput.id = 'parley-email';
      emailLabel.htmlFor = emailInput.id;
      emailInput.type = 'email';
      emailInput.required = true;
      emailInput.autocomplete = 'email';
      identify.append(emailLabel, emailInput);
    }
    const start = el('button', 'start', words.start);
    start.type = 'submit';
    identify.append(start);
  }

  const composer = el('form', 'composer');
  const inputLabel = el('label', 'sr', words.message);
  const input = el('textarea');
  input.id = 'parley-input';
  inputLabel.htmlFor = input.id;
  input.rows = 1;
  input.maxLength = 2000;
  input.placeholder = words.placeholder;
  const send = el('button', 'send');
  send.type = 'submit';
  send.setAttribute('aria-label', words.send);
  send.append(icon('M4 12l16-8-6 16-3-7-7-1z'));
  composer.append(inputLabel, input, send);
  panel.append(header, handover, log, typing, notice, identify, composer);
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

  function render(): void {
    let previous: Element = greeting;
    let lastAuthor = '';
    for (const message of conversation.ordered()) {
      let node = shown.get(message.key);
      if (!node) {
        node = el('div');
        shown.set(message.key, node);
      }
      // Who wrote it shows above the first of a run of the AI's or the team's messages.
      const named = message.author !== lastAuthor && (message.author === 'ai' || message.author === 'agent');
      lastAuthor = message.author;
      const look = `${message.author}|${message.state}|${named}|${message.text}`;
      // Rewritten only when it changed: the log is a live region, and a rewrite is read out again.
      if (drawn.get(node) !== look) {
        drawn.set(node, look);
        node.className = `msg from-${message.author}${message.state === 'sent' ? '' : ` ${message.state}`}`;
        const author = authors[message.author];
        node.replaceChildren(named ? el('span', 'by', author) : el('span', 'sr', `${author}: `), message.text);
        const state = message.state === 'sending' ? words.sending : message.state === 'failed' ? words.notSent : '';
        if (state) node.append(el('span', 'state', state));
      }
      if (previous.nextElementSibling !== node) previous.after(node);
      previous = node;
    }
    for (const [key, node] of shown) {
      if (!conversation.has(key)) {
        node.remove();
        shown.delete(key);
      }
    }
    if (streaming) log.append(streaming);
    log.scrollTop = log.scrollHeight;
  }

  function setUnread(count: number): void {
    unread = count;
    host.setUnread(count);
  }

  function chime(): void {
    try {
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      const volume = audio.createGain();
      tone.frequency.value = 880;
      volume.gain.setValueAtTime(0.08, audio.currentTime);
      volume.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
      tone.connect(volume).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.25);
      tone.onended = () => void audio.close();
    } catch {
      // No audio (or not allowed yet): the badge says it.
    }
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
    if (!token) return;
    const after = conversation.lastSeq;
    try {
      const page = await call<MessagesPage>(api, after ? `messages/?after=${after}` : 'messages/', token);
      for (const message of page.messages) take(message, after > 0);
      handledBy = page.handled_by;
      showWho();
      render();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) forget();
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
    try {
      localStorage.removeItem(storageKey);
    } catch {
      // Storage blocked: there was nothing stored.
    }
    showWho();
  }

  async function startVisitor(details: { name?: string; email?: string }): Promise<boolean> {
    const body = { ...details, ...(identity ?? {}) };
    try {
      let made: { visitor_token: string };
      try {
        made = await call(api, 'visitors/', null, body);
      } catch (error) {
        // A signature the server refuses: carry on anonymously rather than not at all.
        if (!(error instanceof ApiError && error.code === 'identity_invalid')) throw error;
        made = await call(api, 'visitors/', null, {
          ...details,
          name: details.name ?? identity?.name,
          email: details.email ?? identity?.email,
        });
      }
      token = made.visitor_token;
      try {
        localStorage.setItem(storageKey, JSON.stringify({ visitor_token: token }));
      } catch {
        // Cookies and storage blocked: the conversation lasts as long as this page.
      }
      tabs?.postMessage({ type: 'visitor' });
      connect();
      return true;
    } catch (error) {
      say(error instanceof ApiError && error.status === 429 ? politeWait(error) : words.cannotStart);
      return false;
    }
  }

  async function sendMessage(text: string): Promise<void> {
    if (!token && !(await startVisitor({}))) {
      input.value = text;
      return;
    }
    const clientId = crypto.randomUUID();
    conversation.addPending(clientId, text);
    render();
    try {
      const { message } = await call<{ message: WidgetMessage }>(api, 'messages/', token, {
        client_id: clientId,
        text,
      });
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
    if (event.data.type === 'visitor' && !token) {
      token = readToken(storageKey);
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
  composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    typingSent = 0;
    live?.send({ type: 'typing', typing: false });
    void sendMessage(text);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  input.addEventListener('input', () => {
    const now = Date.now();
    if (input.value && now - typingSent > TYPING_REFRESH_MS) {
      typingSent = now;
      live?.send({ type: 'typing', typing: true });
    }
  });
  input.addEventListener('blur', () => {
    if (typingSent) live?.send({ type: 'typing', typing: false });
    typingSent = 0;
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
    },
  };
}
