// Bundles the browser demo (src/main.ts -> main.js, src/worker.ts -> worker.js) with esbuild,
// "jitgrad" resolved to the repo's source, and returns the files of the page to serve.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

export async function buildDemo(): Promise<Record<string, string>> {
  const out = await build({
    entryPoints: { main: join(here, "src/main.ts"), worker: join(here, "src/worker.ts") },
    outdir: "/", // not written: write is false
    write: false,
    bundle: true,
    format: "iife",
    target: "es2022",
    alias: { jitgrad: join(here, "../../index.ts") },
    tsconfig: join(here, "tsconfig.json"),
    logLevel: "warning",
  });
  const files: Record<string, string> = {
    "/index.html": readFileSync(join(here, "index.html"), "utf8"),
    "/style.css": readFileSync(join(here, "style.css"), "utf8"),
  };
  for (const f of out.outputFiles) files[f.path] = f.text;
  return files;
}
