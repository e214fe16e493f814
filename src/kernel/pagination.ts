import type { FastifyRequest } from 'fastify';
import { z } from 'zod';

/**
 * Past this a client is walking the whole table: each page costs the
 * database every row before it, so a search or filter must narrow it first.
 */
export const MAX_PAGE = 10_000;

/** `?page=&page_size=` → `{count, next, previous, results}` (contract §4). */
export const pageQuery = {
  page: z
    .number()
    .min(1, 'Pages start at 1.')
    // Aborting here spares a huge page zod's own "expected a safe integer" beside it.
    .max(MAX_PAGE, { error: `At most page ${MAX_PAGE}; narrow the search instead.`, abort: true })
    .int()
    .default(1),
  page_size: z.number().int().min(1).max(100, 'At most 100 items a page.').default(20),
};

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    count: z.number().int(),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    results: z.array(item),
  });
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** Builds the page with absolute links to its neighbours, keeping the other query parameters. */
export function paginate<T>(
  request: FastifyRequest,
  publicUrl: string,
  page: number,
  pageSize: number,
  count: number,
  results: T[],
): Page<T> {
  const link = (target: number) => {
    const url = new URL(request.url, publicUrl);
    url.searchParams.set('page', String(target));
    url.searchParams.set('page_size', String(pageSize));
    return `${publicUrl}${url.pathname}${url.search}`;
  };
  return {
    count,
    next: page * pageSize < count ? link(page + 1) : null,
    previous: page > 1 ? link(Math.min(page - 1, Math.max(1, Math.ceil(count / pageSize)))) : null,
    results,
  };
}
