import { defineConfig } from "vitest/config";

export default defineConfig({
  // every compile in the tests runs the IR verifier after each pipeline stage (compiler/pipeline.ts)
  test: { include: ["test/**/*.test.ts"], testTimeout: 60_000, env: { JITGRAD_VERIFY: "1" } },
});
