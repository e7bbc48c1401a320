// Who is logged in: the session the server reports (POST/GET /api/v1/session), reduced to what
// the UI needs to choose pages. The server enforces roles on every request; the UI only hides
// what the role cannot use.
import { get, post, del, put, setCsrfToken, request } from "./api";

export type Role = "super" | "domain_admin" | "user";

export interface Session {
  username: string;
  role: Role;
  domains: string[];
  language: string | null;
  quotaWarningPercent: number;
  pageSize: number;
  preferences: Preferences;
}

// What the server keeps for each login (GET/PUT /api/v1/me/preferences): every browser of the
// login gets the same, and nothing is kept in the browser itself.
export interface Preferences {
  language?: string;
  page_size?: number;
  quota_warning_percent?: number;
}

const DEFAULT_PAGE_SIZE = 50;

let current: Session | null = null;
export const session = (): Session | null => current;

export function isAdmin(s: Session | null): boolean {
  return !!s && s.role !== "user";
}

function roleOf(raw: unknown): Role {
  const r = String(raw ?? "").toLowerCase();
  if (r.includes("super")) return "super";
  if (r.includes("domain")) return "domain_admin";
  return "user";
}

function fromServer(data: Record<string, unknown>): Session {
  const who = (data.user ?? data) as Record<string, unknown>;
  const token = data.csrf_token ?? data.csrf;
  if (typeof token === "string") setCsrfToken(token);
  const prefs = (typeof who.preferences === "object" && who.preferences ? who.preferences : {}) as Preferences;
  return withPreferences({
    username: String(who.username ?? who.name ?? who.address ?? ""),
    role: roleOf(who.role),
    domains: Array.isArray(who.domains) ? (who.domains as string[]) : [],
    language: null,
    quotaWarningPercent: Number(who.quota_warning_percent ?? 80),
    pageSize: DEFAULT_PAGE_SIZE,
    preferences: {},
  }, prefs);
}

// The session with the login's preferences applied (the server's default where one is unset).
function withPreferences(s: Session, prefs: Preferences): Session {
  const warn = Number(prefs.quota_warning_percent ?? s.quotaWarningPercent);
  const size = Number(prefs.page_size ?? DEFAULT_PAGE_SIZE);
  return {
    ...s,
    preferences: prefs,
    language: prefs.language ?? null,
    quotaWarningPercent: warn > 0 && warn <= 100 ? warn : 80,
    pageSize: size >= 10 && size <= 200 ? size : DEFAULT_PAGE_SIZE,
  };
}

// Restores the session after a page load (the cookie survives, the CSRF token is asked again).
export async function restore(): Promise<Session | null> {
  try {
    current = fromServer(await request<Record<string, unknown>>("GET", "session", undefined, { quiet401: true }));
  } catch {
    current = null;
  }
  return current;
}

export type LoginResult = { ok: true; session: Session } | { ok: false; totpRequired: true };

// POST /api/v1/session {"username","password"} (+ "totp" on the second step when the account
// has a second factor: the server then answers 401 with code "totp_required").
export async function login(username: string, password: string, totp?: string): Promise<LoginResult> {
  const body: Record<string, string> = { username, password };
  if (totp) body.totp = totp;
  try {
    const data = await request<Record<string, unknown>>("POST", "session", body, { quiet401: true });
    if (data && data.totp_required) return { ok: false, totpRequired: true };
    current = fromServer(data);
    return { ok: true, session: current };
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    if (!totp && code.includes("totp")) return { ok: false, totpRequired: true };
    throw e;
  }
}

export async function logout(): Promise<void> {
  try { await del("session"); } finally { current = null; setCsrfToken(""); }
}

// Changes some of the login's preferences: the server keeps the whole set (PUT replaces it), so
// the fields not named here are sent as they are. Throws the server's validation errors.
export async function savePreferences(changes: Preferences): Promise<void> {
  if (!current) return;
  const stored = await put<Preferences>("me/preferences", { ...current.preferences, ...changes });
  current = withPreferences(current, stored ?? {});
}

export { get, post };
