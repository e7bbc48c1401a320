// Pieces every page uses: the page heading, tables with captions, cursor paging, quota bars,
// status and error lines, confirm buttons and links that the router handles.
import { h, clear } from "./dom";
import { ApiError, type Page } from "./api";
import { t, formatBytes, currentLang, type Key } from "./i18n";

export function link(href: string, ...children: (Node | string)[]): HTMLAnchorElement {
  return h("a", { href, "data-route": true }, ...children);
}

export function heading(title: string, ...actions: Node[]): HTMLElement {
  return h("div", { class: "page-head" }, h("h1", { tabindex: -1 }, title), actions.length ? h("div", { class: "page-actions" }, ...actions) : null);
}

export function section(title: string, ...content: (Node | null)[]): HTMLElement {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), ...content);
}

export interface Column<T> { label: Key; cell: (row: T) => Node | string; className?: string }

export function table<T>(caption: string, columns: Column<T>[], rows: T[], empty: Key = "common.empty"): HTMLElement {
  if (!rows.length) return h("p", { class: "empty" }, t(empty));
  return scrollable(caption, h("div", { class: "table-wrap" },
    h("table", {},
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.className ?? null }, t(c.label))))),
      h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => h("td", { class: c.className ?? null, "data-label": t(c.label) }, c.cell(r)))))))));
}

// A box that scrolls sideways when its content is too wide (a table on a phone) must be reachable
// by keyboard to be scrolled (WCAG 2.1.1): exactly while it overflows it is a named region with
// a tab stop.
export function scrollable<T extends HTMLElement>(label: string, box: T): T {
  new ResizeObserver(() => {
    if (box.scrollWidth > box.clientWidth + 1) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", label);
    } else {
      for (const a of ["tabindex", "role", "aria-label"]) box.removeAttribute(a);
    }
  }).observe(box);
  return box;
}

// A list paged by cursor: keeps the cursors of the pages seen so "previous" works without
// offsets (the server pages by cursor only, so it stays fast with many thousand rows).
export function pagedList<T>(load: (after: string | undefined) => Promise<Page<T>>, render: (items: T[]) => Node): HTMLElement {
  const body = h("div", { class: "paged", "aria-live": "polite" });
  const prev = h("button", { type: "button" }, t("paging.previous"));
  const next = h("button", { type: "button" }, t("paging.next"));
  const where = h("span", { class: "paging-where" });
  const cursors: (string | undefined)[] = [undefined];
  let index = 0;
  let nextCursor: string | null = null;

  async function show(i: number): Promise<void> {
    body.setAttribute("aria-busy", "true");
    try {
      const page = await load(cursors[i]);
      index = i;
      nextCursor = page.next;
      if (nextCursor) cursors[i + 1] = nextCursor;
      clear(body);
      body.appendChild(render(page.items));
    } catch (e) {
      clear(body);
      body.appendChild(errorLine(e));
    } finally {
      body.removeAttribute("aria-busy");
      prev.disabled = index === 0;
      next.disabled = !nextCursor;
      where.textContent = t("paging.page", { n: index + 1 });
    }
  }
  prev.addEventListener("click", () => void show(index - 1));
  next.addEventListener("click", () => void show(index + 1));
  void show(0);
  return h("div", {}, body, h("nav", { class: "pager", "aria-label": t("paging.label") }, prev, where, next));
}

export function quotaBar(used: number | null | undefined, limit: number | null | undefined, warnPercent: number): HTMLElement {
  const u = used ?? 0;
  if (!limit) return h("span", { class: "quota" }, t("quota.unlimited_used", { used: formatBytes(u) }));
  const pct = Math.min(100, Math.round((u / limit) * 100));
  const level = pct >= 100 ? "full" : pct >= warnPercent ? "warn" : "ok";
  const bar = h("span", { class: "bar", "aria-hidden": "true" }, h("span", { class: `fill pct-${Math.round(pct / 5) * 5}` }));
  return h("span", { class: `quota quota-${level}` }, bar,
    h("span", { class: "quota-text" }, t("quota.used_of", { used: formatBytes(u), limit: formatBytes(limit), pct }),
      level !== "ok" ? h("span", { class: "quota-flag" }, ` (${t(level === "full" ? "quota.full" : "quota.warning")})`) : null));
}

export function errorLine(e: unknown): HTMLElement {
  return h("p", { class: "error-line", role: "alert" }, e instanceof ApiError ? problemText(e) : t("form.network_error"));
}

// The server's problem details are English. In another language the stable `code` says what
// happened in the reader's words, and the detail follows for the specifics.
const CODES: Record<string, Key> = {
  invalid_input: "problem.invalid_input", not_found: "problem.not_found", conflict: "problem.conflict",
  forbidden: "problem.forbidden", limit_exceeded: "problem.limit_exceeded", unavailable: "problem.unavailable",
  unauthenticated: "problem.unauthenticated", csrf_token_invalid: "problem.unauthenticated",
  totp_invalid: "problem.totp_invalid", account_disabled: "problem.account_disabled", invalid_sieve: "problem.invalid_sieve",
};

export function problemText(e: ApiError): string {
  const key = CODES[e.code];
  if (currentLang() === "en" || !key) return e.message;
  return `${t(key)} (${e.message})`;
}

export function loading(): HTMLElement {
  return h("p", { class: "loading", role: "status" }, t("common.loading"));
}

// A button that asks before it acts (deleting things): the second click within the confirm
// state does it; Escape or leaving cancels.
export function confirmButton(label: string, confirmLabel: string, action: () => Promise<void>): HTMLButtonElement {
  const b = h("button", { type: "button", class: "danger" }, label);
  let armed = false;
  const reset = () => { armed = false; b.textContent = label; };
  b.addEventListener("click", async () => {
    if (!armed) { armed = true; b.textContent = confirmLabel; return; }
    // The row with the button usually goes away: keyboard focus then moves to the heading of
    // its section (or the page) instead of falling back to the top of the document.
    const landing = (b.closest("section")?.querySelector("h2") ?? document.querySelector("main h1")) as HTMLElement | null;
    b.disabled = true;
    try { await action(); } catch (e) { b.after(errorLine(e)); } finally { b.disabled = false; reset(); }
    if (!b.isConnected && landing?.isConnected) {
      landing.setAttribute("tabindex", "-1");
      landing.focus();
    }
  });
  b.addEventListener("blur", reset);
  b.addEventListener("keydown", (e) => { if (e.key === "Escape") reset(); });
  return b;
}

export function badge(text: string, kind: "ok" | "warn" | "bad" | "info" = "info"): HTMLElement {
  return h("span", { class: `badge badge-${kind}` }, text);
}

export function dl(pairs: [Key, Node | string][]): HTMLElement {
  return h("dl", { class: "facts" }, pairs.map(([k, v]) => [h("dt", {}, t(k)), h("dd", {}, v)]));
}

// Quotas are entered in MB in the forms and travel in bytes.
export const MB = 1024 * 1024;
export function mbToBytes(v: number | undefined): number | undefined {
  return v === undefined || isNaN(v) ? undefined : Math.round(v * MB);
}
export function bytesToMb(v: number | null | undefined): string {
  return v ? String(Math.round((v / MB) * 100) / 100) : "";
}
