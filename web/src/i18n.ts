// English and German texts. The language is the admin's saved preference when there is one,
// else the first of the browser's navigator.languages that we have, else English.
import { en, type Messages } from "./locales/en";
import { de } from "./locales/de";

export type Lang = "en" | "de";
export type Key = keyof Messages;

const catalogs: Record<Lang, Messages> = { en, de };
export const languages: { code: Lang; name: string }[] = [
  { code: "en", name: "English" },
  { code: "de", name: "Deutsch" },
];

let lang: Lang = "en";
export const currentLang = (): Lang => lang;

export function supported(code: string | null | undefined): Lang | null {
  const base = (code ?? "").toLowerCase().split("-")[0];
  return base === "en" || base === "de" ? base : null;
}

export function chooseLanguage(preference: string | null): Lang {
  const pref = supported(preference);
  if (pref) return pref;
  for (const l of navigator.languages ?? [navigator.language]) {
    const s = supported(l);
    if (s) return s;
  }
  return "en";
}

export function setLanguage(l: Lang): void {
  lang = l;
  document.documentElement.lang = l;
}

// t("accounts.count", {n: 3}): the text for the current language with {name} placeholders filled.
export function t(key: Key, params: Record<string, string | number> = {}): string {
  const text = catalogs[lang][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => (name in params ? String(params[name]) : `{${name}}`));
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !isFinite(n)) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: i === 0 ? 0 : 1 }).format(v)} ${units[i]}`;
}

export function formatNumber(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : new Intl.NumberFormat(lang).format(n);
}

// Timestamps arrive as RFC 3339 strings or Unix seconds.
export function formatDate(v: string | number | null | undefined): string {
  if (v === null || v === undefined || v === "" || v === 0) return t("common.never");
  const d = typeof v === "number" ? new Date(v * 1000) : new Date(v);
  if (isNaN(d.getTime())) return String(v);
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(d);
}
