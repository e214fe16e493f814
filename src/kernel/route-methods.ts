import type { FastifyInstance } from 'fastify';

/** The order methods are listed in an `Allow` header. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

interface RoutePath {
  pattern: RegExp;
  methods: Set<string>;
}

/**
 * Which methods each path has, for a 405's `Allow`: Fastify's router answers
 * only "no route for this method and path". Call before any route is added.
 * Catch-all routes (`/api/docs/*`) are left out, so a path under them is
 * still unknown rather than "GET only".
 */
export function trackRouteMethods(app: FastifyInstance): (path: string) => string[] {
  const paths = new Map<string, RoutePath>();
  app.addHook('onRoute', (route) => {
    if (route.url.includes('*')) return;
    const key = withoutTrailingSlash(route.url);
    let entry = paths.get(key);
    if (!entry) {
      entry = { pattern: patternOf(key), methods: new Set() };
      paths.set(key, entry);
    }
    for (const method of [route.method].flat()) entry.methods.add(method);
  });

  return (path) => {
    const wanted = withoutTrailingSlash(path);
    const methods = new Set<string>();
    for (const entry of paths.values()) {
      if (entry.pattern.test(wanted)) for (const method of entry.methods) methods.add(method);
    }
    // Fastify answers HEAD wherever there is a GET.
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort((a, b) => rank(a) - rank(b));
  };
}

function rank(method: string): number {
  const index = METHOD_ORDER.indexOf(method);
  return index === -1 ? METHOD_ORDER.length : index;
}

/** The router ignores a trailing slash (`ignoreTrailingSlash`), so paths are compared without one. */
function withoutTrailingSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** `/a/:id/b` → `^/a/[^/]+/b$`: a parameter is one whole path segment here. */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}
