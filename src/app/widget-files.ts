import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where the build puts the website widget (scripts/build.js): dist/widget, from src/app and from the bundle in dist/server alike. */
export const WIDGET_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/widget');

/** The loader's address is in every snippet, so it cannot change: sites pick up a new one within minutes. */
const LOADER = 'public, max-age=300';
/** The panel and the rest are named by content hash: cached for a year, never revalidated. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The widget's built files for other sites' pages: `/widget.js` (the loader) and `/widget/*`.
 * They hold nothing private, so any page may load them, as a script or a module.
 * Without a build (dist/widget missing) both are plain 404s.
 */
export async function installWidgetFiles(app: FastifyInstance, root = WIDGET_ROOT): Promise<void> {
  if (!existsSync(root)) return;
  const headers = (reply: FastifyReply, cache: string) =>
    reply
      .header('cache-control', cache)
      .header('access-control-allow-origin', '*')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('x-content-type-options', 'nosniff');
  await app.register(fastifyStatic, {
    root,
    prefix: '/widget/',
    // One route per built file, listed at start: a missing file is a plain 404.
    wildcard: false,
    index: false,
    decorateReply: false,
    cacheControl: false,
    setHeaders: (reply) => {
      headers(reply, IMMUTABLE);
    },
  });
  const loader = path.join(root, 'widget.js');
  if (!existsSync(loader)) return;
  app.get('/widget.js', { schema: { hide: true } }, async (_request, reply) =>
    headers(reply, LOADER)
      .type('text/javascript; charset=utf-8')
      .send(await readFile(loader)),
  );
}
