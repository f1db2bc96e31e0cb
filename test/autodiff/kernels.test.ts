// What the compiled forward and backward look like, through explain(): the kernel-count
// targets, what the forward saves for the backward (and why), and the linear layer's backward,
// which must not materialize the broadcast bias.
import { beforeEach, describe, expect, it } from "vitest";
import {
  compile,
  type Explanation,
  manualSeed,
  randn,
  type Tensor,
  tensor,
  valueAndGrad,
} from "../../index";
import { buffers, expectClose, type IrSection, inputsOf, splitIr } from "./helpers";

beforeEach(() => manualSeed(0));

const leaf = (shape: number[]) => randn(shape, { requiresGrad: true });
const copyLeaf = (t: Tensor) =>
  tensor(Float32Array.from(t.values()), { shape: t.shape, requiresGrad: true });

const seed = (x: Tensor) => {
  const y = x.add(2);
  const z = y.mul(y).mul(3);
  return z.mean();
};
const geluSum = (x: Tensor) =>
  x
    .mul(0.5)
    .mul(
      x
        .pow(3)
        .mul(0.044715)
        .add(x)
        .mul(Math.sqrt(2 / Math.PI))
        .tanh()
        .add(1),
    )
    .sum();
const linear = (x: Tensor, w: Tensor, b: Tensor) => x.matmul(w).add(b).relu().sum();

