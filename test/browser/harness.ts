// Browser tests: headless Chromium (Debian's `chromium`, or $CHROMIUM_PATH) driven by
// playwright-core, pages served by a node:http server on 127.0.0.1 at a random port.
//
// Without Chromium the browser suites are skipped with a message, unless JITGRAD_BROWSER_TESTS=1
// (.ci/run sets it), which makes a missing browser a failure.
//
//   const result = await runPage({
//     files: { "/index.html": html, "/app.js": js },
//     headers: { "Content-Security-Policy": "script-src 'self'" }, // on every response
//     until: "window.done === true",
//     inspect: async (page) => page.value("window.result"), // also page.console, page.errors
//   });
// openPage({ url, until, inspect }) does the same for a page served by something else.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { describe, it } from "vitest";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
// $CHROMIUM_PATH, when set, is the only candidate (a path that does not exist means no browser)
export const chromiumPath: string | null =
  (process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : CANDIDATES).find((p) =>
    existsSync(p),
  ) ?? null;
export const browserTestsRequired = process.env.JITGRAD_BROWSER_TESTS === "1";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * describe() for tests that need Chromium: runs them when it is installed; otherwise skips them and
 * says so (how to enable them), or, with JITGRAD_BROWSER_TESTS=1, fails.
 */
export function describeBrowser(name: string, fn: () => void): void {
  if (chromiumPath) {
    describe(name, fn);
    return;
  }
  const how =
    "install it (apt-get install -y chromium) or set CHROMIUM_PATH; JITGRAD_BROWSER_TESTS=1 makes a missing browser a failure";
  if (browserTestsRequired) {
    describe(name, () => {
      it("finds Chromium", () => {
        throw new Error(
          `JITGRAD_BROWSER_TESTS=1 but no Chromium found (${CANDIDATES.join(", ")}): ${how}`,
        );
      });
    });
    return;
  }
  console.warn(`[browser tests] skipped "${name}": no Chromium found; to run them, ${how}`);
  describe.skip(name, fn);
}

// ---- serving ----
export type Files = Record<string, string | Uint8Array>;
export interface Server {
  url: string; // http://127.0.0.1:PORT (no trailing slash)
  close(): Promise<void>;
}
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

/** Serves `files` (path -> content) on 127.0.0.1 at a random port, `headers` on every response. */
export async function serve(files: Files, headers: Record<string, string> = {}): Promise<Server> {
  const server = createServer((req, res) => {
    let path = new URL(req.url ?? "/", "http://x").pathname;
    if (path.endsWith("/")) path += "index.html";
    const body = files[path];
    if (body === undefined) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(path)] ?? "application/octet-stream",
      "cache-control": "no-store",
      ...headers,
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---- the browser ----
/** Runs `fn` with a fresh Chromium (its own temporary profile), closed afterwards. */
export async function withBrowser<T>(fn: (context: BrowserContext) => Promise<T>): Promise<T> {
  if (!chromiumPath) throw new Error("no Chromium found");
  const profile = mkdtempSync(join(tmpdir(), "jitgrad-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: FLAGS,
    viewport: { width: 1100, height: 800 },
  });
  try {
    return await fn(context);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

export interface PageRun {
  page: Page;
  url: string;
  console: string[]; // "type: text" of every console message
  errors: string[]; // uncaught exceptions on the page
  value<T>(expression: string): Promise<T>;
}

interface PageOptions<T> {
  until: string; // a JavaScript expression, waited for until truthy
  timeout?: number; // ms, default 30 s
  inspect: (run: PageRun) => Promise<T>;
}

/** Opens `url` in a fresh Chromium, waits until `until` holds, runs `inspect`, then closes it. */
export async function openPage<T>(opts: PageOptions<T> & { url: string }): Promise<T> {
  return withBrowser(async (context) => {
    const page = context.pages()[0] ?? (await context.newPage());
    const log: string[] = [],
      errors: string[] = [];
    page.on("console", (m) => log.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(opts.url);
    try {
      await page.waitForFunction(opts.until, undefined, { timeout: opts.timeout ?? 30_000 });
    } catch (e) {
      throw new Error(
        `${opts.url}: waited for ${opts.until}: ${e}\nconsole:\n${log.join("\n")}\nerrors:\n${errors.join("\n")}`,
      );
    }
    return opts.inspect({
      page,
      url: opts.url,
      console: log,
      errors,
      value: (expression) => page.evaluate(expression),
    });
  });
}

/** Serves `files` with `headers` (see serve), then opens `path` (default "/") as openPage does. */
export async function runPage<T>(
  opts: PageOptions<T> & { files: Files; headers?: Record<string, string>; path?: string },
): Promise<T> {
  const server = await serve(opts.files, opts.headers);
  try {
    return await openPage({ ...opts, url: server.url + (opts.path ?? "/") });
  } finally {
    await server.close();
  }
}
