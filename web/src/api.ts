import { goToSignIn } from './router.js';

// Every request the dashboard makes: the session cookie goes along by itself; unsafe methods
// carry the CSRF token; a 401 sends the browser to sign in and back.
let csrfToken: string | null = null;
const unauthorizedListeners = new Set<() => void>();

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the session has ended (401): the app forgets who was signed in. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function sessionEnded(): void {
  csrfToken = null;
  for (const listener of unauthorizedListeners) listener();
  goToSignIn();
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly errors?: Record<string, string[]>,
  ) {
    super(detail);
  }
}

const SAFE = new Set(['GET', 'HEAD']);

export interface RequestOptions {
  /** A 401 is an answer to show (sign-in), not an ended session. */
  expectUnauthorized?: boolean;
}

export async function api<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (!SAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network_error', 'Parley could not be reached. Check your connection and try again.');
  }
  if (response.status === 204) return undefined as T;
  const payload = (await response.json().catch(() => null)) as {
    detail?: string;
    code?: string;
    errors?: Record<string, string[]>;
  } | null;
  if (response.ok) return payload as T;
  if (response.status === 401 && !options.expectUnauthorized) sessionEnded();
  throw new ApiError(
    response.status,
    payload?.code ?? 'error',
    payload?.detail ?? `The server answered ${response.status}.`,
    payload?.errors,
  );
}

export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
