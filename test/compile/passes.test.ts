// Each optimization pass on its own, on small hand-built graphs, checked through the printed IR.
import { describe, expect, it } from "vitest";
import { cse } from "../../compiler/passes/cse";
import { dce } from "../../compiler/passes/dce";
import { fold } from "../../compiler/passes/fold";
import { simplify } from "../../compiler/passes/simplify";
import { optimize } from "../../compiler/pipeline";
import type { DType } from "../../ir/dtype";
import { Graph, type Value } from "../../ir/graph";
import type { OpName, Params } from "../../ir/ops";
import { printGraph } from "../../ir/print";

const ir = (g: Graph) => printGraph(g);
const lines = (...ls: string[]) => ls.join("\n");

// A tiny builder: elementwise results take the broadcast shape of the operands, and the dtype given.
function graph() {
  const g = new Graph();
  const op = (
    name: OpName,
    ins: Value[],
    dtype: DType = "float32",
    params: Params = {},
    shape?: number[],
  ) => {
    const s =
      shape ?? ins.reduce<number[]>((a, x) => (x.shape.length > a.length ? x.shape : a), []);
    return g.add(name, ins, params, [...s], dtype);
  };
  return {
    g,
    op,
    input: (shape: number[], dtype: DType = "float32") => g.input(shape, dtype),
    c: (x: number, dtype: DType = "float32") => g.constant(x, dtype),
  };
}

describe("fold", () => {
  it("turns an elementwise op on constants into a constant", () => {
    const { g, op, input, c } = graph();
    const x = input([2]);
    g.outputs = [op("mul", [x, op("add", [c(2), c(3)])])];
    expect(ir(fold(g))).toBe(
      lines(
        "%0 = input 0 : f32[2]",
        "%1 = const 2 : f32[]",
        "%2 = const 3 : f32[]",
        "%3 = const 5 : f32[]",
        "%4 = mul %0, %3 : f32[2]",
        "return %4",
      ),
    );
  });

  it("folds chains, in the result's dtype (float32 rounding, int32 wrap-around, bool)", () => {
    const { g, op, c } = graph();
    const f32 = op("add", [c(0.1), c(0.2)]); // 0.30000000000000004 rounded to float32
    const chain = op("exp", [op("neg", [c(0)])]); // exp(-0) = 1
    const i32 = op("add", [c(2147483647, "int32"), c(1, "int32")], "int32");
    const cmp = op("lt", [c(1), c(2)], "bool");
    const div = op("div", [c(1, "int32"), c(4, "int32")], "float32");
    g.outputs = [f32, chain, i32, cmp, div];
    const out = fold(g);
    expect(out.outputs.map((v) => [v.op, v.constant, v.dtype])).toEqual([
      ["const", Math.fround(0.1 + 0.2), "float32"],
      ["const", 1, "float32"],
      ["const", -2147483648, "int32"],
      ["const", 1, "bool"],
      ["const", 0.25, "float32"],
    ]);
  });

  it("casts a float64 constant to float32 before a float32 op, as eager does (PyTorch 1.13 value)", () => {
    // float32(1 + 2^-24 + 2^-40) is 1 + 2^-23: the sum is 1 (in double, then rounded: 1 - 2^-24)
    const { g, op, c } = graph();
    g.outputs = [op("add", [c(1 + 2 ** -24 + 2 ** -40, "float64"), c(-(2 ** -23))])];
    expect(fold(g).outputs.map((v) => v.constant)).toEqual([1]);
  });

  it("leaves ops with a non-constant operand, and non-elementwise ops, alone", () => {
    const { g, op, input, c } = graph();
    const x = input([]);
    g.outputs = [
      op("add", [x, c(1)]),
      op("sum", [c(2)], "float32", { dims: [], keepdim: false }, []),
    ];
    expect(ir(fold(g))).toBe(ir(g));
  });
});

