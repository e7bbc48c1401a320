// Runs the front end's unit tests (web/test/*.test.ts) with Node's test runner: esbuild bundles
// each test with the modules it imports into a temporary folder, then `node --test` runs them.
// `node web/test/run.mjs` (ctest runs it as webui_frontend).
import * as esbuild from "esbuild";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const tests = (await readdir(here)).filter((f) => f.endsWith(".test.ts")).map((f) => path.join(here, f));
const out = await mkdtemp(path.join(os.tmpdir(), "kurier-webui-test-"));
try {
  await esbuild.build({ entryPoints: tests, outdir: out, bundle: true, platform: "node", format: "esm", outExtension: { ".js": ".mjs" }, logLevel: "warning" });
  const files = (await readdir(out)).map((f) => path.join(out, f));
  const r = spawnSync(process.execPath, ["--test", ...files], { stdio: "inherit" });
  process.exitCode = r.status ?? 1;
} finally {
  await rm(out, { recursive: true, force: true });
}
