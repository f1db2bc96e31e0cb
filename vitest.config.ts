import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // "jitgrad" (as the examples import it) is the source here, as tsconfig.json's paths say
  resolve: {
    alias: [
      { find: /^jitgrad$/, replacement: fileURLToPath(new URL("index.ts", import.meta.url)) },
    ],
  },
  test: { include: ["test/**/*.test.ts"], testTimeout: 60_000 },
});
