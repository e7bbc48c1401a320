// The audit log: who changed what (before → after, secrets already redacted by the server),
// when and from where. Super-admins see all of it, domain admins their domains'. Paged by cursor.
import { h } from "../dom";
import { list } from "../api";
import { t, formatDate } from "../i18n";
import { heading, table, pagedList, badge } from "../components";
import type { PageContext } from "../main";

interface AuditEntry {
  id?: number | string; time?: number | string; at?: number | string; actor?: string; ip?: string;
  action?: string; target?: string; object?: string; domain?: string; before?: unknown; after?: unknown;
}

type Json = Record<string, unknown> | null;
const text = (v: unknown): string => (v === null || v === undefined ? "—" : typeof v === "string" ? v : JSON.stringify(v));
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);

// What a change did, field by field: created (the new values), removed, or only the fields whose
// value changed as "before → after". Secrets never reach here (the server removed them).
function change(before: unknown, after: unknown): HTMLElement {
  const b = (isObject(before) ? before : null) as Json;
  const a = (isObject(after) ? after : null) as Json;
  const line = (k: string, v: Node | string) => h("li", {}, h("span", { class: "field-name" }, `${k}: `), v);
  const arrow = (x: unknown, y: unknown) => [text(x), h("span", { "aria-hidden": "true" }, " → "), h("span", { class: "visually-hidden" }, ` ${t("audit.becomes")} `), text(y)];
  if (!b && a) return h("ul", { class: "plain change" }, h("li", {}, badge(t("audit.created"), "ok")), Object.entries(a).map(([k, v]) => line(k, text(v))));
  if (b && !a) return h("ul", { class: "plain change" }, h("li", {}, badge(t("audit.removed"), "bad")));
  if (!b || !a) return h("span", {}, "—");
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]));
  if (!keys.length) return h("span", {}, t("audit.no_change"));
  return h("ul", { class: "plain change" }, keys.map((k) => line(k, h("span", {}, ...arrow(b[k], a[k])))));
}

export async function auditPage({ main, session }: PageContext): Promise<void> {
  main.append(heading(t("nav.audit"),
    h("a", { href: "/api/v1/audit/export", download: "audit.jsonl", class: "button" }, t("audit.export"))));
  main.append(pagedList<AuditEntry>((after) => list<AuditEntry>("audit", { limit: session.pageSize, after }), (items) =>
    table(t("nav.audit"), [
      { label: "audit.when", cell: (e) => formatDate(e.time ?? e.at) },
      { label: "audit.who", cell: (e) => `${e.actor ?? "—"}${e.ip ? ` (${e.ip})` : ""}` },
      { label: "audit.action", cell: (e) => h("code", {}, e.action ?? "") },
      { label: "audit.object", cell: (e) => e.target ?? e.object ?? e.domain ?? "" },
      { label: "audit.change", cell: (e) => change(e.before, e.after) },
    ], items, "audit.none")));
}
