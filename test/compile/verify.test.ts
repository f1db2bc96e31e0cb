// The IR verifier (ir/verify.ts) on hand-made graphs, and the pipeline running it between stages
// (compiler/pipeline.ts). The tests run with JITGRAD_VERIFY=1 (vitest.config.ts), so every compile
// in every test verifies every stage.
import { afterEach, describe, expect, it } from "vitest";
import { pipelines, type Stage } from "../../compiler/pipeline";
import { compile, grad, ones, type Tensor, tensor } from "../../index";
import { Graph, type Value } from "../../ir/graph";
import { verify } from "../../ir/verify";

// x: f32[4], y: f32[4, 1]
function graph() {
  const g = new Graph();
  const x = g.input([4], "float32"),
    y = g.input([4, 1], "float32");
  return { g, x, y };
}
const fails = (g: Graph, message: string | RegExp, stage = "simplify") =>
  expect(() => verify(g, stage)).toThrow(message);

describe("verify", () => {
  it("accepts what tracing and the passes produce", () => {
    const { g, x, y } = graph();
    const two = g.constant(2, "int32");
    const s = g.add("add", [x, two], {}, [4], "float32");
    const m = g.add("mul", [s, y], {}, [4, 4], "float32");
    g.outputs = [g.add("sum", [m], { dims: [1], keepdim: false }, [4], "float32")];
    expect(() => verify(g, "trace")).not.toThrow();
  });

  it("names the stage, the value and what the op table gives", () => {
    const { g, x, y } = graph();
    const bad = g.add("add", [x, y], {}, [4], "float32");
    g.outputs = [bad];
    fails(g, "verify after simplify: %2 = add %0, %1 : f32[4] but the op table gives f32[4,4]");
  });

  it("a wrong dtype", () => {
    const { g, x } = graph();
    g.outputs = [g.add("exp", [x], {}, [4], "float64")];
    fails(g, "%2 = exp %0 : f64[4] but the op table gives f32[4]");
    const h = graph();
    h.g.outputs = [h.g.add("lt", [h.x, h.g.constant(0, "int32")], {}, [4], "float32")];
    fails(h.g, "but the op table gives bool[4]");
  });

  it("an operand defined later, or not in the graph", () => {
    const { g, x } = graph();
    const e = g.add("exp", [x], {}, [4], "float32");
    const n = g.add("neg", [e], {}, [4], "float32");
    g.values.splice(g.values.indexOf(e), 1);
    g.values.push(e);
    g.outputs = [n];
    fails(g, "%3 = neg %2 : f32[4] reads %2, which is defined later");
    const other = graph();
    const stray: Value = other.g.add("exp", [x], {}, [4], "float32"); // x belongs to g
    other.g.outputs = [stray];
    fails(other.g, "reads %0, which is not a value of this graph");
  });

  it("duplicate ids, outputs and inputs that are not the graph's", () => {
    const { g, x } = graph();
    const e = g.add("exp", [x], {}, [4], "float32");
    g.values.push({ ...e, inputs: [x] });
    fails(g, "%2 is defined twice");
    const h = graph();
    h.g.outputs = [graph().x];
    fails(h.g, "output 0 (%0) is not a value of the graph");
    const k = graph();
    k.g.inputs.reverse();
    fails(k.g, "%0 = input 0 : f32[4] is not the graph's input 0");
  });

  it("operand counts", () => {
    const { g, x, y } = graph();
    g.outputs = [g.add("exp", [x, y], {}, [4], "float32")];
    fails(g, "has 2 operands; exp takes 1");
    const h = graph();
    h.g.outputs = [h.g.add("where", [h.x, h.x], {}, [4], "float32")];
    fails(h.g, "has 2 operands; where takes 3");
    const k = graph();
    k.g.outputs = [k.g.add("matmul", [k.y], {}, [4, 1], "float32")];
    fails(k.g, "has 1 operands; matmul takes 2");
  });

  it("constants are 0-d", () => {
    const { g } = graph();
    g.outputs = [g.add("const", [], {}, [1], "float32", 1)];
    fails(g, "a constant is a 0-d number with no operands");
  });

  it("params the shape rules take on trust", () => {
    const cases: [string, (g: Graph, x: Value, y: Value) => Value, string][] = [
      [
        "reshape",
        (g, x) => g.add("reshape", [x], { shape: [5] }, [5], "float32"),
        "a reshape changes the element count",
      ],
      [
        "permute",
        (g, _, y) => g.add("permute", [y], { perm: [0, 0] }, [4, 4], "float32"),
        "perm [0,0] is not a permutation of 2 dims",
      ],
      [
        "expand",
        (g, x) => g.add("expand", [x], { shape: [2, 3] }, [2, 3], "float32"),
        "expand of [4] to [2,3]",
      ],
      [
        "shrink",
        (g, x) => g.add("shrink", [x], { starts: [2], ends: [6] }, [4], "float32"),
        "shrink [2]..[6] out of the bounds of [4]",
      ],
      [
        "pad",
        (g, x) => g.add("pad", [x], { before: [-1], after: [0] }, [3], "float32"),
        "pad before [-1] after [0]",
      ],
      [
        "sum",
        (g, x) => g.add("sum", [x], { dims: [1], keepdim: false }, [4], "float32"),
        "dims [1] of a rank-1 operand",
      ],
    ];
    for (const [, make, message] of cases) {
      const { g, x, y } = graph();
      g.outputs = [make(g, x, y)];
      fails(g, message);
    }
  });

  it("a shape rule that throws", () => {
    const { g, y } = graph();
    g.outputs = [g.add("matmul", [y, y], {}, [4, 1], "float32")];
    fails(g, "the op table's shape rule fails: mat1 and mat2 shapes cannot be multiplied");
  });

  it("constants may be wrapped numbers or 0-d tensors (grad's seed)", () => {
    // mul(seed const 1 : f64[], x : f32[]) is f64: the seed is a 0-d tensor, not a JS number
    const f = grad((x: Tensor) => x.double().mul(x));
    expect((f(tensor(2)) as Tensor).item()).toBe(4);
    const { g } = graph();
    const x0 = g.input([], "float32");
    g.outputs = [g.add("mul", [g.constant(1, "float64"), x0], {}, [], "float64")];
    expect(() => verify(g)).not.toThrow();
    g.outputs = [
      g.add("mul", [g.constant(2.5, "float32"), g.input([3], "int32")], {}, [3], "float32"),
    ];
    expect(() => verify(g)).not.toThrow();
  });
});