// The kernels the code shows, per program: generated functions and library-kernel lines.
function launches(code: string, prefix: "k" | "kb"): number {
  const fns = [...code.matchAll(/^function (k|kb)\d+_/gm)].filter((m) => m[1] === prefix).length;
  const lib = [...code.matchAll(/^\/\/ (k|kb)\d+_\w+: %\d+ = /gm)].filter(
    (m) => m[1] === prefix,
  ).length;
  // a Wasm SIMD kernel (a costly chain) is listed as a Wasm function of the same name
  const wasm = [...code.matchAll(/^ {2}\(func \$(k|kb)\d+_/gm)].filter(
    (m) => m[1] === prefix,
  ).length;
  return fns + lib + wasm;
}

const saved = (s: IrSection) =>
  [...s.values.values()].filter((v) => v.note.startsWith("saved for backward"));

// Invariants of any autograd explain(): counts agree with the code; each value the forward saves
// is annotated, returned after the user outputs, and read by the backward.
function checkExplanation(
  e: Explanation,
  userOutputs: number,
): { forward: IrSection; backward: IrSection } {
  const { forward, backward } = splitIr(e.ir);
  expect(launches(e.code, "k"), "forward kernels in the code").toBe(e.forwardKernels);
  expect(launches(e.code, "kb"), "backward kernels in the code").toBe(e.backwardKernels);
  const s = saved(forward);
  expect(
    forward.outputs.slice(userOutputs).sort(),
    "forward returns user outputs, then what it saves",
  ).toEqual(s.map((v) => v.id).sort());
  const fromForward = [...backward.values.values()].filter(
    (v) => v.note === "saved by the forward",
  );
  expect(fromForward.length, "backward inputs saved by the forward").toBe(s.length);
  for (const v of fromForward) {
    const used =
      [...backward.values.values()].some((u) => u.args.includes(v.id)) ||
      backward.outputs.includes(v.id);
    expect(used, `saved %${v.id} is read by the backward`).toBe(true);
  }
  return { forward, backward };
}

describe("kernel-count targets", () => {
  it("seed (y = x+2; z = y*y*3; out = z.mean()): forward + backward <= 2 kernels, nothing saved", () => {
    const x = leaf([16, 32]);
    const e = compile(seed).explain(x);
    const { forward, backward } = checkExplanation(e, 1);
    expect(e.forwardKernels + e.backwardKernels).toBeLessThanOrEqual(2);
    expect(saved(forward)).toEqual([]); // y is cheap: recomputed in the backward from x
    expect([...backward.values.values()].some((v) => v.note.startsWith("recomputed"))).toBe(true);
  });

  it("tanh-GELU chain + sum: forward + backward <= 2 kernels, only the tanh saved (costly to recompute)", () => {
    const x = leaf([16, 32]);
    const f = compile(geluSum);
    const e = f.explain(x);
    const { forward } = checkExplanation(e, 1);
    expect(e.forwardKernels + e.backwardKernels).toBeLessThanOrEqual(2);
    expect(saved(forward).map((v) => v.op)).toEqual(["tanh"]); // the arithmetic around it is recomputed
    f(x).backward();
    const ex = copyLeaf(x);
    geluSum(ex).backward();
    expectClose(x.grad, ex.grad!, "x.grad");
  });

  it("valueAndGrad of the seed: one kernel", () => {
    expect(valueAndGrad(seed).explain(randn([16, 32])).forwardKernels).toBe(1);
  });
});

describe("linear layer + bias + relu + sum", () => {
  const B = 8,
    IN = 5,
    OUT = 3;
  const args = () => [leaf([B, IN]), leaf([IN, OUT]), leaf([OUT])] as const;

  it("backward computes dx, dW and db, equal to eager", () => {
    const [x, w, b] = args();
    const e = compile(linear).explain(x, w, b);
    const { backward } = checkExplanation(e, 1);
    expect(backward.outputs.map((id) => backward.values.get(id)!.shape)).toEqual([
      [B, IN],
      [IN, OUT],
      [OUT],
    ]);
    compile(linear)(x, w, b).backward();
    const [ex, ew, eb] = [x, w, b].map(copyLeaf);
    linear(ex, ew, eb).backward();
    expectClose(x.grad, ex.grad!, "dx");
    expectClose(w.grad, ew.grad!, "dW");
    expectClose(b.grad, eb.grad!, "db");
  });

  it("the forward saves only the matmul result; the relu mask is recomputed", () => {
    const e = compile(linear).explain(...args());
    const { forward, backward } = checkExplanation(e, 1);
    const s = saved(forward);
    expect(s.map((v) => v.op)).toEqual(["matmul"]);
    expect(s[0].note).toMatch(/matmul result/);
    const recomputed = [...backward.values.values()]
      .filter((v) => v.note.startsWith("recomputed"))
      .map((v) => v.op);
    expect(recomputed).toContain("relu");
  });

  it("backward: dx and dW are matmuls; db's reduction fuses with the relu-backward loop (3 kernels)", () => {
    const e = compile(linear).explain(...args());
    checkExplanation(e, 1);
    expect(e.backwardKernels).toBeLessThanOrEqual(3);
    const loops = [...e.code.matchAll(/^function kb\d+_(?!matmul)\w*\(/gm)];
    expect(loops.length, "one backward loop kernel besides the matmuls").toBe(1);
  });

  it("no buffer, forward or backward, holds the bias broadcast to [batch, out]", () => {
    const e = compile(linear).explain(...args());
    const sections = splitIr(e.ir);
    for (const [name, prefix] of [
      ["forward", "k"],
      ["backward", "kb"],
    ] as const) {
      const s = sections[name];
      const biasSlots = [...s.values.values()]
        .filter((v) => v.op === "input" && v.shape.join() === `${OUT}`)
        .map((v) => v.slot!);
      expect(biasSlots.length, `${name} reads the bias`).toBe(1);
      const bufs = buffers(e.code, prefix);
      expect(bufs.size, `${name} has buffers`).toBeGreaterThan(0);
      for (const id of bufs) {
        const v = s.values.get(id);
        expect(v, `${name} buffer b${id} is in the IR`).toBeDefined();
        const deps = [...inputsOf(s, id)];
        const onlyBias = deps.length > 0 && deps.every((d) => biasSlots.includes(d));
        expect(
          onlyBias && v!.shape.join() === `${B},${OUT}`,
          `${name} buffer %${id} (${v!.op}) is the broadcast bias`,
        ).toBe(false);
      }
      // and the bias is read through a broadcast index (stride 0 over the batch), not copied
      expect(
        [...s.values.values()].some(
          (v) =>
            v.op === "expand" &&
            inputsOf(s, v.id).size === 1 &&
            [...inputsOf(s, v.id)][0] === biasSlots[0] &&
            bufs.has(v.id),
        ),
      ).toBe(false);
    }
  });
});

describe("what the forward saves", () => {
  it("only reductions, matmul results and costly (transcendental) values are saved; arithmetic is recomputed", () => {
    const programs: [string, (...xs: Tensor[]) => Tensor, number[][]][] = [
      ["softmax", (x) => x.softmax(1).mul(x).sum(), [[4, 6]]],
      ["logSoftmax cross-entropy", (x) => x.logSoftmax(1).select(1, 2).neg().mean(), [[4, 6]]],
      [
        "two-layer MLP",
        (x, w1, w2) => x.matmul(w1).relu().matmul(w2).tanh().mean(),
        [
          [8, 3],
          [3, 4],
          [4, 2],
        ],
      ],
      [
        "layer norm",
        (x) => {
          const xc = x.sub(x.mean(-1, true));
          return xc.div(xc.mul(xc).mean(-1, true).add(1e-5).sqrt()).sum();
        },
        [[4, 6]],
      ],
      ["norm", (x) => x.div(x.norm()).sin().sum(), [[5]]],
    ];
    for (const [name, fn, shapes] of programs) {
      const xs = shapes.map(leaf);
      const e = compile(fn).explain(...xs);
      const { forward } = checkExplanation(e, 1);
      for (const v of saved(forward)) {
        expect(
          ["sum", "max", "min", "matmul", "pad"].includes(v.op) || /too long|costly/.test(v.note),
          `${name}: saves %${v.id} = ${v.op} (${v.note})`,
        ).toBe(true);
      }
      const f = compile(fn);
      f(...xs).backward();
      const es = xs.map(copyLeaf);
      fn(...es).backward();
      xs.forEach((x, i) => expectClose(x.grad, es[i].grad!, `${name}: grad ${i}`));
    }
  });

  it("a function whose backward needs no forward values saves nothing and reads no inputs", () => {
    const e = compile((x: Tensor, y: Tensor) => x.add(y).sum()).explain(leaf([3, 4]), leaf([4]));
    const { forward, backward } = checkExplanation(e, 1);
    expect(saved(forward)).toEqual([]);
    expect([...backward.values.values()].filter((v) => v.op === "input").length).toBe(1); // the cotangent
  });

  it("gradients of several inputs computed from the same values come out of one loop", () => {
    const e = compile((x: Tensor, y: Tensor) => x.mul(y).sin().sum()).explain(
      leaf([8, 3]),
      leaf([8, 3]),
    );
    checkExplanation(e, 1);
    expect(e.backwardKernels).toBe(1);
  });

  it("a broadcast operand's gradient reduction fuses with the elementwise chain producing it", () => {
    const f = (x: Tensor, b: Tensor) => x.add(b).exp().sum();
    // only the bias needs a gradient: db = sum_rows(exp(x + b)) is one loop
    for (const bs of [[3], [1, 3], [8, 1]])
      expect(compile(f).explain(randn([8, 3]), leaf(bs)).backwardKernels, `b: [${bs}]`).toBe(1);
    // both: dx = exp(x + b) is stored as db's reduction reads it
    const e = compile(f).explain(leaf([8, 3]), leaf([3]));
    checkExplanation(e, 1);
    expect(e.backwardKernels).toBe(1);
  });

  // when the broadcast operand keeps its reduced dim ([1, 3] or [8, 1], a keepdim sum in the
  // backward), dx and db still come out of one loop (was a missed fusion)
  for (const bs of [
    [1, 3],
    [8, 1],
  ]) {
    it(`the same with a bias of shape [${bs}]`, () => {
      expect(
        compile((x: Tensor, b: Tensor) => x.add(b).exp().sum()).explain(leaf([8, 3]), leaf(bs))
          .backwardKernels,
      ).toBe(1);
    });
  }
});
