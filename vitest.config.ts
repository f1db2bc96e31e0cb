import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // "jitgrad" (as the examples import it) is the source here, as tsconfig.json's paths say
  resolve: {
    alias: [
      { find: /^jitgrad$/, replacement: fileURLToPath(new URL("index.ts", import.meta.url)) },
    ],
  },
  // every compile in the tests runs the IR verifier after each pipeline stage (compiler/pipeline.ts)
  test: { include: ["test/**/*.test.ts"], testTimeout: 60_000, env: { JITGRAD_VERIFY: "1" } },
});
