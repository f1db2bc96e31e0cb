// npm run build: the published package in dist/.
//   dist/index.js     ESM, every library module bundled by esbuild (runtime dependencies stay imports)
//   dist/index.cjs    a CommonJS entry that hands require() the same ES module (Node >= 20.19)
//   dist/index.d.ts   the public declarations in one file: tsc emits per-module declarations without
//                     @internal members, API Extractor rolls them up
// Bundling from the one entry keeps the build independent of the source folder layout, and a single
// .d.ts has no extensionless relative imports for a `nodenext` consumer to trip over.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Extractor, ExtractorConfig, ExtractorLogLevel } from "@microsoft/api-extractor";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");
const work = join(root, ".build");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const quiet = process.argv.includes("--quiet");
const say = (s: string) => {
  if (!quiet) console.log(s);
};

rmSync(dist, { recursive: true, force: true });
rmSync(work, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

// 1. JavaScript. platform "neutral": no Node built-ins are assumed, so an import of one fails here.
// keepNames: nn.Module prints its class name, which a consumer's minifier would otherwise mangle.
const js = await build({
  entryPoints: [join(root, "index.ts")],
  outfile: join(dist, "index.js"),
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external: Object.keys(pkg.dependencies ?? {}),
  keepNames: true,
  metafile: true,
  logLevel: "warning",
  banner: {
    js: `// jitgrad ${pkg.version} (${pkg.license}): built from index.ts by scripts/build.ts`,
  },
});
const inputs = Object.keys(js.metafile.inputs);
const nodeOnly = Object.values(js.metafile.inputs)
  .flatMap((i) => i.imports)
  .filter((i) => i.path.startsWith("node:") || ["fs", "path", "buffer"].includes(i.path));
if (nodeOnly.length)
  throw new Error(`the library imports Node built-ins: ${nodeOnly.map((i) => i.path)}`);
say(`dist/index.js: ${inputs.length} modules`);

// 2. CommonJS: Node >= 20.19 (and 22.12) can require() an ES module, which keeps one copy of the
// library (one Tensor class, one grad mode, one random generator) for import and require alike.
writeFileSync(
  join(dist, "index.cjs"),
  `"use strict";
// jitgrad is an ES module; require("jitgrad") returns the same module that import gives.
try {
  module.exports = require("./index.js");
} catch (e) {
  if (e && e.code === "ERR_REQUIRE_ESM")
    throw new Error(
      "jitgrad is an ES module: use import (or await import(\\"jitgrad\\")), or run Node >= 20.19 / 22.12, where require() loads ES modules. (" +
        e.message +
        ")",
    );
  throw e;
}
`,
);

// 3. Declarations: tsc (the repo's TypeScript) emits them per module, API Extractor rolls them up.
execFileSync(join(root, "node_modules/.bin/tsc"), ["-p", join(root, "tsconfig.build.json")], {
  stdio: "inherit",
});
const config = ExtractorConfig.prepare({
  configObject: {
    projectFolder: root,
    mainEntryPointFilePath: join(work, "types/index.d.ts"),
    compiler: {
      overrideTsconfig: {
        compilerOptions: {
          target: "es2022",
          module: "esnext",
          moduleResolution: "bundler",
          lib: ["es2022"],
          types: [],
          strict: true,
        },
        files: [join(work, "types/index.d.ts"), join(root, "scripts/lib-globals.d.ts")],
      },
    },
    dtsRollup: { enabled: true, untrimmedFilePath: join(dist, "index.d.ts") },
    docModel: { enabled: false },
    apiReport: { enabled: false, reportFileName: "jitgrad.api.md" },
    tsdocMetadata: { enabled: false },
    messages: {
      compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Error } },
      extractorMessageReporting: {
        default: { logLevel: ExtractorLogLevel.Warning },
        "ae-missing-release-tag": { logLevel: ExtractorLogLevel.None },
        "ae-forgotten-export": { logLevel: ExtractorLogLevel.None },
        "ae-internal-missing-underscore": { logLevel: ExtractorLogLevel.None },
      },
      tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.Warning } },
    },
  },
  configObjectFullPath: join(root, "api-extractor.json"), // not read: names the config in messages
  packageJsonFullPath: join(root, "package.json"),
});
const result = Extractor.invoke(config, {
  localBuild: true,
  messageCallback: (m) => {
    if (m.logLevel === ExtractorLogLevel.Info || m.logLevel === ExtractorLogLevel.Verbose)
      m.handled = true; // "Analysis will use the bundled TypeScript version ..."
  },
});
if (!result.succeeded) throw new Error(`API Extractor: ${result.errorCount} errors`);
say(`dist/index.d.ts: ${readFileSync(join(dist, "index.d.ts"), "utf8").split("\n").length} lines`);
