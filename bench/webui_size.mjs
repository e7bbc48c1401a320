// Bytes a browser transfers for the web UI's first page load (issue 11's target: < 250 KB,
// compressed): Debian's Chromium loads BASE/ with an empty cache and counts, from the DevTools
// protocol, the encoded bytes of every response (headers + compressed body). Then it logs in
// and counts the dashboard's load the same way. `node bench/webui_size.mjs BASE USER PASSWORD`.
import { createRequire } from "node:module";

const require = createRequire(new URL("../web/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const [base, user, password] = process.argv.slice(2);

const browser = await chromium.launch({ executablePath: process.env.KURIER_CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
const page = await browser.newPage({ locale: "en-US" });
const cdp = await page.context().newCDPSession(page);
await cdp.send("Network.enable");
await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
const urls = new Map();
let loads = [];
cdp.on("Network.responseReceived", (e) => urls.set(e.requestId, `${e.response.status} ${e.response.headers["content-encoding"] ?? e.response.headers["Content-Encoding"] ?? "identity"} ${e.response.url}`));
cdp.on("Network.loadingFinished", (e) => loads.push({ url: urls.get(e.requestId) ?? e.requestId, bytes: e.encodedDataLength }));

function report(title) {
  const total = loads.reduce((a, l) => a + l.bytes, 0);
  console.log(`${title}: ${loads.length} responses, ${total} bytes (${(total / 1024).toFixed(1)} KiB) transferred`);
  for (const l of loads) console.log(`  ${String(l.bytes).padStart(8)}  ${l.url.replace(base, "")}`);
  loads = [];
  return total;
}

await page.goto(base + "/", { waitUntil: "networkidle" });
await page.getByRole("heading", { name: "Log in" }).waitFor();
const first = report("first page load (login page, empty cache)");
if (user) {
  await page.getByLabel(/^User name or email address( \*)?$/).fill(user);
  await page.getByLabel(/^Password( \*)?$/).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("heading", { name: "Storage per domain" }).waitFor();
  await page.waitForLoadState("networkidle");
  report("after login (dashboard: session and stats API calls)");
}
await browser.close();
console.log(`RESULT first_page_bytes=${first} target<256000 ${first < 256000 ? "OK" : "OVER"}`);
process.exitCode = first < 256000 ? 0 : 1;
