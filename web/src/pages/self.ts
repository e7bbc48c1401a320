// Self-service. A mail user: password (with the old one), forwarding with or without a local
// copy, vacation (subject, text, dates; the server writes it as a Sieve script), Sieve scripts,
// quota usage and app passwords for mail clients. An admin: its language and quota warning level.
import { h, clear } from "../dom";
import { get, put, post, del, list, enc, ApiError } from "../api";
import { t, languages, currentLang, setLanguage, supported, formatDate, formatNumber, type Key } from "../i18n";
import { heading, section, table, confirmButton, errorLine, quotaBar, badge, dl } from "../components";
import { form } from "../form";
import { session as currentSession, savePreferences, type Session } from "../session";
import { forwardingSection, selfForwarding, usedOf, type Account } from "./accounts";
import { navigate, type PageContext } from "../main";
import { totpSection, apiKeysSection } from "./security";

export const selfSections: [string, Key][] = [
  ["password", "self.password"], ["forwarding", "forwarding.title"], ["vacation", "vacation.title"],
  ["sieve", "sieve.title"], ["quota", "self.quota"], ["app-passwords", "apppw.title"], ["security", "self.security"],
];

export async function selfPage(ctx: PageContext): Promise<void> {
  if (ctx.session.role !== "user") return preferencesPage(ctx);
  const slug = ctx.params[0] || "password";
  const entry = selfSections.find(([s]) => s === slug);
  if (!entry) return navigate("/me/password", true);
  ctx.main.append(heading(t(entry[0] === "password" ? "self.password" : entry[1])));
  const page: Record<string, () => Promise<void>> = {
    password: () => passwordPage(ctx.main),
    forwarding: async () => { ctx.main.append(await forwardingSection(selfForwarding)); },
    vacation: () => vacationPage(ctx.main),
    sieve: () => sievePage(ctx.main),
    quota: () => quotaPage(ctx.main, ctx.session),
    "app-passwords": () => appPasswordsPage(ctx.main),
    security: async () => { ctx.main.append(await totpSection()); },
  };
  await page[slug]();
}

async function passwordPage(main: HTMLElement): Promise<void> {
  main.append(section(t("self.password_change"), form({
    submit: "self.password_change",
    fields: [
      { name: "old_password", label: "self.old_password", type: "password", required: true, autocomplete: "current-password" },
      { name: "new_password", label: "self.new_password", type: "password", required: true, autocomplete: "new-password", hint: "self.new_password_hint" },
    ],
    onSubmit: async (v) => {
      await put("me/password", { old_password: v.old_password, new_password: v.new_password });
      return t("self.password_changed");
    },
  })));
}

interface Vacation { enabled: boolean; subject: string; text: string; start?: string | null; end?: string | null }

async function vacationPage(main: HTMLElement): Promise<void> {
  let v: Vacation = { enabled: false, subject: "", text: "" };
  try { v = { ...v, ...(await get<Vacation>("me/vacation")) }; } catch (e) { main.append(errorLine(e)); return; }
  main.append(section(t("vacation.title"), h("p", {}, t("vacation.intro")), form({
    submit: "common.save",
    fields: [
      { name: "enabled", label: "vacation.enabled", type: "checkbox", value: v.enabled },
      { name: "subject", label: "vacation.subject", value: v.subject, autocomplete: "off" },
      { name: "text", label: "vacation.text", type: "textarea", rows: 6, value: v.text },
      { name: "start", label: "vacation.start", type: "date", value: (v.start ?? "").slice(0, 10), hint: "vacation.dates_hint" },
      { name: "end", label: "vacation.end", type: "date", value: (v.end ?? "").slice(0, 10) },
    ],
    onSubmit: async (x) => {
      await put("me/vacation", { enabled: x.enabled, subject: x.subject, text: x.text, start: x.start || null, end: x.end || null });
    },
  })));
}

interface Script { name: string; active: boolean; content?: string }

async function sievePage(main: HTMLElement): Promise<void> {
  const listBox = h("div", {});
  const editor = h("div", {});
  async function refresh(): Promise<void> {
    try {
      const page = await list<Script>("me/sieve", {});
      clear(listBox);
      listBox.append(table(t("sieve.title"), [
        { label: "sieve.name", cell: (s) => s.name },
        { label: "sieve.state", cell: (s) => (s.active ? badge(t("sieve.active"), "ok") : badge(t("sieve.inactive"))) },
        { label: "common.actions", cell: (s) => h("div", { class: "row-actions" },
          h("button", { type: "button", onclick: () => void edit(s.name) }, t("common.edit")),
          s.active ? null : h("button", { type: "button", onclick: async () => { await post(`me/sieve/${enc(s.name)}/activate`); await refresh(); } }, t("sieve.activate")),
          confirmButton(t("common.delete"), t("common.confirm_delete"), async () => { await del(`me/sieve/${enc(s.name)}`); await refresh(); })) },
      ], page.items, "sieve.none"));
    } catch (e) {
      clear(listBox);
      listBox.append(errorLine(e));
    }
  }
  async function edit(name: string | null): Promise<void> {
    let script = "";
    if (name) {
      const s = await get<Script>(`me/sieve/${enc(name)}`);
      script = s.content ?? "";
    }
    clear(editor);
    editor.append(section(name ? t("sieve.edit", { name }) : t("sieve.new"), form({
      submit: "common.save",
      fields: [
        { name: "name", label: "sieve.name", required: true, value: name ?? "", autocomplete: "off" },
        { name: "content", label: "sieve.script", type: "textarea", rows: 14, required: true, value: script, hint: "sieve.script_hint" },
      ],
      onSubmit: async (v) => {
        await put(`me/sieve/${enc(String(v.name))}`, { content: v.content });
        await refresh();
      },
    })));
    (editor.querySelector("input") as HTMLInputElement | null)?.focus();
  }
  await refresh();
  main.append(section(t("sieve.scripts"), listBox,
    h("div", { class: "actions" }, h("button", { type: "button", onclick: () => void edit(null) }, t("sieve.new")))), editor);
}