describe("simplify", () => {
  it("removes x*1, 1*x, x/1, x+(-0), (-0)+x, x-0 and neg(neg x)", () => {
    const { g, op, input, c } = graph();
    const x = input([3]);
    const a = op("mul", [x, c(1)]),
      b = op("mul", [c(1), a]),
      d = op("div", [b, c(1)]);
    const e = op("add", [d, c(-0)]),
      f = op("add", [c(-0), e]),
      h = op("sub", [f, c(0)]);
    g.outputs = [op("neg", [op("neg", [h])])];
    const out = simplify(g);
    expect(out.outputs[0]).toBe(out.inputs[0]);
    expect(ir(out)).toMatch(/return %0$/);
  });

  it("keeps x+0 and 0+x: for x = -0 the sum is +0, so x + 0 is not x", () => {
    const { g, op, input, c } = graph();
    const x = input([3]);
    g.outputs = [op("add", [x, c(0)]), op("add", [c(0), x])];
    expect(ir(simplify(g))).toBe(ir(g));
  });

  it("removes movement ops and casts that change nothing", () => {
    const { g, op, input } = graph();
    const x = input([2, 3]);
    const r = op("reshape", [x], "float32", { shape: [2, 3] }, [2, 3]);
    const e = op("expand", [r], "float32", { shape: [2, 3] }, [2, 3]);
    const p = op("permute", [e], "float32", { perm: [0, 1] }, [2, 3]);
    const k = op("cast", [p], "float32", { dtype: "float32" }, [2, 3]);
    g.outputs = [op("exp", [k])];
    expect(ir(dce(simplify(g)))).toBe(
      lines("%0 = input 0 : f32[2,3]", "%1 = exp %0 : f32[2,3]", "return %1"),
    );
  });

  it("does not rewrite x*0 (NaN*0 is NaN, Infinity*0 is NaN, -1*0 is -0) or 0-x", () => {
    const { g, op, input, c } = graph();
    const x = input([3]);
    g.outputs = [op("mul", [x, c(0)]), op("mul", [c(0), x]), op("sub", [c(0), x])];
    expect(ir(simplify(g))).toBe(ir(g));
  });

  it("keeps x*1 and x+0 when the operand's dtype differs from the result's (promotion)", () => {
    const { g, op, input, c } = graph();
    const i = input([3], "int32"),
      b = input([3], "bool"),
      h = input([3], "float32");
    const promoted = op("mul", [i, c(1)], "float32"); // int32 * 1.0 is float32
    const fromBool = op("add", [b, c(0, "int32")], "int32"); // bool + 0 is int32
    const widened = op("mul", [h, c(1, "float64")], "float64"); // float32 * (0-d float64 1) as float64
    const castI = op("cast", [i], "float32", { dtype: "float32" }); // a real conversion
    g.outputs = [promoted, fromBool, widened, castI];
    const out = simplify(g);
    expect(out.outputs.map((v) => v.op)).toEqual(["mul", "add", "mul", "cast"]);
  });

  it("keeps x*1 when the result is broadcast to a larger shape than the operand", () => {
    const { g, op, input } = graph();
    const x = input([1, 3]);
    const one = op("expand", [g.constant(1, "float32")], "float32", { shape: [4, 3] }, [4, 3]);
    g.outputs = [
      g.add("mul", [x, g.constant(1, "float32")], {}, [1, 3], "float32"),
      g.add("mul", [x, one], {}, [4, 3], "float32"),
    ];
    const out = simplify(g);
    expect(out.outputs[0]).toBe(out.inputs[0]);
    expect(out.outputs[1].op).toBe("mul");
    expect(out.outputs[1].shape).toEqual([4, 3]);
  });

  it("does not remove a reshape or permute that changes the shape", () => {
    const { g, op, input } = graph();
    const x = input([2, 3]);
    g.outputs = [
      op("reshape", [x], "float32", { shape: [3, 2] }, [3, 2]),
      op("permute", [x], "float32", { perm: [1, 0] }, [3, 2]),
    ];
    expect(ir(simplify(g))).toBe(ir(g));
  });

  it("collapses reshape chains and permute pairs that cancel", () => {
    const { g, op, input } = graph();
    const x = input([2, 3]);
    const r = op(
      "reshape",
      [op("reshape", [x], "float32", { shape: [6] }, [6])],
      "float32",
      { shape: [3, 2] },
      [3, 2],
    );
    const p = op(
      "permute",
      [op("permute", [x], "float32", { perm: [1, 0] }, [3, 2])],
      "float32",
      { perm: [1, 0] },
      [2, 3],
    );
    g.outputs = [r, p];
    const out = dce(simplify(g));
    expect(ir(out)).toBe(
      lines("%0 = input 0 : f32[2,3]", "%1 = reshape %0 {shape=[3,2]} : f32[3,2]", "return %1, %0"),
    );
  });
});

