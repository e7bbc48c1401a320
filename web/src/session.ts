// Who is logged in: the session the server reports (POST/GET /api/v1/session), reduced to what
// the UI needs to choose pages. The server enforces roles on every request; the UI only hides
// what the role cannot use.
import { get, post, del, patch, setCsrfToken, request, ApiError } from "./api";

export type Role = "super" | "domain_admin" | "user";

export interface Session {
  username: string;
  role: Role;
  domains: string[];
  language: string | null;
  quotaWarningPercent: number;
}

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
  const warn = Number(localStorage.getItem("kurier.quotaWarn") ?? data.quota_warning_percent ?? who.quota_warning_percent ?? 80);
  return {
    username: String(who.username ?? who.name ?? who.address ?? ""),
    role: roleOf(who.role),
    domains: Array.isArray(who.domains) ? (who.domains as string[]) : [],
    language: typeof who.language === "string" && who.language ? who.language : null,
    quotaWarningPercent: warn > 0 && warn <= 100 ? warn : 80,
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

// An admin's preferences: kept in this browser at once, and on the server (so every browser of
// the admin gets them) where it offers PATCH /api/v1/me/preferences. True when the server kept them.
export async function savePreferences(prefs: { language?: string; quota_warning_percent?: number }): Promise<boolean> {
  if (prefs.language) localStorage.setItem("kurier.lang", prefs.language);
  if (prefs.quota_warning_percent) localStorage.setItem("kurier.quotaWarn", String(prefs.quota_warning_percent));
  if (current && prefs.language) current.language = prefs.language;
  if (current && prefs.quota_warning_percent) current.quotaWarningPercent = prefs.quota_warning_percent;
  try {
    await patch("me/preferences", prefs);
    return true;
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405 || e.status === 403)) return false;
    throw e;
  }
}

export { get, post };
