// The loader (`/widget.js`): reads the snippet, draws the launcher in a Shadow DOM, and fetches the
// panel chunk only when the visitor opens it (or at once when they already have a conversation, so
// replies arrive while it is closed). Plain DOM: it must stay under 3 KB gzipped.
import { readVisitor, type Identity, type Panel, type PanelModule, type WidgetSettings } from './protocol.js';
import { accentColour, textOn } from './theme.js';

declare const __PARLEY_PANEL__: string;

declare global {
  interface Window {
    Parley?: { identify(identity: Identity): void; logout(): void; open(): void; close(): void };
  }
}

const SVG = 'http://www.w3.org/2000/svg';

function icon(className: string, d: string): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', className);
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  svg.append(path);
  return svg;
}

function launcherCss(settings: WidgetSettings): string {
  const accent = accentColour(settings.colour);
  const side = settings.position === 'left' ? 'left' : 'right';
  const z = Number.isInteger(settings.z_index) ? String(settings.z_index) : '2147483000';
  // !important on :host: the host page's own !important rules lose to ours only with it.
  return `:host{all:initial!important;position:fixed!important;bottom:20px!important;${side}:20px!important;z-index:${z}!important;display:block!important;visibility:visible!important;opacity:1!important;transform:none!important;--accent:${accent};--on-accent:${textOn(accent)};--side:${side};font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif!important;color:#111827!important}
*,*::before,*::after{box-sizing:border-box}
.launcher{all:unset;box-sizing:border-box;position:relative;display:flex;align-items:center;justify-content:center;width:56px;height:56px;border-radius:50%;background:var(--accent);color:var(--on-accent);cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.22);transition:transform .15s}
.launcher:hover{transform:scale(1.06)}
.launcher:focus-visible{outline:3px solid var(--accent);outline-offset:3px}
.launcher svg{width:26px;height:26px;fill:currentColor}
.launcher .shut{fill:none;stroke:currentColor;stroke-width:2.4;stroke-linecap:round}
[aria-expanded=true] .chat,[aria-expanded=false] .shut{display:none}
.badge{position:absolute;top:-4px;${side === 'left' ? 'right' : 'left'}:-4px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;background:#dc2626;color:#fff;font:600 12px/20px system-ui,sans-serif;text-align:center}
[hidden]{display:none!important}`;
}

async function start(script: HTMLScriptElement): Promise<void> {
  const publicId = script.dataset.parleyWidget ?? '';
  if (!/^wgt_[\w-]{20}$/.test(publicId)) return;
  const server = new URL(script.src).origin;
  const api = `${server}/api/v1/widget/${publicId}/`;
  const storageKey = `parley:${publicId}`;
  let identity: Identity | undefined;
  let panel: Panel | undefined;
  let loading: Promise<Panel | undefined> | undefined;
  let wantOpen = false;

  window.Parley = {
    identify(value) {
      identity = value;
      panel?.identify(value);
    },
    // The customer signed out: their conversation must not stay on a shared computer.
    logout() {
      identity = undefined;
      if (panel) return panel.logout();
      try {
        localStorage.removeItem(storageKey);
      } catch {
        // Storage blocked: nothing was stored.
      }
    },
    open: () => void show(),
    close: () => {
      wantOpen = false;
      panel?.close();
    },
  };

  const response = await fetch(`${api}settings/`, { credentials: 'omit' }).catch(() => undefined);
  // A widget this site may not use (origin not allowed, unknown id) shows nothing at all.
  if (!response?.ok) return;
  const settings = (await response.json()) as WidgetSettings;

  const host = document.createElement('parley-widget');
  const shadow = host.attachShadow({ mode: 'open' });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(launcherCss(settings));
  shadow.adoptedStyleSheets = [sheet];
  const label = settings.launcher_label ?? `Chat with ${settings.business_name}`;
  const launcher = document.createElement('button');
  launcher.className = 'launcher';
  launcher.type = 'button';
  launcher.setAttribute('aria-expanded', 'false');
  launcher.setAttribute('aria-haspopup', 'dialog');
  launcher.setAttribute('aria-label', label);
  launcher.title = label;
  const badge = document.createElement('span');
  badge.className = 'badge';
  badge.hidden = true;
  badge.setAttribute('aria-hidden', 'true');
  launcher.append(
    icon('chat', 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z'),
    icon('shut', 'M6 6l12 12M18 6L6 18'),
    badge,
  );
  shadow.append(launcher);
  document.body.append(host);

  function load(): Promise<Panel | undefined> {
    loading ??= import(/* @vite-ignore */ `${server}/widget/${__PARLEY_PANEL__}`).then(
      (module: PanelModule) => {
        panel = module.mount({
          shadow,
          launcher,
          settings,
          api,
          storageKey,
          identity,
          setExpanded: (expanded) => launcher.setAttribute('aria-expanded', String(expanded)),
          setUnread(count) {
            badge.hidden = count === 0;
            badge.textContent = count > 9 ? '9+' : String(count);
            launcher.setAttribute('aria-label', count ? `${label} (${count} unread)` : label);
          },
        });
        return panel;
      },
      () => {
        loading = undefined;
        return undefined;
      },
    );
    return loading;
  }

  async function show(): Promise<void> {
    wantOpen = true;
    const loaded = panel ?? (await load());
    // The visitor may have closed it again while the panel was on its way.
    if (wantOpen) loaded?.open();
  }

  launcher.addEventListener('click', () => {
    if (launcher.getAttribute('aria-expanded') === 'true') window.Parley?.close();
    else void show();
  });
  // A returning visitor: connect now, so an agent's reply shows on the badge while the panel is closed.
  if (readVisitor(storageKey)) void load();
}

const current = document.currentScript;
if (current instanceof HTMLScriptElement) void start(current);
