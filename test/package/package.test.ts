// The package as a user gets it: `npm pack` (whose prepack runs the build), then the tarball
// installed into a fresh project under the OS temp dir, used by every kind of consumer:
// plain Node ESM, CommonJS, strict TypeScript with nodenext and bundler resolution, a
// worker_threads worker, and an esbuild browser bundle (default settings) run in headless Chromium
// on the page and in a Web Worker, its results checked against Node's.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeBrowser, openPage, runPage, serve } from "../browser/harness";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const fixtures = join(root, "test/package/fixtures");
const bin = (name: string) => join(root, "node_modules/.bin", name);

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed:\n${err.stdout}\n${err.stderr}`);
  }
}

interface Packed {
  size: number;
  unpackedSize: number;
  entryCount: number;
  filename: string;
  files: { path: string; size: number }[];
}

let tmp: string, project: string, packed: Packed, nodeResult: Record<string, unknown>;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "jitgrad-package-"));
  const out = run("npm", ["pack", "--json", "--pack-destination", tmp], root);
  // prepack's build prints before npm's JSON
  packed = JSON.parse(out.slice(out.search(/^\[/m)))[0];
  project = join(tmp, "consumer");
  cpSync(fixtures, project, { recursive: true });
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  run(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", join(tmp, packed.filename)],
    project,
  );
  console.log(
    `tarball ${packed.filename}: ${(packed.size / 1024).toFixed(1)} kB packed, ${(packed.unpackedSize / 1024).toFixed(1)} kB unpacked, ${packed.entryCount} files: ${packed.files.map((f) => f.path).join(", ")}`,
  );
}, 180_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("the tarball", () => {
  it("holds the built library, its types, README, LICENSE and CHANGELOG, and nothing else", () => {
    expect(packed.files.map((f) => f.path).sort()).toEqual([
      "CHANGELOG.md",
      "LICENSE",
      "README.md",
      "dist/index.cjs",
      "dist/index.d.ts",
      "dist/index.js",
      "package.json",
    ]);
  });

  it("has no Node-only globals or modules in the library code", () => {
    const js = readFileSync(join(project, "node_modules/jitgrad/dist/index.js"), "utf8");
    // (a free `Buffer`: a property of a module reached through getBuiltinModule is no global)
    expect(js).not.toMatch(/\bprocess\.|(?<![.\w$])Buffer\b|\brequire\(|from "node:/);
    expect(js).toContain("globalThis.process?.env"); // JITGRAD_LOG, where there is an environment
  });
});

describe("Node consumers", () => {
  it("ESM: node main.mjs", () => {
    nodeResult = JSON.parse(run("node", ["main.mjs"], project));
    expect(nodeResult).toMatchObject({
      eager: {
        y: 12.5,
        grad: [
          [1, 1.5],
          [2, 2.5],
        ],
        gradFn: "MeanBackward0",
      },
      serialized: {
        dtype: "float32",
        shape: [2, 2],
        values: [
          [1, 3],
          [2, 4],
        ],
      },
      adam: { steps: 5, compiles: 1 },
    });
    const losses = (nodeResult.adam as { losses: number[] }).losses;
    expect(losses[4]).toBeLessThan(losses[0]);
    expect((nodeResult.adam as { repr: string }).repr).toMatch(/^Sequential\(\n {2}\(0\): Linear/);
  });

  it("CommonJS: require('jitgrad') is the same module as import", () => {
    expect(JSON.parse(run("node", ["main.cjs"], project))).toEqual({
      grad: [2, 4, 6],
      compiled: expect.closeTo(Math.E + Math.exp(2) + Math.exp(3), 4),
      same: true,
    });
  });

  it("CommonJS where require() cannot load ES modules: a clear message", () => {
    const out = run("node", ["--no-experimental-require-module", "old-node.cjs"], project);
    expect(out).toMatch(/^jitgrad is an ES module: use import .*Node >= 20\.19/);
  });

  it("parallel kernels: the bundle's helpers rebuilt on worker threads give the same bits", () => {
    expect(JSON.parse(run("node", ["threads.mjs"], project))).toEqual({
      n: 301 * 129 + 1,
      same: true,
    });
  });

  it("worker_threads: a tensor moved to a worker, trained there, sent back", () => {
    const r = JSON.parse(run("node", ["worker-main.mjs"], project));
    expect(r).toMatchObject({ sameStorage: true, moved: true, weightShape: [32, 2] });
    expect(r.weightFinite).toBe(true);
    expect(r.losses.at(-1)).toBeLessThan(r.losses[0] / 4);
    expect(r.ticks).toBeGreaterThan(0); // the main thread ran its timer meanwhile
  });
});

describe("TypeScript consumers (tsc --noEmit --strict, no @types, no skipLibCheck)", () => {
  it.each(["nodenext", "bundler"])("moduleResolution %s", (mode) => {
    run(bin("tsc"), ["-p", `tsconfig.${mode}.json`], project);
  });
});

describeBrowser("browser bundle (esbuild defaults) in headless Chromium", () => {
  const files: Record<string, string> = {};
  beforeAll(() => {
    const dir = join(project, "browser");
    run(bin("esbuild"), ["entry.js", "--bundle", "--outfile=bundle.js"], dir);
    run(bin("esbuild"), ["worker-entry.js", "--bundle", "--outfile=worker.js"], dir);
    const minArgs = ["--bundle", "--minify", "--outfile=bundle.min.js", "--metafile=meta.json"];
    run(bin("esbuild"), ["entry.js", ...minArgs], dir);
    for (const f of ["index.html", "bundle.js", "worker.js"])
      files[`/${f}`] = readFileSync(join(dir, f), "utf8");
    // what the minified bundle holds, by package
    const min = readFileSync(join(dir, "bundle.min.js"));
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"));
    const byPackage: Record<string, number> = {};
    for (const [path, { bytesInOutput }] of Object.entries(
      meta.outputs["bundle.min.js"].inputs as Record<string, { bytesInOutput: number }>,
    )) {
      const name = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? "the test's own code";
      byPackage[name] = (byPackage[name] ?? 0) + bytesInOutput;
    }
    const kB = (n: number) => `${(n / 1024).toFixed(1)} kB`;
    console.log(
      `browser bundle (esbuild defaults): ${kB(files["/bundle.js"].length)}; minified ${kB(min.length)}, min+gzip ${kB(gzipSync(min).length)}; minified by package: ${Object.entries(
        byPackage,
      )
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${kB(v)}`)
        .join(", ")}`,
    );
  });

  it("runs the workload on the page and in a Web Worker, as Node does", async () => {
    const result = await runPage({
      files,
      until: "window.jitgradResult !== undefined",
      inspect: async (p) => {
        expect(p.errors).toEqual([]);
        return p.value<Record<string, unknown>>("window.jitgradResult");
      },
    });
    expect(result.error).toBeUndefined();
    const { page, worker } = result as { page: unknown; worker: Record<string, unknown> };
    expect(nodeResult).toBeDefined();
    expectClose(page, nodeResult);
    expectClose(worker.result, nodeResult);
    expect(worker.doubled).toEqual([
      [2, 4, 6],
      [8, 10, 12],
    ]);
    expect(worker.moved).toBe(true);
  });
  // A page whose Content-Security-Policy refuses 'unsafe-eval': eager kernels are interpreted from
  // their plans and compile()/valueAndGrad() run eagerly (with one warning), so the workload gives
  // Node's results, except the kernel count explain() reports (0: nothing was compiled).
  it("a page with a strict Content-Security-Policy (no 'unsafe-eval'): same results, interpreted", async () => {
    const result = await runPage({
      files,
      headers: { "Content-Security-Policy": "default-src 'self'; script-src 'self'" },
      until: "window.jitgradResult !== undefined",
      inspect: (p) => p.value<Record<string, unknown>>("window.jitgradResult"),
    });
    expect(result.error).toBeUndefined();
    const { page } = result as { page: Record<string, Record<string, unknown>> };
    expect(page.compiled.kernels).toBe(0);
    const node = nodeResult as Record<string, Record<string, unknown>>;
    expectClose(
      { ...page, compiled: { ...page.compiled, kernels: 0 } },
      { ...node, compiled: { ...node.compiled, kernels: 0 } },
    );
  });
});

