import { createServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import type { Page } from 'playwright-core';
import { GeminiFake } from '../fakes/gemini.js';
import { parleyEnvironment, parleyOutput, startParley } from '../helpers/processes.js';

/**
 * The website widget as a visitor meets it: `parley serve` with the Gemini fake, a business with a
 * website channel, and the business's own site (a host page with the snippet) served from another
 * origin. `?csp` serves the page under a strict Content-Security-Policy, `?hostile` with a stylesheet
 * that restyles everything it can reach; `?user_id=…&user_hash=…[&name=…]` is a page of a signed-in
 * customer, which calls `Parley.identify` with them as it loads.
 */
export async function startWidgetSite(name: string, env: Record<string, string> = {}) {
  const gemini = await GeminiFake.start({ apiKey: 'widget-key' });
  const environment = await parleyEnvironment(`widget-${name}`, {
    GEMINI_API_KEY: 'widget-key',
    GEMINI_BASE_URL: gemini.url,
    GEMINI_RETRIES: '0',
    ...env,
  });
  const server = await startParley(environment.env);
  // Pages reach Parley through a proxy the test can cut, as a network drop would.
  const line = await proxy(server.url);
  let publicId = '';
  const site = await hostPage(() => ({ parley: line.url, publicId }));
  const other = await hostPage(() => ({ parley: line.url, publicId }));
  const close = async () => {
    await Promise.all([closeServer(site.server), closeServer(other.server), closeServer(line.server)]);
    await server.stop('SIGKILL');
    await gemini.close();
    await environment.cleanup();
  };
  try {
    const parley = (args: string[]) => parleyOutput(args, environment.env);
    await parley(['createuser', 'BakeryRossi', '--password', 'bakery-rossi-1962']);
    const token = await parley(['token', 'create', 'BakeryRossi']);
    await parley(['ai_control', 'enable', '--user', 'BakeryRossi']);
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as T;
    };
    const channel = await api<{ id: string; widget: { public_id: string }; widget_secret: string }>(
      'POST',
      '/api/v1/channels/',
      {
        type: 'website',
        allowed_origins: [site.origin],
        greeting: 'Ciao! Ask us about orders, opening hours or delivery.',
        colour: '#b45309',
        launcher_label: 'Chat with Bakery Rossi',
      },
    );
    publicId = channel.widget.public_id;
    return {
      gemini,
      parleyUrl: server.url,
      publicId,
      channelId: channel.id,
      /** What the business's server signs its customers' ids with (`user_hash`). */
      widgetSecret: channel.widget_secret,
      /** The business's site, whose origin the channel allows. */
      site: site.origin,
      /** Another site that pasted the same snippet. */
      otherSite: other.origin,
      api,
      /** Cuts every open connection between the pages and Parley (sockets included); new ones get through. */
      dropConnections: line.drop,
      /** An agent's reply to the website conversation, from the dashboard's API. */
      async agentReplies(text: string) {
        const list = await api<{ results: { id: string }[] }>('GET', '/api/v1/conversations/?channel=website');
        const conversation = list.results[0];
        if (!conversation) throw new Error('No website conversation');
        await api('POST', `/api/v1/conversations/${conversation.id}/messages/`, { text });
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

// Everything a site's CSS can aim at the widget. (Opacity or a transform on <body> itself would hide or
// move the whole page, the widget with it: no widget can prevent that, so it is aimed at elements.)
const HOSTILE_CSS = `* { all: revert !important; display: block !important; font: 40px/1 "Comic Sans MS", cursive !important;
  color: lime !important; background: magenta !important; position: static !important; z-index: -1 !important;
  visibility: visible !important; box-sizing: content-box !important; line-height: 3 !important; }
div, p, button, textarea, parley-widget { opacity: 0.2 !important; transform: scale(0.5) !important; }
button, textarea, [role] { display: none !important; } parley-widget { display: none !important; }`;

// What a site with signed-in customers adds (its server would write the values in; here they come from the URL).
const SIGNED_IN = `<script>addEventListener('load', () => {
  const q = new URLSearchParams(location.search);
  window.Parley.identify({ user_id: q.get('user_id'), user_hash: q.get('user_hash'), name: q.get('name') ?? undefined });
});</script>`;

async function hostPage(widget: () => { parley: string; publicId: string }) {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://host');
    if (url.pathname === '/hostile.css') {
      response.writeHead(200, { 'content-type': 'text/css' });
      return response.end(HOSTILE_CSS);
    }
    const { parley, publicId } = widget();
    const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8' };
    if (url.searchParams.has('csp')) {
      // What a careful site sends: scripts only from itself and Parley, no inline anything.
      const socket = parley.replace(/^http/, 'ws');
      headers['content-security-policy'] =
        `default-src 'none'; script-src 'self' ${parley}; connect-src ${parley} ${socket}; style-src 'self'; img-src 'self'`;
    }
    response.writeHead(200, headers);
    response.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bakery Rossi</title>${url.searchParams.has('hostile') ? '<link rel="stylesheet" href="/hostile.css">' : ''}</head>
<body><main><h1>Bakery Rossi</h1><p>Fresh bread every morning since 1962.</p><a href="#order">Order online</a></main>
<script async src="${parley}/widget.js" data-parley-widget="${publicId}"></script>${url.searchParams.has('user_id') ? SIGNED_IN : ''}</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function proxy(target: string) {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  const server = createTcpServer((page) => {
    const upstream = connect(Number(port), hostname);
    for (const [from, to] of [
      [page, upstream],
      [upstream, page],
    ] as const) {
      open.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        open.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    drop: () => open.forEach((socket) => socket.destroy()),
  };
}

function closeServer(server: Server | ReturnType<typeof createTcpServer>): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The widget's shadow root, read in the page (a string: the test's tsconfig has no DOM types). */
export function inWidget<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(
    `(() => { const root = document.querySelector('parley-widget')?.shadowRoot; return ${expression}; })()`,
  );
}

/** The label of what has the keyboard focus inside the widget. */
export const focusedInWidget = (page: Page) =>
  inWidget<string>(
    page,
    `(() => { const element = root?.activeElement; if (!element) return ''; return element.getAttribute('aria-label') ?? element.labels?.[0]?.textContent ?? element.textContent ?? ''; })()`,
  );
