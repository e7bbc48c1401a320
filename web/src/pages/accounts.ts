// Account list across the admin's domains (search, cursor paging, last login, quota bars that
// turn to warning colour at the configured level) and one account's page: settings, services,
// its addresses (aliases that reach it), forwarding, password reset and deletion.
import { h, clear } from "../dom";
import { get, list, patch, put, post, del, enc, ApiError } from "../api";
import { t, formatDate } from "../i18n";
import { heading, section, table, pagedList, link, errorLine, confirmButton, badge, dl, quotaBar, mbToBytes, bytesToMb } from "../components";
import { form, num, splitList } from "../form";
import { navigate, domainPath, accountPath, type PageContext } from "../main";
import { searchForm } from "./domains";
import { aliasTable, type Alias } from "./aliases";

export interface Account {
  address: string;
  login?: string;
  domain?: string;
  display_name?: string;
  quota?: number;
  usage_bytes?: number;
  usage?: { bytes: number; messages: number; quota?: number };
  enabled?: boolean;
  services?: Record<string, boolean>;
  created_at?: number | string;
  last_login?: number | string;
}

export const SERVICES = ["imap", "pop3", "sieve", "submission", "receive"] as const;
export const usedOf = (a: Account): number => a.usage_bytes ?? a.usage?.bytes ?? 0;
const displayName = (a: Account): string => a.display_name ?? "";
const servicesOn = (a: Account): string[] => SERVICES.filter((s) => a.services?.[s] !== false);

export async function accountsPage({ main, query, session }: PageContext): Promise<void> {
  const q = query.get("q") ?? "";
  const domain = query.get("domain") ?? "";
  const domains = await list<{ name: string }>("domains", { limit: 1000 }).then((p) => p.items.map((d) => d.name), () => []);
  main.append(heading(domain ? t("accounts.title_domain", { domain }) : t("nav.accounts")),
    searchForm("accounts.search", q, "/accounts", { domain, domains }));
  main.append(pagedList<Account>((after) => list<Account>("accounts", { q, domain: domain || undefined, limit: session.pageSize, after }), (items) =>
    table(t("nav.accounts"), [
      { label: "accounts.address", cell: (a) => link(accountPath(a.address), a.address) },
      { label: "accounts.display_name", cell: (a) => displayName(a) },
      { label: "accounts.last_login", cell: (a) => formatDate(a.last_login) },
      { label: "accounts.quota", cell: (a) => quotaBar(usedOf(a), a.quota, session.quotaWarningPercent) },
      { label: "accounts.status", cell: (a) => (a.enabled === false ? badge(t("accounts.disabled"), "bad") : badge(t("accounts.enabled"), "ok")) },
    ], items, "accounts.none")));
}

export async function accountPage({ main, query, session }: PageContext): Promise<void> {
  const address = query.get("address") ?? "";
  const a = await get<Account>(`accounts/${enc(address)}`);
  const usage = await get<{ bytes: number }>(`accounts/${enc(address)}/usage`).catch(() => null);
  if (usage) a.usage_bytes = usage.bytes;
  const domain = a.domain ?? address.split("@")[1];
  main.append(heading(a.address, link(domainPath(domain), t("accounts.back_to_domain", { domain }))));
  main.append(section(t("accounts.overview"), dl([
    ["accounts.login", a.login ?? a.address],
    ["accounts.quota", quotaBar(usedOf(a), a.quota, session.quotaWarningPercent)],
    ["accounts.last_login", formatDate(a.last_login)],
    ["accounts.created", formatDate(a.created_at)],
  ])));
  main.append(section(t("accounts.settings"), form({
    submit: "common.save",
    fields: [
      { name: "display_name", label: "accounts.display_name", value: displayName(a), autocomplete: "off" },
      { name: "quota", label: "accounts.quota_mb", type: "number", min: 0, value: bytesToMb(a.quota), hint: "accounts.quota_hint" },
      { name: "enabled", label: "accounts.enabled", type: "checkbox", value: a.enabled !== false },
      { name: "services", label: "accounts.services", type: "checkboxes", value: servicesOn(a),
        options: SERVICES.map((s) => ({ value: s, label: t(`service.${s}`) })) },
    ],
    onSubmit: async (v) => {
      const on = v.services as string[];
      await patch(`accounts/${enc(a.address)}`, {
        display_name: v.display_name, quota: mbToBytes(num(v.quota as string)) ?? 0, enabled: v.enabled,
        services: Object.fromEntries(SERVICES.map((x) => [x, on.includes(x)])),
      });
    },
  })));
  main.append(await addressesSection(a.address));
  main.append(await forwardingSection(aliasForwarding(a.address)));
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
      const page = await list<Alias>("aliases", { domain: address.split("@")[1], limit: 1000 });
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

// Where a forwarding lives: the user's own GET/PUT me/forwarding, or for an admin the alias
// whose source is the account's address (targets, plus the address itself for a local copy).
export interface ForwardingStore { load: () => Promise<Forwarding>; save: (f: Forwarding) => Promise<void> }

export const selfForwarding: ForwardingStore = {
  load: () => get<Forwarding>("me/forwarding"),
  save: async (f) => { await put("me/forwarding", f); },
};

function aliasForwarding(address: string): ForwardingStore {
  return {
    load: async () => {
      try {
        const a = await get<Alias>(`aliases/${enc(address)}`);
        return { targets: a.targets.filter((x) => x !== address), keep_copy: a.targets.includes(address) };
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return { targets: [], keep_copy: true };
        throw e;
      }
    },
    save: async (f) => {
      await del(`aliases/${enc(address)}`).catch((e) => { if (!(e instanceof ApiError && e.status === 404)) throw e; });
      const targets = f.targets.filter((x) => x !== address);
      if (targets.length) await post("aliases", { source: address, targets: f.keep_copy ? [...targets, address] : targets });
    },
  };
}

export async function forwardingSection(store: ForwardingStore): Promise<HTMLElement> {
  let f: Forwarding;
  try {
    f = await store.load();
  } catch (e) {
    return section(t("forwarding.title"), errorLine(e));
  }
  if (!f.targets.length) f.keep_copy = true;
  return section(t("forwarding.title"), form({
    submit: "common.save",
    fields: [
      { name: "targets", label: "forwarding.targets", type: "textarea", rows: 3, value: f.targets.join("\n"), hint: "forwarding.targets_hint" },
      { name: "keep_copy", label: "forwarding.keep_copy", type: "checkbox", value: f.keep_copy },
    ],
    onSubmit: async (v) => { await store.save({ targets: splitList(v.targets), keep_copy: v.keep_copy === true }); },
  }));
}
