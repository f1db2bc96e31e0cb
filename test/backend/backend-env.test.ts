// JITGRAD_BACKEND picks the backend at startup: the "js" vitest project runs this file (and the
// golden suites) with JITGRAD_BACKEND=js, the default project without it (Wasm, where it runs).
import { expect, it } from "vitest";
import { gemmStats } from "../../backend/wasm/gemm";
import { compile, getBackend, randn, type Tensor } from "../../index";

it("JITGRAD_BACKEND chooses the backend", () => {
  const asked = process.env.JITGRAD_BACKEND;
  expect(getBackend()).toBe(asked === "js" ? "js" : "wasm");
  const before = gemmStats.products;
  randn([64, 64]).matmul(randn([64, 64]));
  expect(gemmStats.products - before).toBe(asked === "js" ? 0 : 1);
});

it("JITGRAD_BACKEND=js keeps costly chains in the JS kernels", () => {
  const asked = process.env.JITGRAD_BACKEND;
  const code = compile((x: Tensor) => x.tanh().mul(x).sum()).explain(randn([1e5])).code;
  expect(code.includes("a Wasm SIMD kernel")).toBe(asked !== "js");
  expect(code.includes("tanhf(")).toBe(asked === "js");
});
