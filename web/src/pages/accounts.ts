// Account list across the admin's domains (search, cursor paging, last login, quota bars that
// turn to warning colour at the configured level) and one account's page: settings, services,
// its addresses (aliases that reach it), forwarding, password reset and deletion.
import { h, clear } from "../dom";
import { get, list, patch, put, del, enc, ApiError } from "../api";
import { t, formatDate } from "../i18n";
import { heading, section, table, pagedList, link, errorLine, confirmButton, badge, dl, quotaBar, mbToBytes, bytesToMb } from "../components";
import { form, num, splitList } from "../form";
import { navigate, type PageContext } from "../main";
import { searchForm } from "./domains";
import { aliasTable, type Alias } from "./aliases";

export interface Account {
  address: string;
  login?: string;
  domain?: string;
  name?: string;
  display_name?: string;
  quota?: number;
  used_bytes?: number;
  quota_used?: number;
  enabled?: boolean;
  services?: string[];
  created_at?: number | string;
  last_login?: number | string;
}

export const SERVICES = ["imap", "pop3", "sieve", "submission", "receive"] as const;
export const usedOf = (a: Account): number => a.used_bytes ?? a.quota_used ?? 0;
const displayName = (a: Account): string => a.name ?? a.display_name ?? "";

export async function accountsPage({ main, query, session }: PageContext): Promise<void> {
  const q = query.get("q") ?? "";
  const domain = query.get("domain") ?? "";
  main.append(heading(domain ? t("accounts.title_domain", { domain }) : t("nav.accounts")),
    searchForm("accounts.search", q, "/accounts", domain ? { domain } : {}));
  main.append(pagedList<Account>((after) => list<Account>("accounts", { q, domain: domain || undefined, limit: 50, after }), (items) =>
    table(t("nav.accounts"), [
      { label: "accounts.address", cell: (a) => link(`/accounts/${enc(a.address)}`, a.address) },
      { label: "accounts.display_name", cell: (a) => displayName(a) },
      { label: "accounts.last_login", cell: (a) => formatDate(a.last_login) },
      { label: "accounts.quota", cell: (a) => quotaBar(usedOf(a), a.quota, session.quotaWarningPercent) },
      { label: "accounts.status", cell: (a) => (a.enabled === false ? badge(t("accounts.disabled"), "bad") : badge(t("accounts.enabled"), "ok")) },
    ], items, "accounts.none")));
}

export async function accountPage({ main, params, session }: PageContext): Promise<void> {
  const address = params[0];
  const a = await get<Account>(`accounts/${enc(address)}`);
  const domain = a.domain ?? address.split("@")[1];
  main.append(heading(a.address, link(`/domains/${enc(domain)}`, t("accounts.back_to_domain", { domain }))));
  main.append(section(t("accounts.overview"), dl([
    ["accounts.login", a.login ?? a.address],
    ["accounts.quota", quotaBar(usedOf(a), a.quota, session.quotaWarningPercent)],
    ["accounts.last_login", formatDate(a.last_login)],
    ["accounts.created", formatDate(a.created_at)],
  ])));
  main.append(section(t("accounts.settings"), form({
    submit: "common.save",
    fields: [
      { name: "name", label: "accounts.display_name", value: displayName(a), autocomplete: "off" },
      { name: "quota", label: "accounts.quota_mb", type: "number", min: 0, value: bytesToMb(a.quota), hint: "accounts.quota_hint" },
      { name: "enabled", label: "accounts.enabled", type: "checkbox", value: a.enabled !== false },
      { name: "services", label: "accounts.services", type: "select", multiple: true, value: a.services ?? [...SERVICES],
        options: SERVICES.map((s) => ({ value: s, label: t(`service.${s}`) })), hint: "accounts.services_hint" },
    ],
    onSubmit: async (v) => {
      await patch(`accounts/${enc(a.address)}`, {
        name: v.name, quota: mbToBytes(num(v.quota as string)) ?? 0, enabled: v.enabled, services: v.services,
      });
    },
  })));
  main.append(await addressesSection(a.address));
  main.append(await forwardingSection(`accounts/${enc(a.address)}/forwarding`));
  main.append(section(t("accounts.set_password"), form({
    submit: "accounts.set_password",
    fields: [{ name: "password", label: "accounts.new_password", type: "password", required: true, autocomplete: "new-password" }],
    onSubmit: async (v) => { await patch(`accounts/${enc(a.address)}`, { password: v.password }); return t("accounts.password_set"); },
  })));
  main.append(h("div", { class: "danger-zone" }, confirmButton(t("accounts.delete"), t("common.confirm_delete"), async () => {
    await del(`accounts/${enc(a.address)}`);
    navigate(`/accounts?domain=${enc(domain)}`);
  })));
}

// The account's addresses: its primary address and every alias that has it as a target.
async function addressesSection(address: string): Promise<HTMLElement> {
  const box = h("div", {});
  async function refresh(): Promise<void> {
    try {
      const page = await list<Alias>("aliases", { target: address, limit: 500 });
      clear(box);
      box.append(h("p", {}, t("accounts.primary_address", { address })),
        aliasTable(page.items.filter((x) => x.targets.includes(address) && x.source !== address), refresh));
    } catch (e) {
      clear(box);
      box.append(errorLine(e));
    }
  }
  await refresh();
  return section(t("accounts.addresses"), box);
}

interface Forwarding { targets: string[]; keep_copy: boolean }

// Forwarding of an account (admin: accounts/ADDR/forwarding; the user itself: me/forwarding).
export async function forwardingSection(path: string): Promise<HTMLElement> {
  let f: Forwarding = { targets: [], keep_copy: true };
  try {
    f = { ...f, ...(await get<Forwarding>(path)) };
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) return section(t("forwarding.title"), errorLine(e));
  }
  return section(t("forwarding.title"), form({
    submit: "common.save",
    fields: [
      { name: "targets", label: "forwarding.targets", type: "textarea", rows: 3, value: f.targets.join("\n"), hint: "forwarding.targets_hint" },
      { name: "keep_copy", label: "forwarding.keep_copy", type: "checkbox", value: f.keep_copy },
    ],
    onSubmit: async (v) => { await put(path, { targets: splitList(v.targets), keep_copy: v.keep_copy === true }); },
  }));
}

