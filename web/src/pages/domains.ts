// Domain list (search, cursor paging, add) and one domain's page: its settings, its aliases,
// the DNS records to publish (MX, SPF, DKIM, DMARC, autoconfig) and the checker that resolves
// them through the server's resolver and says which are missing or wrong.
import { h, clear } from "../dom";
import { get, post, patch, del, list, enc, type Page } from "../api";
import { t, formatBytes, formatNumber } from "../i18n";
import { heading, section, table, pagedList, link, errorLine, loading, confirmButton, badge, dl, quotaBar, mbToBytes, bytesToMb } from "../components";
import { form, num, splitList } from "../form";
import { navigate, domainPath, accountPath, type PageContext } from "../main";
import { aliasesSection } from "./aliases";

export interface Domain {
  name: string;
  accounts?: number;
  allocated_quota?: number;
  max_accounts?: number | null;
  default_quota?: number | null;
  max_quota_per_account?: number | null;
  total_quota?: number | null;
  used_bytes?: number | null;
  username_scheme?: string | null;
  prefix?: string | null;
}

export async function domainsPage({ main, query, session }: PageContext): Promise<void> {
  const q = query.get("q") ?? "";
  main.append(heading(t("nav.domains")), searchForm("domains.search", q, "/domains"));
  main.append(pagedList<Domain>((after) => list<Domain>("domains", { q, limit: session.pageSize, after }), (items) =>
    table(t("nav.domains"), [
      { label: "domains.name", cell: (d) => link(domainPath(d.name), d.name) },
      { label: "domains.max_accounts", cell: (d) => (d.max_accounts ? formatNumber(d.max_accounts) : t("quota.unlimited")), className: "num" },
      { label: "domains.default_quota", cell: (d) => (d.default_quota ? formatBytes(d.default_quota) : t("quota.unlimited")), className: "num" },
      { label: "domains.total_quota", cell: (d) => (d.total_quota ? formatBytes(d.total_quota) : t("quota.unlimited")), className: "num" },
    ], items, "domains.none")));
  if (session.role === "super") {
    main.append(section(t("domains.add"), form({
      submit: "domains.add",
      fields: domainFields({ name: "" }, true),
      onSubmit: async (v) => {
        const d = await post<Domain>("domains", domainBody(v, true));
        navigate(domainPath(d?.name ?? String(v.name)));
      },
    })));
  }
}

// The search box of a list page; with `domains`, also a choice of one domain or all of them.
export function searchForm(label: "domains.search" | "accounts.search", value: string, path: string,
                           filter: { domain: string; domains: string[] } | null = null): HTMLElement {
  const id = `search-${path.replace(/\W/g, "")}`;
  const input = h("input", { id, type: "search", name: "q", value, autocomplete: "off" });
  const select = filter && filter.domains.length > 1
    ? h("select", { id: `${id}-domain`, name: "domain" },
      h("option", { value: "" }, t("accounts.all_domains")),
      filter.domains.map((d) => h("option", { value: d, selected: d === filter.domain }, d)))
    : null;
  const f = h("form", { class: "search", role: "search" },
    h("label", { for: id }, t(label)), input,
    select ? [h("label", { for: select.id }, t("domains.name")), select] : null,
    h("button", { type: "submit" }, t("common.search")));
  f.addEventListener("submit", (e) => {
    e.preventDefault();
    const qs = new URLSearchParams();
    const domain = select ? select.value : filter?.domain ?? "";
    if (domain) qs.set("domain", domain);
    if (input.value.trim()) qs.set("q", input.value.trim());
    navigate(qs.toString() ? `${path}?${qs}` : path);
  });
  return f;
}

function domainFields(d: Domain, withName: boolean) {
  return [
    ...(withName ? [{ name: "name", label: "domains.name" as const, required: true, autocomplete: "off" }] : []),
    { name: "default_quota", label: "domains.default_quota_mb" as const, type: "number" as const, min: 0, value: bytesToMb(d.default_quota) },
    { name: "max_quota_per_account", label: "domains.max_quota_mb" as const, type: "number" as const, min: 0, value: bytesToMb(d.max_quota_per_account) },
    { name: "total_quota", label: "domains.total_quota_mb" as const, type: "number" as const, min: 0, value: bytesToMb(d.total_quota) },
    { name: "max_accounts", label: "domains.max_accounts" as const, type: "number" as const, min: 0, value: d.max_accounts || "", hint: "domains.max_accounts_hint" as const },
    { name: "username_scheme", label: "domains.username_scheme" as const, type: "select" as const, value: d.username_scheme ?? "address",
      options: [{ value: "address", label: t("domains.scheme_address") }, { value: "prefix", label: t("domains.scheme_prefix") }] },
    { name: "prefix", label: "domains.prefix" as const, hint: "domains.prefix_hint" as const, value: d.prefix ?? "" },
  ];
}

function domainBody(v: Record<string, unknown>, withName: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (withName) body.name = String(v.name);
  // An empty field means "no limit" (0); a new domain simply leaves it out.
  for (const k of ["default_quota", "max_quota_per_account", "total_quota"]) {
    const b = mbToBytes(num(v[k] as string));
    if (b !== undefined || !withName) body[k] = b ?? 0;
  }
  const max = num(v.max_accounts as string);
  if (max !== undefined || !withName) body.max_accounts = max ?? 0;
  body.username_scheme = v.username_scheme;
  if (v.prefix) body.prefix = v.prefix;
  return body;
}

