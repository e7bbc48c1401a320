// The language choice and the formatting of numbers, sizes and texts.
import { test } from "node:test";
import assert from "node:assert/strict";

const nav = { languages: ["fr-FR", "de-AT", "en"], language: "fr-FR" };
Object.defineProperty(globalThis, "navigator", { value: nav, configurable: true });
Object.defineProperty(globalThis, "document", { value: { documentElement: { lang: "" } }, configurable: true });
const { chooseLanguage, setLanguage, t, formatBytes, supported } = await import("../src/i18n");
const { en } = await import("../src/locales/en");
const { de } = await import("../src/locales/de");

test("a saved preference wins over the browser", () => {
  assert.equal(chooseLanguage("en"), "en");
  assert.equal(chooseLanguage("de-DE"), "de");
});

test("else the first browser language we have", () => {
  assert.equal(chooseLanguage(null), "de");
  nav.languages = ["fr", "es"];
  assert.equal(chooseLanguage(null), "en");
  nav.languages = ["fr-FR", "de-AT", "en"];
  assert.equal(supported("pt"), null);
});

test("texts with placeholders, in the chosen language", () => {
  setLanguage("de");
  assert.equal(document.documentElement.lang, "de");
  assert.equal(t("paging.page", { n: 3 }), "Seite 3");
  setLanguage("en");
  assert.equal(t("paging.page", { n: 3 }), "Page 3");
  assert.equal(t("domains.title"), "Domain {name}", "a missing parameter stays visible");
});

test("both catalogues have the same keys and no empty text", () => {
  assert.deepEqual(Object.keys(de).sort(), Object.keys(en).sort());
  for (const [k, v] of [...Object.entries(en), ...Object.entries(de)]) assert.ok(v.trim(), k);
  // Every placeholder of an English text is in its German text too.
  for (const [k, v] of Object.entries(en)) {
    const names = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    assert.deepEqual(names(de[k as keyof typeof de]), names(v), k);
  }
});

test("sizes in binary units", () => {
  setLanguage("en");
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1536), "1.5 KB");
  assert.equal(formatBytes(100 * 1024 * 1024), "100 MB");
  assert.equal(formatBytes(null), "—");
});

test("a problem in German: the code in German words, the server's detail after it", async () => {
  const { problemText } = await import("../src/components");
  const { ApiError } = await import("../src/api");
  const e = new ApiError(403, "forbidden", "the old password is wrong");
  setLanguage("en");
  assert.equal(problemText(e), "the old password is wrong");
  setLanguage("de");
  assert.equal(problemText(e), "Sie dürfen das nicht. (the old password is wrong)");
  assert.equal(problemText(new ApiError(418, "teapot", "short and stout")), "short and stout", "unknown codes keep the detail");
  setLanguage("en");
});
