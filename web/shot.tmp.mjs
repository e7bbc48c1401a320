import { chromium } from "playwright-core";
import { readFile } from "node:fs/promises";
const axe = await readFile(new URL("./node_modules/axe-core/axe.min.js", import.meta.url), "utf8");
const [base, out, ...paths] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
for (const [w, h, tag] of [[1280, 900, "desktop"], [390, 844, "phone"]]) {
  const page = await browser.newPage({ viewport: { width: w, height: h } });
  page.on("console", (m) => console.log("console:", m.text()));
  page.on("pageerror", (e) => console.log("pageerror:", e.message));
  for (const p of paths) {
    await page.goto(base + p);
    await page.waitForLoadState("networkidle");
    await page.screenshot({ path: `${out}/${tag}${p.replace(/\W+/g, "_")}.png`, fullPage: true });
    if (tag === "desktop") {
      await page.evaluate(axe);
      const r = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations.map((v) => `${v.impact} ${v.id}: ${v.nodes.length} ${v.nodes[0].html.slice(0,120)}`));
      console.log(p, JSON.stringify(r, null, 1));
    }
  }
}
await browser.close();