describe("the pipeline", () => {
  it("names every stage, in order, for each kind of entry", () => {
    const names = (k: keyof typeof pipelines) => pipelines[k].map((s) => s.name);
    expect(names("forward")).toEqual(["trace", "fold", "simplify", "cse", "dce", "program"]);
    expect(names("autograd")).toEqual([
      "trace",
      "differentiate",
      "fold",
      "simplify",
      "cse",
      "dce",
      "partition",
      "program",
    ]);
    expect(names("grad")).toEqual([
      "trace",
      "differentiate",
      "fold",
      "simplify",
      "cse",
      "dce",
      "program",
    ]);
  });

  describe("verifies after every stage", () => {
    let restore = () => {};
    afterEach(() => {
      restore();
      restore = () => {};
    });
    // makes stage `name` (of the autograd pipeline, which has them all) type the last value of
    // its graph (the backward, once partitioned) as float64
    const corrupt = (name: string) => {
      const stage = pipelines.autograd.find((s) => s.name === name) as Stage;
      const run = stage.run;
      stage.run = (s) => {
        run(s);
        const g = s.partition?.backward ?? s.graph!,
          last = g.values[g.values.length - 1];
        last.dtype = "float64";
      };
      restore = () => {
        stage.run = run;
      };
    };

    it("a stage that breaks the IR is named", () => {
      corrupt("cse");
      const f = compile((x: Tensor) => x.add(1).exp());
      expect(() => f(ones([3]))).toThrow(
        /^verify after cse: %\d+ = exp %\d+ : f64\[3\] but the op table gives f32\[3\]$/,
      );
    });

    it("after partition, in the forward or the backward graph", () => {
      corrupt("partition");
      const f = compile((x: Tensor) => x.exp().sum());
      expect(() => f(ones([3], { requiresGrad: true }))).toThrow(
        /^verify after partition \(backward\): %\d+ = mul %\d+, %\d+ : f64\[3\] but the op table gives f32\[3\]$/,
      );
    });

    it("only when JITGRAD_VERIFY is set", () => {
      corrupt("dce");
      const saved = process.env.JITGRAD_VERIFY;
      delete process.env.JITGRAD_VERIFY;
      try {
        expect(() => compile((x: Tensor) => x.add(1).exp())(ones([3]))).not.toThrow();
      } finally {
        process.env.JITGRAD_VERIFY = saved;
      }
    });
  });
});
