// The op table: every primitive declared once. Its shape/dtype rule, scalar formula (elementwise
// and reduce ops), view rule (movement ops) and VJP rule serve eager mode, tracing, symbolic
// differentiation and codegen alike. VJP rules use ordinary Tensor methods, so they run on eager
// tensors and on tracers. Broadcasting's gradient is not here: callers of `vjp` sum each gradient
// back to its operand's shape (see `sumTo`), once for all ops.
import type { Tensor } from "../runtime/tensor";
import { type DType, isFloat, promote } from "./dtype";
import { broadcastShapes, reducedShape, reshapeStrides, type Shape } from "./shape";

export interface Operand {
  shape: Shape;
  dtype: DType;
  wrapped?: boolean;
}
export interface Params {
  dims?: number[];
  keepdim?: boolean; // reduce
  shape?: number[];
  perm?: number[];
  starts?: number[];
  ends?: number[];
  before?: number[];
  after?: number[]; // movement
  dtype?: DType; // cast
}
export interface View {
  shape: number[];
  strides: number[];
  offset: number;
}
export type Grads = (Tensor | null)[];
// shapes: the inputs' shapes, for rules that need nothing else of an input (PyTorch saves only the
// sizes then, so such a graph can run backward twice); absent, they are read from `ins`.
export interface VjpContext {
  ins: Tensor[];
  out: Tensor;
  params: Params;
  needs: boolean[];
  shapes?: readonly (readonly number[])[];
}
type Vjp = (g: Tensor, ctx: VjpContext) => Grads;

interface Common {
  grad: string | ((ins: Operand[]) => string); // PyTorch's grad_fn name
  shape: (ins: Operand[], p: Params) => number[];
  dtype: (ins: Operand[], p: Params) => DType;
  vjp: Vjp | null; // null: not differentiable (comparisons, detach)
}
// js: the scalar formula, for the result's dtype (a formula may trade precision for speed in float32).
// costly: a transcendental function, ~10-20 ns an element here against ~1 ns for arithmetic or for
// writing and re-reading a float (so the backward reads such a value rather than recomputing it).
export interface Elementwise extends Common {
  kind: "elementwise";
  js: (p: Params, dtype: DType) => string;
  costly?: boolean;
}
export interface Reduce extends Common {
  kind: "reduce";
  combine: string;
  init: number;
}
export interface Movement extends Common {
  kind: "movement";
  view: (v: View, p: Params) => View | null;
}
export interface Opaque extends Common {
  kind: "matmul" | "pad";
}
export type OpDef = Elementwise | Reduce | Movement | Opaque;

const floatOf = (d: DType): DType => (isFloat(d) ? d : "float32");
const broadcastAll = (ins: Operand[]) =>
  ins.reduce<number[]>((a, x) => broadcastShapes(a, x.shape), []);
// PyTorch's result_type: tensors with dims, then 0-d tensors, then wrapped numbers (a wrapped float
// is float32); a later tier only counts when it is of a higher category (bool < integer < float),
// so float32 + 0-d float64 is float32, int + 2.5 is float32 and bool + 1 is int.
// (module-level helpers, not closures: this runs for every eager op)
const TIERS = [
  (x: Operand) => !x.wrapped && x.shape.length > 0,
  (x: Operand) => !x.wrapped && x.shape.length === 0,
  (x: Operand) => !!x.wrapped,
];
function tierDtype(ins: Operand[], keep: (x: Operand) => boolean): DType | null {
  let d: DType | null = null;
  for (const x of ins) if (keep(x)) d = d ? promote(d, x.dtype) : x.dtype;
  return d;
}
const combineTiers = (hi: DType | null, lo: DType | null): DType | null =>
  !hi ? lo : !lo || isFloat(hi) ? hi : hi === "bool" || isFloat(lo) ? promote(hi, lo) : hi;
export const promoteAll = (ins: Operand[]): DType =>
  combineTiers(
    tierDtype(ins, TIERS[0]),
    combineTiers(tierDtype(ins, TIERS[1]), tierDtype(ins, TIERS[2])),
  )!;

