// The panel's dialog as drawn once, before anything is in it, and the chime a reply plays: the DOM side
// of the panel chunk, apart from the conversation's logic (panel.ts).
import type { WidgetSettings } from './wire.js';
import type { ShownMessage } from './messages.js';
import type { Words } from './words.js';

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

export function icon(path: string): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  line.setAttribute('d', path);
  svg.append(line);
  return svg;
}

/** The dialog's parts the panel fills and listens to. */
export function drawPanel(settings: WidgetSettings, words: Words) {
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
  return {
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
  };
}

/** A short tone for a reply that came while the visitor was not looking. */
export function chime(): void {
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

/**
 * Draws the conversation into the log after the greeting, touching only what changed (the log is a
 * live region: a rewritten message is read out again); the AI's answer being written goes last.
 */
export function messageList(log: HTMLElement, greeting: HTMLElement, words: Words) {
  const authors: Record<ShownMessage['author'], string> = {
    visitor: words.you,
    ai: words.assistant,
    agent: words.team,
    system: words.notice,
  };
  const shown = new Map<string, HTMLElement>();
  const drawn = new WeakMap<HTMLElement, string>();
  return (messages: ShownMessage[], streaming: HTMLElement | undefined): void => {
    const keys = new Set(messages.map((message) => message.key));
    let previous: Element = greeting;
    let lastAuthor = '';
    for (const message of messages) {
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
      if (!keys.has(key)) {
        node.remove();
        shown.delete(key);
      }
    }
    if (streaming) log.append(streaming);
    log.scrollTop = log.scrollHeight;
  };
}
