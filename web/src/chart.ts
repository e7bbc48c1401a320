// A line chart of messages per hour drawn as SVG (no chart library): one polyline per series,
// hour ticks every 6 hours, a legend, and the same numbers as a table for screen readers.
import { h, svg } from "./dom";
import { scrollable } from "./components";
import { t, formatNumber, currentLang, type Key } from "./i18n";

export interface HourPoint { start: Date; values: Record<string, number> }
export interface Series { key: string; label: Key; className: string }

const W = 720, H = 240, PAD_L = 44, PAD_R = 12, PAD_T = 12, PAD_B = 28;

export function hourlyChart(title: string, points: HourPoint[], series: Series[]): HTMLElement {
  const max = niceMax(Math.max(1, ...points.flatMap((p) => series.map((s) => p.values[s.key] ?? 0))));
  const x = (i: number) => PAD_L + (points.length <= 1 ? 0 : (i * (W - PAD_L - PAD_R)) / (points.length - 1));
  const y = (v: number) => PAD_T + (H - PAD_T - PAD_B) * (1 - v / max);
  const titleId = "chart-title";
  const hourFmt = new Intl.DateTimeFormat(currentLang(), { hour: "2-digit", minute: "2-digit" });
  const dayFmt = new Intl.DateTimeFormat(currentLang(), { weekday: "short", hour: "2-digit" });

  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => [
    svg("line", { x1: PAD_L, x2: W - PAD_R, y1: y(max * f), y2: y(max * f), class: "grid" }),
    svg("text", { x: PAD_L - 6, y: y(max * f) + 4, class: "tick", "text-anchor": "end" }, formatNumber(max * f)),
  ]);
  const ticks = points.map((p, i) => (i % 6 === 0 ? svg("text", { x: x(i), y: H - 8, class: "tick", "text-anchor": "middle" }, hourFmt.format(p.start)) : null));
  const lines = series.map((s) => svg("polyline", {
    class: `series ${s.className}`, fill: "none",
    points: points.map((p, i) => `${x(i).toFixed(1)},${y(p.values[s.key] ?? 0).toFixed(1)}`).join(" "),
  }));
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": titleId, class: "chart" },
    svg("title", { id: titleId }, title), grid, ticks, lines);

  const legend = h("ul", { class: "legend" }, series.map((s) => {
    const total = points.reduce((a, p) => a + (p.values[s.key] ?? 0), 0);
    return h("li", {}, h("span", { class: `swatch ${s.className}`, "aria-hidden": "true" }), `${t(s.label)}: ${formatNumber(total)}`);
  }));
  const data = h("details", { class: "chart-data" }, h("summary", {}, t("dashboard.chart_as_table")),
    scrollable(title, h("div", { class: "table-wrap" }, h("table", {},
      h("caption", { class: "visually-hidden" }, title),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("dashboard.hour")), series.map((s) => h("th", { scope: "col" }, t(s.label))))),
      h("tbody", {}, points.map((p) => h("tr", {}, h("th", { scope: "row" }, dayFmt.format(p.start)),
        series.map((s) => h("td", {}, formatNumber(p.values[s.key] ?? 0))))))))));
  return h("figure", { class: "chart-figure" }, chart, h("figcaption", {}, legend), data);
}

function niceMax(v: number): number {
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 4, 6, 8, 10]) if (v <= m * mag) return m * mag;
  return 10 * mag;
}

// The 48 hours ending now, filled from the server's buckets (missing hours count zero).
export function last48Hours(buckets: { start: Date; values: Record<string, number> }[], now = new Date()): HourPoint[] {
  // Hours as the server counts them: whole hours of Unix time (in some time zones not the
  // local clock's hours).
  const end = new Date(Math.floor(now.getTime() / 3600e3) * 3600e3);
  const byHour = new Map(buckets.map((b) => [Math.floor(b.start.getTime() / 3600e3), b.values]));
  const out: HourPoint[] = [];
  for (let i = 47; i >= 0; i--) {
    const start = new Date(end.getTime() - i * 3600e3);
    out.push({ start, values: byHour.get(Math.floor(start.getTime() / 3600e3)) ?? {} });
  }
  return out;
}