const costly = (d: Elementwise): Elementwise => ({ ...d, costly: true });
function unary(
  grad: string,
  js: string | Elementwise["js"],
  vjp: Vjp,
  dtype: "float" | "same" = "float",
): Elementwise {
  return {
    kind: "elementwise",
    grad,
    js: typeof js === "string" ? () => js : js,
    vjp,
    shape: ([x]) => [...x.shape],
    dtype: ([x]) => (dtype === "float" ? floatOf(x.dtype) : x.dtype),
  };
}
function binary(
  grad: string | ((ins: Operand[]) => string),
  js: string,
  vjp: Vjp | null,
  dtype: "promote" | "float" | "bool" = "promote",
): Elementwise {
  return {
    kind: "elementwise",
    grad,
    js: () => js,
    vjp,
    shape: broadcastAll,
    dtype: (ins) =>
      dtype === "bool" ? "bool" : dtype === "float" ? floatOf(promoteAll(ins)) : promoteAll(ins),
  };
}
const compare = (js: string) => binary("", js, null, "bool");
function reduce(
  grad: string | ((ins: Operand[]) => string),
  combine: string,
  init: number,
  vjp: Vjp,
): Reduce {
  return {
    kind: "reduce",
    grad,
    combine,
    init,
    vjp,
    shape: ([x], p) => reducedShape(x.shape, p.dims!, p.keepdim!),
    dtype: ([x]) => x.dtype,
  };
}
function movement(
  grad: string,
  shape: Common["shape"],
  view: Movement["view"],
  vjp: Vjp | null,
): Movement {
  return { kind: "movement", grad, shape, view, vjp, dtype: ([x]) => x.dtype };
}

// The gradient of a reduction, put back in the input's shape.
const unreduce = (g: Tensor, shape: readonly number[], p: Params) =>
  g.reshape(reducedShape(shape, p.dims!, true)).expand([...shape]);
const shapeOf = (ctx: VjpContext, i: number): number[] => [
  ...(ctx.shapes?.[i] ?? ctx.ins[i].shape),
];
// max/min: the gradient is shared evenly among the elements that attain the extreme (PyTorch's amax).
const extremeVjp: Vjp = (g, { ins: [x], out, params }) => {
  const hit = x.eq(unreduce(out, x.shape, params));
  return [
    unreduce(g, x.shape, params)
      .mul(hit)
      .div(unreduce(hit.sum(params.dims, params.keepdim), x.shape, params)),
  ];
};
const inversePerm = (perm: number[]) => perm.map((_, i) => perm.indexOf(i));

export type OpName =
  | "neg"
  | "exp"
  | "log"
  | "sqrt"
  | "abs"
  | "sign"
  | "tanh"
  | "sigmoid"
  | "relu"
  | "sin"
  | "cos"
  | "erf"
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "pow"
  | "maximum"
  | "minimum"
  | "eq"
  | "ne"
  | "lt"
  | "le"
  | "gt"
  | "ge"
  | "logicalOr"
  | "logicalNot"
  | "where"
  | "cast"
  | "sum"
  | "max"
  | "min"
  | "reshape"
  | "permute"
  | "expand"
  | "shrink"
  | "detach"
  | "pad"
  | "matmul";

