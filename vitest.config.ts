import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// every compile in the tests runs the IR verifier after each pipeline stage (compiler/pipeline.ts),
// and results that start uninitialized are filled with NaN first (ir/dtype.ts allocateUnfilled),
// so an element a kernel leaves unwritten fails the test that reads it
const env = { JITGRAD_VERIFY: "1", JITGRAD_POISON_UNFILLED: "1" };
export default defineConfig({
  // "jitgrad" (as the examples import it) is the source here, as tsconfig.json's paths say
  resolve: {
    alias: [
      { find: /^jitgrad$/, replacement: fileURLToPath(new URL("index.ts", import.meta.url)) },
    ],
  },
  test: {
    testTimeout: 60_000,
    projects: [
      // everything, on the default backend (WebAssembly for the GEMMs where it runs)
      { extends: true, test: { name: "default", include: ["test/**/*.test.ts"], env } },
      // the PyTorch golden suites again with JITGRAD_BACKEND=js, so both backends meet the same
      // fixtures
      {
        extends: true,
        test: {
          name: "js",
          include: [
            "test/backend/backend-env.test.ts",
            "test/eager/golden.test.ts",
            "test/autodiff/golden.test.ts",
            "test/compile/conv.test.ts",
          ],
          env: { ...env, JITGRAD_BACKEND: "js" },
        },
      },
    ],
  },
});
