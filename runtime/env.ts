// Environment variables where there are any: Node, Deno and Bun have `process.env`; a browser or a
// Web Worker has no `process`, and a bundler may leave the name undefined, so never read it bare.
export function envVar(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  return env?.[name];
}
