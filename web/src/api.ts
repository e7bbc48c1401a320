// The JSON API client: every call goes to /api/v1/ (docs/openapi.json describes it). Writes carry
// the session's CSRF token in X-CSRF-Token (CONTRACT "Web and API"); errors arrive as RFC 9457
// application/problem+json and become ApiError, whose field errors the forms show inline.

export interface FieldError { field: string; message: string }

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly fields: FieldError[] = []) {
    super(message);
  }
}

export interface Page<T> { items: T[]; next: string | null }

let csrfToken = "";
export function setCsrfToken(token: string): void { csrfToken = token; }

// Called when the server answers 401 to a request made inside the app (session expired).
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(f: () => void): void { onUnauthorized = f; }

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export async function request<T>(method: Method, path: string, body?: unknown, opts: { quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json, application/problem+json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const res = await fetch("/api/v1/" + path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const data = await readJson(res);
  if (!res.ok) {
    const err = toApiError(res.status, data);
    if (res.status === 401 && !opts.quiet401) onUnauthorized();
    throw err;
  }
  return data as T;
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch { return { detail: text }; }
}

// problem+json field errors come in a few spellings: `errors: [{pointer|field|name, detail|message}]`
// (RFC 9457 section 3's example extension) or `invalid-params: [{name, reason}]`.
export function toApiError(status: number, data: unknown): ApiError {
  const p = (data && typeof data === "object" ? data : {}) as Record<string, unknown>;
  const message = str(p.detail) || str(p.title) || `HTTP ${status}`;
  const list = (Array.isArray(p.errors) ? p.errors : Array.isArray(p["invalid-params"]) ? p["invalid-params"] : []) as Record<string, unknown>[];
  const fields = list.map((e) => ({
    field: (str(e.field) || str(e.name) || str(e.pointer)).replace(/^#?\//, "").replace(/\//g, "."),
    message: str(e.detail) || str(e.message) || str(e.reason),
  }));
  return new ApiError(status, str(p.code) || "", message, fields);
}

function str(v: unknown): string { return typeof v === "string" ? v : ""; }

export const get = <T>(path: string) => request<T>("GET", path);
export const post = <T>(path: string, body?: unknown) => request<T>("POST", path, body ?? {});
export const put = <T>(path: string, body: unknown) => request<T>("PUT", path, body);
export const patch = <T>(path: string, body: unknown) => request<T>("PATCH", path, body);
export const del = <T>(path: string) => request<T>("DELETE", path);

// Lists are paged by cursor (?limit=&after=) and searchable (?q=). The item array is `items`.
export async function list<T>(path: string, params: Record<string, string | number | undefined>): Promise<Page<T>> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") qs.set(k, String(v));
  const data = await get<Record<string, unknown> | T[]>(qs.toString() ? `${path}?${qs}` : path);
  if (Array.isArray(data)) return { items: data, next: null };
  const items = (data.items ?? data.data ?? []) as T[];
  const next = (data.next ?? data.next_cursor ?? null) as string | null;
  return { items, next: next || null };
}

export const enc = encodeURIComponent;
