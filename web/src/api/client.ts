/** The one way the UI talks to the server: the public HTTP API with the stored bearer token. */

export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** An error answer from the API, carrying its problem+json body. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.title);
  }
  get status() {
    return this.problem.status;
  }
}

const TOKEN_KEY = 'retenta.token';

export const tokenStore = {
  get: (): string | null => localStorage.getItem(TOKEN_KEY),
  set: (token: string) => localStorage.setItem(TOKEN_KEY, token),
  clear: () => localStorage.removeItem(TOKEN_KEY),
};

let onUnauthorized: () => void = () => undefined;
/** Called on every 401: the session is over, back to the login screen. */
export function setUnauthorizedHandler(fn: () => void) {
  onUnauthorized = fn;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** A raw body (a file upload) sent as is with its own content type. */
  raw?: Blob;
  token?: string;
  signal?: AbortSignal;
}

async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const token = opts.token ?? tokenStore.get();
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (opts.raw) {
    body = opts.raw;
    headers['content-type'] = opts.raw.type || 'application/octet-stream';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(withQuery(`/api/v1${path}`, opts.query), { method, headers, body, signal: opts.signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError({ type: 'network', title: 'Network error', status: 0, detail: 'The server could not be reached.' });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const p = (data && typeof data === 'object' ? data : {}) as Partial<Problem>;
    const problem: Problem = { type: p.type ?? 'about:blank', title: p.title ?? res.statusText, status: res.status, detail: p.detail ?? text, errors: p.errors };
    if (res.status === 401 && !opts.token) onUnauthorized();
    throw new ApiError(problem);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
  post: <T>(path: string, body?: unknown, query?: Query) => request<T>('POST', path, { body, query }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
  delete: <T = void>(path: string) => request<T>('DELETE', path),
  /** DELETE with a JSON body (remove members of a static segment). */
  deleteWith: <T>(path: string, body: unknown) => request<T>('DELETE', path, { body }),
  upload: <T>(path: string, file: Blob, query?: Query) => request<T>('POST', path, { raw: file, query }),
  /** A call with an explicit token (the login screen checks a pasted token before keeping it). */
  withToken: <T>(token: string, path: string) => request<T>('GET', path, { token }),
};

/**
 * A file the API streams (CSV export): fetched with the token, then handed to the browser as a download.
 * Returns the number of bytes saved.
 */
export async function download(path: string, query: Query | undefined, filename: string): Promise<number> {
  const token = tokenStore.get();
  const res = await fetch(withQuery(`/api/v1${path}`, query), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) {
    const p = (await res.json().catch(() => ({}))) as Partial<Problem>;
    if (res.status === 401) onUnauthorized();
    throw new ApiError({ type: p.type ?? 'about:blank', title: p.title ?? res.statusText, status: res.status, detail: p.detail ?? res.statusText, errors: p.errors });
  }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  return blob.size;
}
