// Shared by the browser scenarios: Debian's Chromium driven by playwright-core (never a
// downloaded browser), axe-core's check of a page (no serious or critical violation allowed),
// and screenshots of a page at desktop and phone width into the artifacts folder.
import { createRequire } from "node:module";
import { readFileSync, mkdirSync } from "node:fs";
import { createHmac } from "node:crypto";
import path from "node:path";

// The npm packages live in web/node_modules (web/package-lock.json pins them).
const require = createRequire(new URL("../../web/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };
const CHROMIUM = process.env.KURIER_CHROMIUM ?? "/usr/bin/chromium";

export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

// A page that fails the scenario on any script error or CSP violation it reports.
export async function newPage(browser, { locale = "en-US" } = {}) {
  const context = await browser.newContext({ viewport: DESKTOP, locale, ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/.test(m.text())) page.problems.push(`console: ${m.text()}`);
  });
  return page;
}

// The form control labelled `text` exactly. A required field's label ends in " *" (hidden from
// screen readers, which hear "required" from the input), hence the optional suffix.
export function field(page, text) {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return page.getByLabel(new RegExp(`^${escaped}( \\*)?$`));
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

export async function login(page, base, username, password) {
  await page.goto(base + "/");
  await field(page, "User name or email address").fill(username);
  await field(page, "Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
}

// axe-core (WCAG 2 A/AA rules and best practices) in the page as it is now. The script goes in
// through the DevTools protocol: the page's CSP forbids inline script, and rightly.
export async function axeCheck(page, name) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  });
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  check(!bad.length, `axe: ${name} has serious or critical violations:\n${JSON.stringify(bad, null, 2)}`);
  return violations;
}

// Screenshots of the page at desktop and phone width (artifacts/NAME-desktop.png, -phone.png),
// each checked by axe, since the phone layout is a different page for a screen reader too.
export async function capture(page, artifacts, name) {
  mkdirSync(artifacts, { recursive: true });
  await settle(page);
  for (const [tag, size] of [["desktop", DESKTOP], ["phone", PHONE]]) {
    await page.setViewportSize(size);
    await settle(page);
    await axeCheck(page, `${name} (${tag})`);
    await page.screenshot({ path: path.join(artifacts, `${name}-${tag}.png`), fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
  check(!page.problems.length, `${name}: ${page.problems.join("\n")}`);
}

// Waits until the page has no request in flight and no "Loading…" line left.
export async function settle(page) {
  await page.waitForLoadState("networkidle");
  await page.waitForFunction(() => !document.querySelector(".loading, [aria-busy='true']"));
}

// Runs a scenario from the command line: `node scenarios.mjs NAME` with its settings as JSON
// in KURIER_BROWSER (base URL, artifacts folder, names and passwords the Python side chose).
export async function run(scenarios) {
  const name = process.argv[2];
  const cfg = JSON.parse(process.env.KURIER_BROWSER ?? "{}");
  const scenario = scenarios[name];
  if (!scenario) {
    console.error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(", ")}`);
    process.exit(2);
  }
  const browser = await launch();
  let page;
  try {
    page = await newPage(browser, { locale: cfg.locale });
    const result = await scenario(page, cfg);
    console.log(JSON.stringify(result ?? {}));
  } catch (e) {
    if (page && cfg.artifacts) {
      mkdirSync(cfg.artifacts, { recursive: true });
      await page.screenshot({ path: path.join(cfg.artifacts, `FAILED-${name}.png`), fullPage: true }).catch(() => {});
    }
    console.error(`scenario ${name} failed at ${page?.url()}:\n${e.stack ?? e}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

// The TOTP code (RFC 6238: HOTP of RFC 4226 over 30-second steps, SHA-1, 6 digits) of a base32
// secret for the step `offset` steps from now: what an authenticator app would show.
export function totpCode(base32Secret, offset = 0) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of base32Secret.replace(/[\s=]/g, "").toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + offset));
  const mac = createHmac("sha1", key).update(counter).digest();
  const at = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1000000).padStart(6, "0");
}
