// Admin management (super-admins only): the admins with their role and delegated domains, a
// form to add one (super-admin, or domain admin of some domains) and deletion.
import { h, clear } from "../dom";
import { list, post, patch, del, enc } from "../api";
import { t } from "../i18n";
import { heading, section, table, confirmButton, errorLine, badge } from "../components";
import { form, splitList } from "../form";
import type { PageContext } from "../main";

interface Admin { name: string; super: boolean; domains: string[] }

export async function adminsPage({ main, session }: PageContext): Promise<void> {
  main.append(heading(t("nav.admins")));
  const box = h("div", {});
  async function refresh(): Promise<void> {
    try {
      const page = await list<Admin>("admins", { limit: 500 });
      clear(box);
      box.append(table(t("nav.admins"), [
        { label: "admins.name", cell: (a) => a.name },
        { label: "admins.role", cell: (a) => (a.super ? badge(t("admins.super"), "warn") : badge(t("admins.domain_admin"))) },
        { label: "admins.domains", cell: (a) => (a.super ? t("admins.all_domains") : a.domains.join(", ")) },
        { label: "common.actions", cell: (a) => h("div", { class: "row-actions" },
          h("button", { type: "button", onclick: () => edit(a) }, t("common.edit")),
          a.name === session.username ? null : confirmButton(t("common.delete"), t("common.confirm_delete"), async () => {
            await del(`admins/${enc(a.name)}`);
            await refresh();
          })) },
      ], page.items));
    } catch (e) {
      clear(box);
      box.append(errorLine(e));
    }
  }
  // Changing an admin: a new password and, for a domain admin, its domains.
  const editor = h("div", {});
  function edit(a: Admin): void {
    clear(editor);
    editor.append(section(t("admins.edit", { name: a.name }), form({
      submit: "common.save",
      fields: [
        { name: "password", label: "admins.new_password", type: "password", autocomplete: "new-password", hint: "admins.new_password_hint" },
        ...(a.super ? [] : [{ name: "domains", label: "admins.domains" as const, type: "textarea" as const, rows: 3, value: a.domains.join("\n"), hint: "admins.domains_hint" as const }]),
      ],
      onSubmit: async (v) => {
        const body: Record<string, unknown> = {};
        if (v.password) body.password = v.password;
        if (!a.super) body.domains = splitList(v.domains);
        await patch(`admins/${enc(a.name)}`, body);
        await refresh();
      },
    })));
    (editor.querySelector("h2") as HTMLElement).setAttribute("tabindex", "-1");
    (editor.querySelector("h2") as HTMLElement).focus();
  }
  await refresh();
  main.append(section(t("nav.admins"), box), editor, section(t("admins.add"), form({
    submit: "admins.add",
    fields: [
      { name: "name", label: "admins.name", required: true, autocomplete: "off" },
      { name: "password", label: "admins.password", type: "password", required: true, autocomplete: "new-password" },
      { name: "role", label: "admins.role", type: "select", value: "domain",
        options: [{ value: "domain", label: t("admins.domain_admin") }, { value: "super", label: t("admins.super") }] },
      { name: "domains", label: "admins.domains", type: "textarea", rows: 2, hint: "admins.domains_hint" },
    ],
    onSubmit: async (v) => {
      const isSuper = v.role === "super";
      await post("admins", { name: v.name, password: v.password, super: isSuper, domains: isSuper ? [] : splitList(v.domains) });
      await refresh();
      return t("admins.added", { name: String(v.name) });
    },
  })));
}