describeBrowser("Vite (default settings) in headless Chromium", () => {
  const check = (url: string) =>
    openPage({
      url,
      until: "window.jitgradResult !== undefined",
      inspect: async (p) => {
        expect(p.errors).toEqual([]);
        return p.value<Record<string, unknown>>("window.jitgradResult");
      },
    });

  it("the dev server serves the workload, results as Node's", async () => {
    const port = await freePort();
    const vite = spawn(
      bin("vite"),
      ["vite", "--host", "127.0.0.1", "--port", String(port), "--strictPort"],
      { cwd: project, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    vite.stdout.on("data", (d) => {
      output += d;
    });
    vite.stderr.on("data", (d) => {
      output += d;
    });
    try {
      const url = `http://127.0.0.1:${port}/`;
      for (
        let i = 0;
        !(await fetch(url).then(
          (r) => r.ok,
          () => false,
        ));
        i++
      ) {
        if (i > 300 || vite.exitCode !== null) throw new Error(`vite did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expectClose(await check(url), nodeResult);
    } finally {
      vite.kill();
    }
  });

  it("a production build (vite build) runs the same", async () => {
    run(bin("vite"), ["build", "vite", "--logLevel", "warn"], project);
    const dir = join(project, "vite/dist");
    const files: Record<string, string> = {
      "/index.html": readFileSync(join(dir, "index.html"), "utf8"),
    };
    for (const f of readdirSync(join(dir, "assets")))
      files[`/assets/${f}`] = readFileSync(join(dir, "assets", f), "utf8");
    const server = await serve(files);
    try {
      expectClose(await check(`${server.url}/`), nodeResult);
    } finally {
      await server.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

// Same structure, strings equal, numbers within float32 rounding (the engines' Math may differ).
function expectClose(actual: unknown, expected: unknown, path = "result"): void {
  if (typeof expected === "number") {
    expect(typeof actual, path).toBe("number");
    expect(Math.abs((actual as number) - expected), path).toBeLessThanOrEqual(
      1e-6 * Math.max(1, Math.abs(expected)),
    );
  } else if (expected && typeof expected === "object") {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected))
      expectClose((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
  } else expect(actual, path).toEqual(expected);
}
