// npm run demo:browser: builds the demo and serves it on http://127.0.0.1:PORT (default 8123, or
// any free port if that one is taken). Open the printed URL; Ctrl-C stops it.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { extname } from "node:path";
import { buildDemo } from "./build";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};
const files = await buildDemo();
const server = createServer((req, res) => {
  let path = new URL(req.url ?? "/", "http://x").pathname;
  if (path.endsWith("/")) path += "index.html";
  const body = files[path];
  if (body === undefined) res.writeHead(404).end("not found");
  else res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "text/plain" }).end(body);
});
const listen = (port: number) => server.listen(port, "127.0.0.1");
server.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EADDRINUSE") listen(0);
  else throw e;
});
server.on("listening", () => {
  const { port } = server.address() as AddressInfo;
  console.log(`jitgrad browser demo: http://127.0.0.1:${port}/  (Ctrl-C to stop)`);
});
listen(Number(process.env.PORT ?? 8123));