export async function domainPage({ main, query, session }: PageContext): Promise<void> {
  const name = query.get("name") ?? "";
  const d = await get<Domain>(`domains/${enc(name)}`);
  const usage = await get<{ bytes: number }>(`domains/${enc(name)}/usage`).catch(() => null);
  if (usage) d.used_bytes = usage.bytes;
  main.append(heading(t("domains.title", { name: d.name }),
    link(`/accounts?domain=${enc(d.name)}`, t("domains.show_accounts"))));
  main.append(section(t("domains.overview"), dl([
    ["domains.accounts", `${formatNumber(d.accounts)}${d.max_accounts ? ` / ${formatNumber(d.max_accounts)}` : ""}`],
    ["domains.storage", quotaBar(d.used_bytes, d.total_quota, session.quotaWarningPercent)],
    ["domains.allocated_quota", d.allocated_quota ? formatBytes(d.allocated_quota) : "—"],
    ["domains.default_quota", d.default_quota ? formatBytes(d.default_quota) : t("quota.unlimited")],
  ])));
  main.append(section(t("accounts.add"), newAccountForm(d)));
  main.append(await aliasesSection(d.name));
  main.append(dnsSection(d.name));
  if (session.role === "super") {
    main.append(section(t("domains.settings"), form({
      submit: "common.save", fields: domainFields(d, false),
      onSubmit: async (v) => { await patch(`domains/${enc(d.name)}`, domainBody(v, false)); },
    }), h("div", { class: "danger-zone" },
      confirmButton(t("domains.delete"), t("common.confirm_delete"), async () => {
        await del(`domains/${enc(d.name)}`);
        navigate("/domains");
      }))));
  }
}

export function newAccountForm(d: Domain): HTMLFormElement {
  return form({
    submit: "accounts.add",
    fields: [
      { name: "local", label: "accounts.local_part", required: true, autocomplete: "off", hint: "accounts.local_part_hint" },
      { name: "display_name", label: "accounts.display_name", autocomplete: "off" },
      { name: "password", label: "accounts.password", type: "password", required: true, autocomplete: "new-password" },
      { name: "quota", label: "accounts.quota_mb", type: "number", min: 0, value: bytesToMb(d.default_quota) },
    ],
    onSubmit: async (v) => {
      const address = `${String(v.local)}@${d.name}`;
      const body: Record<string, unknown> = { address, password: v.password };
      if (v.display_name) body.display_name = v.display_name;
      const quota = mbToBytes(num(v.quota as string));
      if (quota !== undefined) body.quota = quota;
      await post("accounts", body);
      navigate(accountPath(address));
    },
  });
}

// kind: what the record is for (MX, SPF, DKIM, DMARC, autoconfig...); status of a check: ok,
// missing, wrong, or error (the lookup failed: try again).
interface DnsRecord { kind?: string; type: string; name: string; value: string }
interface DnsCheck extends DnsRecord { status: string; found?: string[] | string; detail?: string }
const STATUSES = ["ok", "missing", "wrong", "error"] as const;
const kindLabel = (k: string | undefined): string => (!k ? "" : k.startsWith("auto") ? k[0].toUpperCase() + k.slice(1) : k.toUpperCase());

function dnsSection(domain: string): HTMLElement {
  const records = h("div", {}, loading());
  const results = h("div", { "aria-live": "polite" });
  const check = h("button", { type: "button" }, t("dns.check"));
  check.addEventListener("click", async () => {
    check.disabled = true;
    clear(results);
    results.append(loading());
    try {
      const r = await get<{ results?: DnsCheck[]; records?: DnsCheck[] } | DnsCheck[]>(`domains/${enc(domain)}/dns/check`);
      const rows = Array.isArray(r) ? r : (r.results ?? r.records ?? []);
      clear(results);
      results.append(checkTable(rows));
    } catch (e) {
      clear(results);
      results.append(errorLine(e));
    } finally {
      check.disabled = false;
    }
  });
  void get<{ records?: DnsRecord[] } | DnsRecord[]>(`domains/${enc(domain)}/dns`).then((r) => {
    clear(records);
    records.append(table(t("dns.title"), [
      { label: "dns.kind", cell: (x) => kindLabel(x.kind) },
      { label: "dns.type", cell: (x) => x.type },
      { label: "dns.name", cell: (x) => h("code", {}, x.name) },
      { label: "dns.value", cell: (x) => h("code", { class: "dns-value" }, x.value) },
    ], Array.isArray(r) ? r : (r.records ?? [])));
  }, (e) => { clear(records); records.append(errorLine(e)); });
  return section(t("dns.title"), h("p", {}, t("dns.intro")), records, h("div", { class: "actions" }, check), results);
}

function checkTable(rows: DnsCheck[]): HTMLElement {
  const kind = (s: string) => (s === "ok" ? "ok" : s === "missing" || s === "wrong" ? "bad" : "warn");
  const status = (s: string) => (STATUSES as readonly string[]).includes(s) ? s as typeof STATUSES[number] : "error";
  return table(t("dns.results"), [
    { label: "dns.kind", cell: (x) => kindLabel(x.kind ?? x.type) },
    { label: "dns.name", cell: (x) => h("code", {}, x.name) },
    { label: "dns.status", cell: (x) => badge(t(`dns.status_${status(x.status)}`), kind(x.status)) },
    { label: "dns.expected", cell: (x) => h("code", { class: "dns-value" }, x.value) },
    { label: "dns.found", cell: (x) => h("code", {}, [x.found ?? []].flat().join("\n") || x.detail || "—") },
  ], rows);
}

export { splitList };
export type { Page };
