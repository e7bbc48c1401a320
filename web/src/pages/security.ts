// Two-factor login (TOTP, RFC 6238) for the logged-in admin or user: switch it on (the server
// makes a secret; the authenticator app takes it as a key or an otpauth: link; a first code
// confirms it) and off. And an admin's API keys: scoped to a role and domains, with expiry,
// shown once when made, revoked here.
import { h, clear } from "../dom";
import { get, post, del, list, enc, request } from "../api";
import { t, formatDate } from "../i18n";
import { section, table, confirmButton, errorLine, badge } from "../components";
import { form, splitList, num } from "../form";
import type { Session } from "../session";

interface TotpState { enabled?: boolean; active?: boolean; pending?: boolean }
interface TotpBegin { secret: string; uri?: string }

// The key as people type it: groups of four characters.
const grouped = (secret: string): string => secret.replace(/\s+/g, "").replace(/(.{4})(?=.)/g, "$1 ");

export async function totpSection(): Promise<HTMLElement> {
  const box = h("div", { "aria-live": "polite" });
  async function show(): Promise<void> {
    clear(box);
    let state: TotpState;
    try {
      state = await get<TotpState>("totp");
    } catch (e) {
      box.append(errorLine(e));
      return;
    }
    if (state.enabled ?? state.active) {
      // Switching it off takes a current code: a stolen session alone cannot remove the factor.
      box.append(h("p", {}, badge(t("totp.on"), "ok"), " ", t("totp.on_text")), form({
        submit: "totp.disable",
        fields: [{ name: "code", label: "login.totp", required: true, autocomplete: "one-time-code", inputmode: "numeric", hint: "totp.disable_hint" }],
        onSubmit: async (v) => {
          await request("DELETE", "totp", { code: String(v.code).replace(/\s+/g, "") });
          await show();
          return "";
        },
      }));
    } else {
      // Switching the second factor on needs the password again: a stolen session alone cannot
      // lock the owner out.
      box.append(h("p", {}, badge(t("totp.off")), " ", t("totp.off_text")), form({
        submit: "totp.enable",
        fields: [{ name: "password", label: "self.old_password", type: "password", required: true,
          autocomplete: "current-password", hint: "reauth.hint" }],
        onSubmit: async (v) => {
          begin(await post<TotpBegin>("totp", { password: v.password }));
          return "";
        },
      }));
    }
  }
  function begin(secret: TotpBegin): void {
    const key = secret.secret;
    const uri = secret.uri ?? "";
    clear(box);
    box.append(
      h("ol", { class: "steps" },
        h("li", {}, t("totp.step_app")),
        h("li", {}, t("totp.step_key"), " ", h("code", { class: "secret" }, grouped(key)),
          uri ? [" ", h("a", { href: uri }, t("totp.open_link"))] : null),
        h("li", {}, t("totp.step_code"))),
      form({
        submit: "totp.confirm",
        fields: [{ name: "code", label: "login.totp", required: true, autocomplete: "one-time-code", inputmode: "numeric" }],
        onSubmit: async (v) => {
          await post("totp/confirm", { code: String(v.code).replace(/\s+/g, "") });
          await show();
          return "";
        },
      }));
    (box.querySelector("input") as HTMLInputElement).focus();
  }
  await show();
  return section(t("totp.title"), h("p", {}, t("totp.intro")), box);
}

interface ApiKey {
  id: string | number; name: string; role: string; domains?: string[]; owner?: string;
  created_at?: number; expires_at?: number | null; revoked_at?: number | null;
}

export async function apiKeysSection(session: Session): Promise<HTMLElement> {
  const box = h("div", {});
  const shown = h("div", { "aria-live": "polite" });
  async function refresh(): Promise<void> {
    try {
      const page = await list<ApiKey>("api-keys", { limit: 500 });
      clear(box);
      box.append(table(t("apikeys.title"), [
        { label: "apikeys.name", cell: (k) => k.name },
        { label: "apikeys.scope", cell: (k) => scopeText(k) },
        { label: "apppw.created", cell: (k) => formatDate(k.created_at) },
        { label: "apikeys.expires", cell: (k) => (k.expires_at ? formatDate(k.expires_at) : t("apikeys.no_expiry")) },
        { label: "common.actions", cell: (k) => (k.revoked_at
          ? badge(t("apikeys.revoked"), "bad")
          : confirmButton(t("apppw.revoke"), t("apppw.confirm_revoke"), async () => {
            await del(`api-keys/${enc(String(k.id))}`);
            await refresh();
          })) },
      ], page.items, "apikeys.none"));
    } catch (e) {
      clear(box);
      box.append(errorLine(e));
    }
  }
  await refresh();
  const roles = session.role === "super"
    ? [{ value: "super-admin", label: t("admins.super") }, { value: "domain-admin", label: t("admins.domain_admin") }]
    : [{ value: "domain-admin", label: t("admins.domain_admin") }];
  return section(t("apikeys.title"), h("p", {}, t("apikeys.intro")), box, h("h3", {}, t("apikeys.create")), form({
    submit: "apikeys.create",
    fields: [
      { name: "name", label: "apikeys.name", required: true, autocomplete: "off" },
      { name: "role", label: "admins.role", type: "select", value: roles[0].value, options: roles },
      { name: "domains", label: "admins.domains", type: "textarea", rows: 2, hint: "apikeys.domains_hint" },
      { name: "expires_days", label: "apikeys.expires_days", type: "number", min: 1, value: 90, hint: "apikeys.expires_hint" },
      { name: "password", label: "self.old_password", type: "password", required: true, autocomplete: "current-password", hint: "reauth.hint" },
    ],
    onSubmit: async (v) => {
      const days = num(v.expires_days as string);
      const body: Record<string, unknown> = { name: v.name, role: v.role, domains: splitList(v.domains), password: v.password };
      if (days) body.expires_at = Math.floor(Date.now() / 1000) + days * 86400;
      const created = await post<{ key: string; name: string }>("api-keys", body);
      clear(shown);
      shown.append(h("div", { class: "secret-once", role: "status" },
        h("p", {}, t("apikeys.shown_once", { name: created.name })),
        h("code", { class: "secret" }, created.key)));
      await refresh();
      return "";
    },
  }), shown);
}

function scopeText(k: ApiKey): string {
  if (k.role.includes("super")) return t("admins.super");
  return `${t("admins.domain_admin")}: ${(k.domains ?? []).join(", ") || t("admins.all_domains")}`;
}
