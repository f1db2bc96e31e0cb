// A plan with a sibling reduction (backend/plan.ts): the generated loops, the interpreter (pages
// that refuse code generation) and the chunked form that threads run give the same sums.
import { describe, expect, it } from "vitest";
import { interpret } from "../../backend/js/interpret";
import { emitLoops } from "../../backend/js/loops";
import { splitKernel } from "../../backend/js/parallel";
import { instantiate } from "../../backend/js/prelude";
import type { LoopKernel } from "../../backend/plan";
import { arg, S } from "../../ir/scalar";

// x: [3, 5]; row sums as the kernel's reduction (outer dim 0, reduced dim 1), column sums and
// column maxima as siblings (they keep the reduced dim)
const add = S.add(arg(0), arg(1)),
  max = S.select(S.or(S.ge(arg(0), arg(1)), S.ne(arg(0), arg(0))), arg(0), arg(1));
const plan: LoopKernel = {
  name: "rows_and_columns",
  comments: [],
  params: ["rows", "cols", "maxima", "rows2", "x"],
  sizes: [3, 5],
  reduced: 1,
  temps: [
    {
      name: "v",
      expr: { kind: "load", access: { buf: "x", offset: 0, strides: [5, 1] } },
      phase: "inner",
    },
  ],
  reductions: [{ name: "acc", value: "v", combine: add, dtype: "float64", init: 0 }],
  stores: [{ access: { buf: "rows", offset: 0, strides: [1, 0] }, value: "acc", phase: "outer" }],
  siblings: [
    {
      name: "part0",
      value: "v",
      combine: add,
      dtype: "float64",
      init: 0,
      size: 5,
      access: { buf: "cols", offset: 0, strides: [0, 1] },
    },
    // one the innermost loop does not move: lane registers across it, then into the partial
    {
      name: "part2",
      value: "v",
      combine: add,
      dtype: "float64",
      init: 0,
      size: 3,
      access: { buf: "rows2", offset: 0, strides: [1, 0] },
    },
    {
      name: "part1",
      value: "v",
      combine: max,
      dtype: "float64",
      init: -Infinity,
      size: 5,
      access: { buf: "maxima", offset: 0, strides: [0, 1] },
    },
  ],
};
const x = Float64Array.from({ length: 15 }, (_, i) => ((i * 7) % 11) - 5);
const want = {
  rows: [0, 1, 2].map((i) => x.slice(i * 5, i * 5 + 5).reduce((a, b) => a + b)),
  cols: [0, 1, 2, 3, 4].map((j) => x[j] + x[5 + j] + x[10 + j]),
  maxima: [0, 1, 2, 3, 4].map((j) => Math.max(x[j], x[5 + j], x[10 + j])),
};
type Run = (...bufs: Float64Array[]) => void;
const check = (run: Run) => {
  const [rows, cols, maxima, rows2] = [3, 5, 5, 3].map((n) => new Float64Array(n));
  run(rows, cols, maxima, rows2, x);
  expect([...rows]).toEqual(want.rows);
  expect([...rows2]).toEqual(want.rows);
  expect([...cols]).toEqual(want.cols);
  expect([...maxima]).toEqual(want.maxima);
};

describe("sibling reductions in a plan", () => {
  it("generated loops", () => check(instantiate<Run>(emitLoops(plan), plan.name)));
  it("interpreted", () => check(interpret<Run>(plan)));
  it("split into chunks along dim 0 (partials per chunk, combined in order)", () => {
    const split = splitKernel(plan)!;
    for (const edges of [
      [0, 3],
      [0, 1, 3],
      [0, 1, 2, 3],
    ])
      check((...args) => split(edges, args));
  });
});
