// Builds web/dist: the app bundled and minified by esbuild with content-hashed names under
// assets/ (the server lets browsers cache /assets/ for a year: a new build has new names),
// index.html pointing at them, and the favicon.
// src/webui/ embeds web/dist into the kurier binary. `node build.mjs --watch` rebuilds on change.
import * as esbuild from "esbuild";
import { mkdir, readFile, rm, writeFile, copyFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, "src");
const dist = process.env.KURIER_WEBUI_DIST ?? path.join(here, "dist");

const options = {
  entryPoints: { app: path.join(src, "main.ts"), style: path.join(src, "app.css") },
  outdir: path.join(dist, "assets"),
  entryNames: "[name]-[hash]",
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
};

async function writeIndex(metafile) {
  const outputs = Object.entries(metafile.outputs);
  const find = (entry) => "assets/" + path.basename(outputs.find(([, o]) => o.entryPoint?.endsWith(entry))[0]);
  const html = (await readFile(path.join(src, "index.html"), "utf8"))
    .replace("{{app.js}}", find("main.ts"))
    .replace("{{app.css}}", find("app.css"));
  await writeFile(path.join(dist, "index.html"), html);
  await copyFile(path.join(src, "favicon.svg"), path.join(dist, "favicon.svg"));
}

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
if (process.argv.includes("--watch")) {
  const ctx = await esbuild.context({
    ...options,
    plugins: [{ name: "index", setup: (b) => b.onEnd((r) => r.metafile && writeIndex(r.metafile)) }],
  });
  await ctx.watch();
} else {
  const result = await esbuild.build(options);
  await writeIndex(result.metafile);
}
