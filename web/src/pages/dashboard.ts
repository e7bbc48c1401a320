// Dashboard: counts, storage per domain, and messages received/sent/bounced per hour over 48 h
// from the server's own counters (the ones /metrics exports), via GET /api/v1/stats.
import { h } from "../dom";
import { get } from "../api";
import { t, formatNumber, formatBytes } from "../i18n";
import { heading, section, table, errorLine, link } from "../components";
import { hourlyChart, last48Hours } from "../chart";
import { domainPath, type PageContext } from "../main";

interface Stats {
  domains?: number; accounts?: number; aliases?: number; admins?: number; queue?: number;
  storage?: { domain: string; bytes: number; quota?: number | null }[];
  hourly?: { start?: string; hour?: string | number; received?: number; sent?: number; bounced?: number }[];
}

export async function dashboardPage({ main }: PageContext): Promise<void> {
  main.append(heading(t("nav.dashboard")));
  let stats: Stats;
  try {
    stats = await get<Stats>("stats");
  } catch (e) {
    main.append(errorLine(e));
    return;
  }
  const counts: [string, number | undefined, string][] = [
    [t("dashboard.domains"), stats.domains, "/domains"],
    [t("dashboard.accounts"), stats.accounts, "/accounts"],
    [t("dashboard.aliases"), stats.aliases, "/accounts"],
    [t("dashboard.queue"), stats.queue, "/queue"],
  ];
  main.append(h("ul", { class: "counters", "aria-label": t("dashboard.counts") },
    counts.filter(([, n]) => n !== undefined).map(([label, n, href]) =>
      h("li", { class: "counter" }, link(href, h("span", { class: "counter-n" }, formatNumber(n)), h("span", { class: "counter-label" }, label))))));

  // The server's whole traffic: only a super-admin gets it (a domain admin sees no chart).
  if (stats.hourly) {
    const buckets = stats.hourly.map((b) => ({
      start: new Date(typeof b.hour === "number" ? b.hour * 1000 : (b.start ?? b.hour ?? 0)),
      values: { received: b.received ?? 0, sent: b.sent ?? 0, bounced: b.bounced ?? 0 },
    }));
    main.append(section(t("dashboard.chart_title"), hourlyChart(t("dashboard.chart_title"), last48Hours(buckets), [
      { key: "received", label: "dashboard.received", className: "s-received" },
      { key: "sent", label: "dashboard.sent", className: "s-sent" },
      { key: "bounced", label: "dashboard.bounced", className: "s-bounced" },
    ])));
  }

  const storage = [...(stats.storage ?? [])].sort((a, b) => b.bytes - a.bytes);
  main.append(section(t("dashboard.storage"), table(t("dashboard.storage"), [
    { label: "domains.name", cell: (r) => link(domainPath(r.domain), r.domain) },
    { label: "dashboard.used", cell: (r) => formatBytes(r.bytes), className: "num" },
    { label: "domains.total_quota", cell: (r) => (r.quota ? formatBytes(r.quota) : t("quota.unlimited")), className: "num" },
  ], storage)));
}