describe("cse", () => {
  it("merges values with the same op, operands and params", () => {
    // Graph.add hash-conses, so duplicates only exist in graphs built around it (as a pass might):
    // `copy` appends a duplicate of v reading the given operands
    const { g, op, input, c } = graph();
    let next = 100;
    const copy = (v: Value, inputs: Value[]): Value => {
      const d = { ...v, id: next++, inputs };
      g.values.push(d);
      return d;
    };
    const x = input([4]),
      one = c(1);
    const e1 = op("exp", [x]),
      e2 = copy(e1, [x]);
    const s1 = op("add", [e1, one]),
      s2 = copy(s1, [e2, one]);
    const m1 = op("mul", [s1, s1]),
      m2 = copy(m1, [s2, s1]);
    g.outputs = [m1, m2];
    const out = cse(g);
    expect(out.outputs[0]).toBe(out.outputs[1]);
    expect(ir(out)).toBe(
      lines(
        "%0 = input 0 : f32[4]",
        "%1 = const 1 : f32[]",
        "%2 = exp %0 : f32[4]",
        "%3 = add %2, %1 : f32[4]",
        "%4 = mul %3, %3 : f32[4]",
        "return %4, %4",
      ),
    );
  });

  it("keeps values that differ in params or dtype apart", () => {
    const { g, op, input } = graph();
    const x = input([2, 2]);
    g.outputs = [
      op("sum", [x], "float32", { dims: [0], keepdim: false }, [2]),
      op("sum", [x], "float32", { dims: [1], keepdim: false }, [2]),
      op("cast", [x], "float64", { dtype: "float64" }),
      op("cast", [x], "int32", { dtype: "int32" }),
    ];
    expect(new Set(cse(g).outputs).size).toBe(4);
  });
});

describe("dce", () => {
  it("drops values no output depends on and keeps every input (slots never move)", () => {
    const { g, op, input, c } = graph();
    const x = input([2]),
      unused = input([5], "int32"),
      y = input([2]);
    op("exp", [op("add", [x, y])]); // dead
    op("neg", [unused]); // dead
    g.outputs = [op("mul", [y, c(2)])];
    expect(ir(dce(g))).toBe(
      lines(
        "%0 = input 0 : f32[2]",
        "%1 = input 1 : i32[5]",
        "%2 = input 2 : f32[2]",
        "%3 = const 2 : f32[]",
        "%4 = mul %2, %3 : f32[2]",
        "return %4",
      ),
    );
  });

  it("keeps a graph whose output is an input", () => {
    const { g, op, input } = graph();
    const x = input([3]);
    op("exp", [x]);
    g.outputs = [x, x];
    expect(ir(dce(g))).toBe(lines("%0 = input 0 : f32[3]", "return %0, %0"));
  });
});

describe("the pipeline (fold, simplify, cse, dce)", () => {
  it("folds constants, then the x*1 that folding exposes disappears, then dead values go", () => {
    const { g, op, input, c } = graph();
    const x = input([3]);
    const one = op("sub", [c(3), c(2)]); // folds to 1
    g.outputs = [op("exp", [op("mul", [x, one])])];
    expect(ir(optimize(g))).toBe(
      lines("%0 = input 0 : f32[3]", "%1 = exp %0 : f32[3]", "return %1"),
    );
  });
});