// The mapped type makes a primitive without a full declaration a compile error.
export const ops: { [K in OpName]: OpDef } & { expand: Movement } = {
  neg: unary("NegBackward0", "(x) => -x", (g) => [g.neg()], "same"),
  exp: costly(unary("ExpBackward0", "(x) => Math.exp(x)", (g, { out }) => [g.mul(out)])),
  log: costly(unary("LogBackward0", "(x) => Math.log(x)", (g, { ins: [x] }) => [g.div(x)])),
  sqrt: unary("SqrtBackward0", "(x) => Math.sqrt(x)", (g, { out }) => [g.div(out.mul(2))]),
  abs: unary("AbsBackward0", "(x) => Math.abs(x)", (g, { ins: [x] }) => [g.mul(x.sign())], "same"),
  sign: unary("SignBackward0", "(x) => (x > 0 ? 1 : x < 0 ? -1 : x)", (g) => [g.mul(0)], "same"),
  // float32 uses a faster rational tanh, accurate to float32 (compiler/scalar.ts); float64 keeps Math.tanh
  tanh: costly(
    unary(
      "TanhBackward0",
      (_, dtype) => (dtype === "float32" ? "(x) => tanhf(x)" : "(x) => Math.tanh(x)"),
      (g, { out }) => [g.mul(out.mul(out).neg().add(1))],
    ),
  ),
  sigmoid: costly(
    unary("SigmoidBackward0", "(x) => 1 / (1 + Math.exp(-x))", (g, { out }) => [
      g.mul(out).mul(out.neg().add(1)),
    ]),
  ),
  relu: unary(
    "ReluBackward0",
    "(x) => (x > 0 ? x : 0)",
    (g, { out }) => [g.where(out.gt(0), 0)],
    "same",
  ),
  sin: costly(unary("SinBackward0", "(x) => Math.sin(x)", (g, { ins: [x] }) => [g.mul(x.cos())])),
  cos: costly(
    unary("CosBackward0", "(x) => Math.cos(x)", (g, { ins: [x] }) => [g.mul(x.sin()).neg()]),
  ),
  // erf(x): a scalar helper (compiler/erf.ts); d/dx erf(x) = 2/sqrt(pi) exp(-x^2)
  erf: costly(
    unary("ErfBackward0", "(x) => erf(x)", (g, { ins: [x] }) => [
      g.mul(
        x
          .mul(x)
          .neg()
          .exp()
          .mul(2 / Math.sqrt(Math.PI)),
      ),
    ]),
  ),

  add: binary("AddBackward0", "(a, b) => a + b", (g) => [g, g]),
  sub: binary("SubBackward0", "(a, b) => a - b", (g) => [g, g.neg()]),
  // each gradient reads only the saved tensor it needs, so an in-place change of the other is fine
  mul: binary("MulBackward0", "(a, b) => a * b", (g, { ins, needs }) => [
    needs[0] ? g.mul(ins[1]) : null,
    needs[1] ? g.mul(ins[0]) : null,
  ]),
  div: binary(
    "DivBackward0",
    "(a, b) => a / b",
    (
      g,
      ctx, // ctx.out is read only when needed
    ) => [
      ctx.needs[0] ? g.div(ctx.ins[1]) : null,
      ctx.needs[1] ? g.div(ctx.ins[1]).mul(ctx.out).neg() : null,
    ],
    "float",
  ),
  // d/da a^b = b a^(b-1) (0 where b == 0); d/db a^b = a^b log a (0 where a == 0 and b >= 0)
  pow: costly(
    binary(
      (ins) => (ins[1].wrapped ? "PowBackward0" : "PowBackward1"),
      "(a, b) => Math.pow(a, b)",
      (g, { ins: [a, b], out, needs }) => [
        needs[0]
          ? g
              .mul(b)
              .mul(a.pow(b.sub(1)))
              .where(b.ne(0), 0)
          : null,
        needs[1]
          ? g
              .mul(out)
              .mul(a.log())
              .where(a.ne(0).logicalOr(b.lt(0)), 0)
          : null,
      ],
      "promote",
    ),
  ),
  maximum: binary("MaximumBackward0", "(a, b) => Math.max(a, b)", (g, { ins: [a, b] }) => {
    const shared = g.where(a.ne(b), g.mul(0.5)); // ties split the gradient, as PyTorch does
    return [shared.where(a.ge(b), 0), shared.where(b.ge(a), 0)];
  }),
  minimum: binary("MinimumBackward0", "(a, b) => Math.min(a, b)", (g, { ins: [a, b] }) => {
    const shared = g.where(a.ne(b), g.mul(0.5));
    return [shared.where(a.le(b), 0), shared.where(b.le(a), 0)];
  }),
  eq: compare("(a, b) => a === b"),
  ne: compare("(a, b) => a !== b"),
  lt: compare("(a, b) => a < b"),
  le: compare("(a, b) => a <= b"),
  gt: compare("(a, b) => a > b"),
  ge: compare("(a, b) => a >= b"),
  logicalOr: compare("(a, b) => !!(a || b)"),
  where: {
    kind: "elementwise",
    grad: "WhereBackward0",
    js: () => "(c, a, b) => (c ? a : b)",
    shape: broadcastAll,
    dtype: (ins) => promoteAll(ins.slice(1)),
    vjp: (g, { ins: [c] }) => [null, g.where(c, 0), g.where(c.logicalNot(), 0)],
  } as Elementwise,
  logicalNot: {
    kind: "elementwise",
    grad: "",
    js: () => "(x) => !x",
    shape: ([x]) => [...x.shape],
    dtype: () => "bool",
    vjp: null,
  } as Elementwise,
  cast: {
    kind: "elementwise",
    grad: "ToCopyBackward0",
    shape: ([x]) => [...x.shape],
    dtype: (_, p) => p.dtype!,
    js: (p) =>
      ({
        bool: "(x) => (x ? 1 : 0)",
        int32: "(x) => x | 0",
        float32: "(x) => Math.fround(x)",
        float64: "(x) => x",
      })[p.dtype!],
    vjp: (g, { needs }) => [needs[0] ? g : null],
  } as Elementwise, // the engine casts it to the input's dtype

  sum: {
    ...reduce("SumBackward1", "(a, b) => a + b", 0, (g, ctx) => [
      unreduce(g, shapeOf(ctx, 0), ctx.params),
    ]),
    dtype: ([x]) => (x.dtype === "bool" ? "int32" : x.dtype),
  },
  max: reduce("MaxBackward1", "(a, b) => (a >= b || a !== a ? a : b)", -Infinity, extremeVjp),
  min: reduce("MinBackward1", "(a, b) => (a <= b || a !== a ? a : b)", Infinity, extremeVjp),

  reshape: movement(
    "ViewBackward0",
    (_, p) => [...p.shape!],
    (v, p) => {
      const s = reshapeStrides(v.shape, v.strides, p.shape!);
      return s && { shape: [...p.shape!], strides: s, offset: v.offset };
    },
    (g, ctx) => [g.reshape(shapeOf(ctx, 0))],
  ),
  permute: movement(
    "PermuteBackward0",
    ([x], p) => p.perm!.map((d) => x.shape[d]),
    (v, p) => ({
      shape: p.perm!.map((d) => v.shape[d]),
      strides: p.perm!.map((d) => v.strides[d]),
      offset: v.offset,
    }),
    (g, { params }) => [g.permute(inversePerm(params.perm!))],
  ),
  // expand's gradient is the identity: summing back to the operand's shape happens for every op.
  expand: movement(
    "ExpandBackward0",
    (_, p) => [...p.shape!],
    (v, p) => {
      const lead = p.shape!.length - v.shape.length;
      return {
        shape: [...p.shape!],
        strides: p.shape!.map((n, d) =>
          d < lead || (v.shape[d - lead] === 1 && n !== 1) ? 0 : v.strides[d - lead],
        ),
        offset: v.offset,
      };
    },
    (g) => [g],
  ),
  shrink: movement(
    "SliceBackward0",
    (_, p) => p.starts!.map((s, d) => p.ends![d] - s),
    (v, p) => ({
      shape: p.starts!.map((s, d) => p.ends![d] - s),
      strides: [...v.strides],
      offset: v.offset + p.starts!.reduce((o, s, d) => o + s * v.strides[d], 0),
    }),
    (g, ctx) => [
      g.pad(
        ctx.params.starts!,
        shapeOf(ctx, 0).map((n, d) => n - ctx.params.ends![d]),
      ),
    ],
  ),
  detach: movement(
    "",
    ([x]) => [...x.shape],
    (v) => v,
    null,
  ),
  pad: {
    kind: "pad",
    grad: "ConstantPadNdBackward0",
    dtype: ([x]) => x.dtype,
    shape: ([x], p) => x.shape.map((n, d) => p.before![d] + n + p.after![d]),
    vjp: (g, ctx) => [
      g.shrink(
        ctx.params.before!,
        ctx.params.before!.map((b, d) => b + shapeOf(ctx, 0)[d]),
      ),
    ],
  } as Opaque,
  // [..., m, k] @ [..., k, n] with broadcast batch dims (1-D operands are handled by Tensor.matmul)
  // grad_fn: the last op of PyTorch 1.13's matmul: mm; for a batched operand, the _unsafe_view of a
  // folded mm or bmm, except matrix @ batch, whose transposed result is made contiguous (a clone,
  // unless a size-1 dim makes the transpose contiguous already)
  matmul: {
    kind: "matmul",
    grad: ([a, b]) =>
      a.shape.length === 2 && b.shape.length === 2
        ? "MmBackward0"
        : a.shape.length > 2
          ? "UnsafeViewBackward0"
          : a.shape[0] === 1 || b.shape[b.shape.length - 1] === 1
            ? "TransposeBackward0"
            : "CloneBackward0",
    dtype: (ins) => promoteAll(ins),
    shape: ([a, b]) => {
      const [m, k] = a.shape.slice(-2),
        [k2, n] = b.shape.slice(-2);
      if (k !== k2)
        throw new Error(`mat1 and mat2 shapes cannot be multiplied (${m}x${k} and ${k2}x${n})`);
      return [...broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];
    },
    vjp: (g, { ins: [a, b], needs }) => [
      needs[0] ? g.matmul(b.mT) : null,
      needs[1] ? a.mT.matmul(g) : null,
    ],
  } as Opaque,
};

export const gradName = (def: OpDef, ins: Operand[]) =>
  typeof def.grad === "string" ? def.grad : def.grad(ins);