async function quotaPage(main: HTMLElement, s: Session): Promise<void> {
  try {
    const me = await get<Account>("me");
    main.append(section(t("self.quota"), dl([
      ["accounts.address", me.address],
      ["accounts.quota", quotaBar(usedOf(me), me.quota, s.quotaWarningPercent)],
      ["self.messages", me.usage ? formatNumber(me.usage.messages) : "—"],
    ])));
  } catch (e) {
    main.append(errorLine(e));
  }
}

interface AppPassword { id: string | number; name: string; created_at?: number }

async function appPasswordsPage(main: HTMLElement): Promise<void> {
  const box = h("div", {});
  const shown = h("div", { "aria-live": "polite" });
  async function refresh(): Promise<void> {
    try {
      const page = await list<AppPassword>("me/app-passwords", {});
      clear(box);
      box.append(table(t("apppw.title"), [
        { label: "apppw.name", cell: (p) => p.name },
        { label: "apppw.created", cell: (p) => formatDate(p.created_at) },
        { label: "common.actions", cell: (p) => confirmButton(t("apppw.revoke"), t("apppw.confirm_revoke"), async () => {
          await del(`me/app-passwords/${enc(String(p.id))}`);
          await refresh();
        }) },
      ], page.items, "apppw.none"));
    } catch (e) {
      clear(box);
      box.append(errorLine(e));
    }
  }
  await refresh();
  main.append(section(t("apppw.title"), h("p", {}, t("apppw.intro")), box), section(t("apppw.create"), form({
    submit: "apppw.create",
    fields: [{ name: "name", label: "apppw.name", required: true, hint: "apppw.name_hint", autocomplete: "off" },
      { name: "password", label: "self.old_password", type: "password", required: true, autocomplete: "current-password", hint: "reauth.hint" }],
    onSubmit: async (v) => {
      const created = await post<{ password: string; name: string }>("me/app-passwords", { name: v.name, password: v.password });
      clear(shown);
      shown.append(h("div", { class: "secret-once", role: "status" },
        h("p", {}, t("apppw.shown_once", { name: created.name ?? String(v.name) })),
        h("code", { class: "secret" }, created.password)));
      await refresh();
      return "";
    },
  }), shown));
}

// An admin's own preferences, kept on the server for the login (every browser gets them): the
// UI language, the rows per page of long lists and the level at which quota bars turn to the
// warning colour.
async function preferencesPage({ main, session }: PageContext): Promise<void> {
  main.append(heading(t("self.preferences")));
  main.append(section(t("self.preferences_section"), form({
    submit: "common.save",
    fields: [
      { name: "language", label: "nav.language", type: "select", value: session.language ?? currentLang(),
        options: languages.map((l) => ({ value: l.code, label: l.name })) },
      { name: "page_size", label: "self.page_size", type: "number", min: 10, max: 200,
        value: session.pageSize, hint: "self.page_size_hint" },
      { name: "quota_warning_percent", label: "self.quota_warning", type: "number", min: 1, max: 100,
        value: session.quotaWarningPercent, hint: "self.quota_warning_hint" },
    ],
    onSubmit: async (v) => {
      const language = supported(String(v.language)) ?? "en";
      const warn = Number(v.quota_warning_percent);
      const pageSize = Number(v.page_size);
      if (!(warn >= 1 && warn <= 100)) throw new ApiError(400, "invalid_input", t("self.quota_warning_range"), [{ field: "quota_warning_percent", message: t("self.quota_warning_range") }]);
      if (!(Number.isInteger(pageSize) && pageSize >= 10 && pageSize <= 200)) throw new ApiError(400, "invalid_input", t("self.page_size_range"), [{ field: "page_size", message: t("self.page_size_range") }]);
      await savePreferences({ language, page_size: pageSize, quota_warning_percent: warn });
      if (language !== currentLang()) {
        setLanguage(language);
        if (currentSession()) navigate("/me", true);
      }
      return t("form.saved");
    },
  })));
  main.append(await totpSection(), await apiKeysSection(session));
}
