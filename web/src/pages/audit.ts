// The audit log: who changed what (before → after, secrets already redacted by the server),
// when and from where. Super-admins see all of it, domain admins their domains'. Paged by cursor.
import { h } from "../dom";
import { list } from "../api";
import { t, formatDate } from "../i18n";
import { heading, table, pagedList } from "../components";
import type { PageContext } from "../main";

interface AuditEntry {
  id?: number | string; time?: number | string; at?: number | string; actor?: string; ip?: string;
  action?: string; target?: string; object?: string; domain?: string; before?: unknown; after?: unknown;
}

const show = (v: unknown): string => (v === null || v === undefined ? "—" : typeof v === "string" ? v : JSON.stringify(v, null, 1));

export async function auditPage({ main }: PageContext): Promise<void> {
  main.append(heading(t("nav.audit"),
    h("a", { href: "/api/v1/audit/export", download: "audit.jsonl", class: "button" }, t("audit.export"))));
  main.append(pagedList<AuditEntry>((after) => list<AuditEntry>("audit", { limit: 50, after }), (items) =>
    table(t("nav.audit"), [
      { label: "audit.when", cell: (e) => formatDate(e.time ?? e.at) },
      { label: "audit.who", cell: (e) => `${e.actor ?? "—"}${e.ip ? ` (${e.ip})` : ""}` },
      { label: "audit.action", cell: (e) => h("code", {}, e.action ?? "") },
      { label: "audit.object", cell: (e) => e.target ?? e.object ?? e.domain ?? "" },
      { label: "audit.change", cell: (e) => h("div", { class: "change" }, h("pre", {}, show(e.before)), h("span", { "aria-hidden": "true" }, "→"), h("span", { class: "visually-hidden" }, t("audit.becomes")), h("pre", {}, show(e.after))) },
    ], items, "audit.none")));
}
