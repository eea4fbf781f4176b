/**
 * HTTP client of the API: bearer token from the session, one refresh attempt on 401 (shared by concurrent calls),
 * and "session expired" (back to the login page with a message) when the refresh fails too.
 */
const KEY = 'yiwang.session';

interface Session {
  access: string;
  refresh: string;
  /** Epoch ms when the access token expires. */
  expiresAt: number;
}

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

/** Status of an ApiError when the server could not be reached at all (network down, server stopped). */
export const UNREACHABLE = 0;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
  }
}

function load(): Session | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    return s && typeof s.access === 'string' ? s : null;
  } catch {
    return null;
  }
}

let session: Session | null = load();
let refreshing: Promise<boolean> | null = null;
const expiredListeners = new Set<() => void>();

export function hasSession(): boolean {
  return session !== null;
}

export function setSession(t: TokenResponse | null): void {
  session = t ? { access: t.access_token, refresh: t.refresh_token, expiresAt: Date.now() + t.expires_in * 1000 } : null;
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

/** Called when the session cannot be renewed (the app shows the login page with "session expired"). */
export function onSessionExpired(listener: () => void): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

async function refresh(): Promise<boolean> {
  const current = session;
  if (!current) return false;
  refreshing ??= (async () => {
    try {
      const res = await fetch('/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: current.refresh }),
      });
      if (!res.ok) return false;
      setSession((await res.json()) as TokenResponse);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

function expire(): void {
  setSession(null);
  for (const l of expiredListeners) l();
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Break-glass reason (紧急授权), sent percent-encoded in X-Break-Glass-Reason. */
  breakGlass?: string;
  signal?: AbortSignal;
  /** A file sent as the body as it is (its own content type), instead of a JSON body: e.g. an ECG tracing. */
  file?: Blob;
}

function messageOf(body: unknown, status: number): string {
  if (body && typeof body === 'object') {
    const b = body as { error_description?: string; error?: string; issue?: { details?: { text?: string }; diagnostics?: string }[] };
    const text = b.error_description ?? b.issue?.[0]?.details?.text ?? b.issue?.[0]?.diagnostics ?? b.error;
    if (text) return text;
  }
  return `HTTP ${status}`;
}

/** fetch, with "no answer at all" turned into ApiError(UNREACHABLE) (the app shows "无法连接服务器"). */
async function reach(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, init);
  } catch (e) {
    if (init.signal?.aborted) throw e;
    throw new ApiError(UNREACHABLE, undefined, 'server unreachable');
  }
}

/** A JSON request to the API; throws ApiError for every non-2xx answer. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  if (session && session.expiresAt - Date.now() < 10_000) await refresh();
  const send = () => {
    const headers: Record<string, string> = { accept: 'application/json, application/fhir+json' };
    if (session) headers.authorization = `Bearer ${session.access}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.file) headers['content-type'] = options.file.type || 'application/octet-stream';
    if (options.breakGlass) headers['x-break-glass-reason'] = encodeURIComponent(options.breakGlass);
    return reach(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.file ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
      signal: options.signal,
      // Never from or into the browser's HTTP cache: answers differ per user (masking, scope) under the same URL.
      cache: 'no-store',
    });
  };
  let res = await send();
  if (res.status === 401 && session) {
    if (await refresh()) res = await send();
    if (res.status === 401) expire();
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  if (!res.ok) throw new ApiError(res.status, body, messageOf(body, res.status));
  return body as T;
}

/**
 * A raw authenticated request (the caller reads the answer, headers and body): a GET for the Server-Sent Events stream,
 * which needs the bearer token in a header (EventSource cannot send one), and for files such as a PDF; a POST of a
 * body with its own content type (`upload`), e.g. a DICOM STOW-RS multipart. 401 → one refresh, then "expired".
 */
export async function authorizedFetch(
  path: string,
  signal?: AbortSignal,
  accept = '*/*',
  upload?: { body: Blob; contentType: string },
): Promise<Response> {
  if (session && session.expiresAt - Date.now() < 10_000) await refresh();
  const send = () =>
    reach(path, {
      method: upload ? 'POST' : 'GET',
      headers: {
        accept,
        ...(upload ? { 'content-type': upload.contentType } : {}),
        ...(session ? { authorization: `Bearer ${session.access}` } : {}),
      },
      body: upload?.body,
      signal,
      cache: 'no-store',
    });
  let res = await send();
  if (res.status === 401 && session) {
    if (await refresh()) res = await send();
    if (res.status === 401) expire();
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, body, messageOf(body, res.status));
  }
  return res;
}

export async function login(username: string, password: string, totp?: string): Promise<void> {
  const res = await reach('/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, ...(totp ? { totp } : {}) }),
  });
  const body = (await res.json().catch(() => ({}))) as TokenResponse & { error?: string; error_description?: string };
  if (!res.ok) throw new ApiError(res.status, body, body.error ?? `HTTP ${res.status}`);
  setSession(body);
}

export async function logout(): Promise<void> {
  const s = session;
  setSession(null);
  if (!s) return;
  await fetch('/auth/logout', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.access}` },
    body: JSON.stringify({ refresh_token: s.refresh }),
  }).catch(() => undefined);
}
