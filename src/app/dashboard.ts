import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where the build puts the dashboard: dist/web, from src/app and from the bundle in dist/server alike. */
export const DASHBOARD_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/web');

/**
 * The dashboard's own pages (web/src/app.tsx and web/src/screens.ts route them).
 * Any other path is the API's 404, so a scanner's `/wp-admin/…` is not answered with a page.
 */
const DASHBOARD_PAGE =
  /^\/(?:sign-in|c\/[\w-]+|start|ai(?:\/(?:prompts|try))?|hours|channels|usage|admin(?:\/[\w-]+)?|account)?\/?$/;
/** Vite's output, named by content hash: cached for a year, never revalidated. */
const ASSETS = '/assets/';
const IMMUTABLE = 'public, max-age=31536000, immutable';
const HOST = /^[\w.-]+(?::\d+)?$|^\[[\da-f:.]+\](?::\d+)?$/i;

export interface DashboardOptions {
  /** The built dashboard; dist/web by default. */
  root?: string;
}

/**
 * The web dashboard at `/`: built files from dist/web, and index.html for the app's page paths
 * (the app routes in the browser). Every other path keeps the API's 404 and 405 answers.
 */
export async function installDashboard(app: FastifyInstance, options: DashboardOptions = {}): Promise<void> {
  const root = options.root ?? DASHBOARD_ROOT;
  const index = path.join(root, 'index.html');
  const built = existsSync(index);
  if (built) {
    await app.register(fastifyStatic, {
      root,
      prefix: '/',
      // One route per built file, listed at start: a missing file is a plain 404.
      wildcard: false,
      index: false,
      decorateReply: false,
      cacheControl: false,
      setHeaders: (reply, file) => {
        const relative = `/${path.relative(root, file).split(path.sep).join('/')}`;
        reply.header('cache-control', relative.startsWith(ASSETS) ? IMMUTABLE : 'no-cache');
        if (relative.endsWith('.html')) reply.header('content-security-policy', policy(undefined));
      },
    });
  }

  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.url.split('?')[0] ?? '/';
    if (!DASHBOARD_PAGE.test(url)) return reply.callNotFound();
    reply
      .header('content-security-policy', policy(request.headers.host))
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8');
    if (!built) return reply.code(503).send(NOT_BUILT);
    return reply.send(await readFile(index));
  };
  app.get('/', { schema: { hide: true } }, page);
  app.get('/*', { schema: { hide: true } }, page);
}

/**
 * Scripts, styles and connections from this server only; no inline script. WebSockets to the
 * same host are listed too, as browsers before CSP 3 do not count them as 'self'.
 */
function policy(host: string | undefined): string {
  const sockets = host && HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    `connect-src 'self'${sockets}`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parley</title></head>
<body>
<h1>The dashboard is not built yet</h1>
<p>Parley's API runs, but its web dashboard has not been built on this machine.
Run <code>npm ci</code> and then <code>npm run build</code> (or <code>npm start</code>, which builds it), then reload.</p>
<p>The API is at <a href="/api/docs">/api/docs</a>.</p>
</body></html>
`;
