// The outbound queue (super-admins): each message with sender, recipients and why they wait;
// retry now or remove.
import { h, clear } from "../dom";
import { list, post, del, enc } from "../api";
import { t, formatDate, formatBytes } from "../i18n";
import { heading, table, confirmButton, errorLine, badge } from "../components";
import type { PageContext } from "../main";

interface Recipient { address: string; state: string; diagnostic?: string }
interface QueueItem {
  id: string; state: string; sender: string; size: number; created?: number | string;
  next_attempt?: number | string; attempts?: number; last_error?: string; recipients: Recipient[];
}

export async function queuePage({ main }: PageContext): Promise<void> {
  const box = h("div", { "aria-live": "polite" });
  const retryAll = h("button", { type: "button" }, t("queue.retry_all"));
  retryAll.addEventListener("click", async () => {
    retryAll.disabled = true;
    try { await post("queue/retry"); await refresh(); } catch (e) { box.prepend(errorLine(e)); } finally { retryAll.disabled = false; }
  });
  main.append(heading(t("nav.queue"), retryAll), box);
  async function refresh(): Promise<void> {
    try {
      const page = await list<QueueItem>("queue", { limit: 200 });
      clear(box);
      box.append(table(t("nav.queue"), [
        { label: "queue.id", cell: (m) => h("code", {}, m.id) },
        { label: "queue.sender", cell: (m) => m.sender || "<>" },
        { label: "queue.recipients", cell: (m) => h("ul", { class: "plain" }, m.recipients.map((r) =>
          h("li", {}, r.address, " ", badge(r.state, r.state === "failed" ? "bad" : "info"), r.diagnostic ? h("small", { class: "diag" }, r.diagnostic) : null))) },
        { label: "queue.size", cell: (m) => formatBytes(m.size), className: "num" },
        { label: "queue.next_attempt", cell: (m) => `${formatDate(m.next_attempt)} (${t("queue.attempts", { n: m.attempts ?? 0 })})` },
        { label: "common.actions", cell: (m) => h("div", { class: "row-actions" },
          h("button", { type: "button", onclick: async () => { await post(`queue/${enc(m.id)}/retry`).catch(() => undefined); await refresh(); } }, t("queue.retry")),
          confirmButton(t("queue.remove"), t("common.confirm_delete"), async () => { await del(`queue/${enc(m.id)}`); await refresh(); })) },
      ], page.items, "queue.empty"));
    } catch (e) {
      clear(box);
      box.append(errorLine(e));
    }
  }
  await refresh();
}
