// npm run docs: the API reference in docs/api/ (HTML; open docs/api/index.html), rendered by
// TypeDoc from the JSDoc of the published declarations (dist/index.d.ts, internals stripped).
// TypeDoc does not support TypeScript 7 yet, so it lives in scripts/docs/ with its own TypeScript 6
// and lock file, installed here on first use.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tools = join(root, "scripts/docs");
const run = (cmd: string, args: string[], cwd = root) =>
  execFileSync(cmd, args, { cwd, stdio: "inherit" });

run(join(root, "node_modules/.bin/tsx"), [join(root, "scripts/build.ts"), "--quiet"]);
const typedoc = join(tools, "node_modules/typedoc/bin/typedoc");
if (!existsSync(typedoc)) run("npm", ["ci", "--no-audit", "--no-fund"], tools);
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
run(process.execPath, [
  typedoc,
  "--tsconfig",
  join(tools, "tsconfig.json"),
  "--entryPoints",
  join(root, "dist/index.d.ts"),
  "--name",
  `jitgrad ${pkg.version}`,
  "--readme",
  join(root, "README.md"),
  "--out",
  join(root, "docs/api"),
  "--excludePrivate",
  "--excludeInternal",
  // helper types that the API names but does not export (Operand, Dims, ...) are shown by name
  "--validation.notExported",
  "false",
  "--treatWarningsAsErrors",
]);
console.log("API reference: docs/api/index.html");
