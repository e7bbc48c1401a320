// A domain's aliases: the list (source → targets) with delete buttons, and the form to add one.
// A source "@domain" is the catch-all; a target "@other.example" makes a domain alias.
import { h, clear } from "../dom";
import { list, post, del, enc } from "../api";
import { t } from "../i18n";
import { section, table, confirmButton, errorLine } from "../components";
import { form, splitList } from "../form";

export interface Alias { source: string; targets: string[] }

export async function aliasesSection(domain: string): Promise<HTMLElement> {
  const box = h("div", {});
  async function refresh(): Promise<void> {
    try {
      const page = await list<Alias>("aliases", { domain, limit: 500 });
      clear(box);
      box.append(aliasTable(page.items, refresh));
    } catch (e) {
      clear(box);
      box.append(errorLine(e));
    }
  }
  await refresh();
  return section(t("aliases.title"), box, h("h3", {}, t("aliases.add")), form({
    submit: "aliases.add",
    fields: [
      { name: "source", label: "aliases.source", required: true, hint: "aliases.source_hint", autocomplete: "off" },
      { name: "targets", label: "aliases.targets", type: "textarea", rows: 3, required: true, hint: "aliases.targets_hint" },
    ],
    onSubmit: async (v) => {
      const raw = String(v.source);
      const source = raw.includes("@") ? raw : `${raw}@${domain}`;
      await post("aliases", { source, targets: splitList(v.targets) });
      await refresh();
      return t("aliases.added", { source });
    },
  }));
}

export function aliasTable(items: Alias[], refresh: () => Promise<void>): HTMLElement {
  return table(t("aliases.title"), [
    { label: "aliases.source", cell: (a) => a.source },
    { label: "aliases.targets", cell: (a) => h("ul", { class: "plain" }, a.targets.map((x) => h("li", {}, x))) },
    { label: "common.actions", cell: (a) => confirmButton(t("common.delete"), t("common.confirm_delete"), async () => {
      await del(`aliases/${enc(a.source)}`);
      await refresh();
    }) },
  ], items, "aliases.none");
}
