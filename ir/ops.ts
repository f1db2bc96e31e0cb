// The op table: every primitive declared once. Its shape/dtype rule, scalar formula (elementwise
// and reduce ops), view rule (movement ops) and VJP rule serve eager mode, tracing, symbolic
// differentiation and codegen alike. Scalar formulas are backend-neutral expression trees (see
// scalar.ts). VJP rules use ordinary Tensor methods (the `Differentiable` interface below), so they
// run on eager tensors and on tracers. Broadcasting's gradient is not here: callers of `vjp` sum each gradient
// back to its operand's shape (see `sumTo`), once for all ops.
import { type DType, isFloat, promote } from "./dtype";
import { broadcastMap, type IndexMap, throughPad, throughReshape } from "./index-map";
import { S, type Scalar, storeAs } from "./scalar";
import { broadcastShapes, reducedShape, reshapeStrides, type Shape } from "./shape";

export interface Operand {
  shape: Shape;
  dtype: DType;
  wrapped?: boolean;
}
// Each op's parameters (plain numbers, booleans and dtype names, checked at the API edge); ops
// not listed take none. A graph value carries its op's params; rules see their own op's type.
export interface ReduceParams {
  dims: number[]; // sorted, normalized
  keepdim: boolean;
}
interface ParamTypes {
  sum: ReduceParams;
  max: ReduceParams;
  min: ReduceParams;
  reshape: { shape: number[] };
  expand: { shape: number[] };
  permute: { perm: number[] };
  shrink: { starts: number[]; ends: number[] };
  pad: { before: number[]; after: number[] };
  cast: { dtype: DType };
}
export type NoParams = Record<string, never>;
export type ParamsOf<K extends OpName> = K extends keyof ParamTypes ? ParamTypes[K] : NoParams;
export type Params = ParamsOf<OpName>;
export interface View {
  shape: number[];
  strides: number[];
  offset: number;
}
// What VJP rules may call: the Tensor methods they are written with (the runtime's Tensor and the
// compiler's tracers are both Tensors; ir/ only names the interface, so it imports nothing above it).
type Other<T> = T | number;
export interface Differentiable<T> {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly mT: T;
  neg(): T;
  exp(): T;
  log(): T;
  sin(): T;
  cos(): T;
  sign(): T;
  logicalNot(): T;
  add(o: Other<T>): T;
  sub(o: Other<T>): T;
  mul(o: Other<T>): T;
  div(o: Other<T>): T;
  pow(o: Other<T>): T;
  eq(o: Other<T>): T;
  ne(o: Other<T>): T;
  lt(o: Other<T>): T;
  le(o: Other<T>): T;
  gt(o: Other<T>): T;
  ge(o: Other<T>): T;
  logicalOr(o: T): T;
  where(cond: T, other: Other<T>): T;
  sum(dims: number[] | undefined, keepdim: boolean): T;
  reshape(shape: number[]): T;
  expand(shape: number[]): T;
  permute(perm: number[]): T;
  pad(before: number[], after: number[]): T;
  shrink(starts: number[], ends: number[]): T;
  matmul(o: T): T;
}
// shapes: the inputs' shapes, for rules that need nothing else of an input (PyTorch saves only the
// sizes then, so such a graph can run backward twice); absent, they are read from `ins`.
export interface VjpContext<T, P = Params> {
  ins: T[];
  out: T;
  params: P;
  needs: boolean[];
  shapes?: readonly (readonly number[])[];
}
export type Vjp<P = Params> = <T extends Differentiable<T>>(
  g: T,
  ctx: VjpContext<T, P>,
) => (T | null)[];

interface Common<P> {
  grad: string | ((ins: Operand[]) => string); // PyTorch's grad_fn name
  shape: (ins: Operand[], p: P) => number[];
  dtype: (ins: Operand[], p: P) => DType;
  vjp: Vjp<P> | null; // null: not differentiable (comparisons, detach)
}
// scalar: the value at one point, from the operands' values there.
// costly: a transcendental function, ~10-20 ns an element here against ~1 ns for arithmetic or for
// writing and re-reading a float (so the backward reads such a value rather than recomputing it).
export interface Elementwise<P = Params> extends Common<P> {
  kind: "elementwise";
  scalar: (ins: Scalar[], p: P) => Scalar;
  costly?: boolean;
}
export interface Reduce<P = ReduceParams> extends Common<P> {
  kind: "reduce";
  combine: (acc: Scalar, x: Scalar) => Scalar;
  init: number;
}
// view: the result as a strided view of the operand's storage, or null when no strides express it
// (eager then copies through the index map). index: the operand's index map given the result's
// (null when not affine: a reshape that splits a dim, which needs its operand materialized).
export interface Movement<P = Params> extends Common<P> {
  kind: "movement";
  view: (v: View, p: P) => View | null;
  index: (m: IndexMap, p: P, x: Shape, out: Shape) => IndexMap | null;
}
// An op that needs a kernel of its own (matmul today; conv, pooling, gather later): each backend
// has an emitter for it. operands "strided": each operand is read through a strided view of a
// buffer (transposed or sliced operands need no copy). epilogue: elementwise ops consuming the
// result may run on each result element inside the kernel (bias add, relu) instead of a pass.
export interface KernelDef<P = Params> extends Common<P> {
  kind: "kernel";
  operands: "strided";
  epilogue: boolean;
}
export type OpDef<P = Params> = Elementwise<P> | Reduce<P> | Movement<P> | KernelDef<P>;

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

const costly = <P>(d: Elementwise<P>): Elementwise<P> => ({ ...d, costly: true });
function unary(
  grad: string,
  f: (x: Scalar) => Scalar,
  vjp: Vjp<NoParams>,
  dtype: "float" | "same" = "float",
): Elementwise<NoParams> {
  return {
    kind: "elementwise",
    grad,
    scalar: ([x]) => f(x),
    vjp,
    shape: ([x]) => [...x.shape],
    dtype: ([x]) => (dtype === "float" ? floatOf(x.dtype) : x.dtype),
  };
}
function binary(
  grad: string | ((ins: Operand[]) => string),
  f: (a: Scalar, b: Scalar) => Scalar,
  vjp: Vjp<NoParams> | null,
  dtype: "promote" | "float" | "bool" = "promote",
): Elementwise<NoParams> {
  return {
    kind: "elementwise",
    grad,
    scalar: ([a, b]) => f(a, b),
    vjp,
    shape: broadcastAll,
    dtype: (ins) =>
      dtype === "bool" ? "bool" : dtype === "float" ? floatOf(promoteAll(ins)) : promoteAll(ins),
  };
}
const compare = (f: (a: Scalar, b: Scalar) => Scalar) => binary("", f, null, "bool");
function reduce(
  grad: string | ((ins: Operand[]) => string),
  combine: Reduce["combine"],
  init: number,
  vjp: Vjp<ReduceParams>,
): Reduce {
  return {
    kind: "reduce",
    grad,
    combine,
    init,
    vjp,
    shape: ([x], p) => reducedShape(x.shape, p.dims, p.keepdim),
    dtype: ([x]) => x.dtype,
  };
}
function movement<P>(
  grad: string,
  shape: Common<P>["shape"],
  view: Movement<P>["view"],
  index: Movement<P>["index"],
  vjp: Vjp<P> | null,
): Movement<P> {
  return { kind: "movement", grad, shape, view, index, vjp, dtype: ([x]) => x.dtype };
}

// The gradient of a reduction, put back in the input's shape.
const unreduce = <T extends Differentiable<T>>(g: T, shape: readonly number[], p: ReduceParams) =>
  g.reshape(reducedShape(shape, p.dims, true)).expand([...shape]);
const shapeOf = <T extends Differentiable<T>, P>(ctx: VjpContext<T, P>, i: number): number[] => [
  ...(ctx.shapes?.[i] ?? ctx.ins[i].shape),
];
// max/min: the gradient is shared evenly among the elements that attain the extreme (PyTorch's amax).
const extremeVjp: Vjp<ReduceParams> = (g, { ins: [x], out, params }) => {
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

// The ops that need a kernel of their own; each backend's emitter table is keyed by these.
export type KernelOpName = "matmul";

// The mapped type makes a primitive without a full declaration a compile error.
export const ops: {
  [K in OpName]: K extends KernelOpName ? KernelDef<ParamsOf<K>> : OpDef<ParamsOf<K>>;
} & { expand: Movement<ParamsOf<"expand">> } = {
  neg: unary("NegBackward0", S.neg, (g) => [g.neg()], "same"),
  exp: costly(unary("ExpBackward0", S.exp, (g, { out }) => [g.mul(out)])),
  log: costly(unary("LogBackward0", S.log, (g, { ins: [x] }) => [g.div(x)])),
  sqrt: unary("SqrtBackward0", S.sqrt, (g, { out }) => [g.div(out.mul(2))]),
  abs: unary("AbsBackward0", S.abs, (g, { ins: [x] }) => [g.mul(x.sign())], "same"),
  // sign(NaN) is 0 and sign(-0) is +0 in PyTorch 1.13
  sign: unary(
    "SignBackward0",
    (x) => S.select(S.gt(x, 0), 1, S.select(S.lt(x, 0), -1, 0)),
    (g) => [g.mul(0)],
    "same",
  ),
  // a backend may compute float32 tanh faster, accurate to float32 (backend/js: a rational tanhf)
  tanh: costly(unary("TanhBackward0", S.tanh, (g, { out }) => [g.mul(out.mul(out).neg().add(1))])),
  sigmoid: costly(
    unary(
      "SigmoidBackward0",
      (x) => S.div(1, S.add(1, S.exp(S.neg(x)))),
      (g, { out }) => [g.mul(out).mul(out.neg().add(1))],
    ),
  ),
  relu: unary(
    "ReluBackward0",
    (x) => S.select(S.lt(x, 0), 0, x), // NaN and -0 pass through, as in PyTorch
    (g, { out }) => [g.where(out.gt(0), 0)],
    "same",
  ),
  sin: costly(unary("SinBackward0", S.sin, (g, { ins: [x] }) => [g.mul(x.cos())])),
  cos: costly(unary("CosBackward0", S.cos, (g, { ins: [x] }) => [g.mul(x.sin()).neg()])),
  // erf(x): a scalar helper (backend/js/erf.ts); d/dx erf(x) = 2/sqrt(pi) exp(-x^2)
  erf: costly(
    unary("ErfBackward0", S.erf, (g, { ins: [x] }) => [
      g.mul(
        x
          .mul(x)
          .neg()
          .exp()
          .mul(2 / Math.sqrt(Math.PI)),
      ),
    ]),
  ),

  add: binary("AddBackward0", S.add, (g) => [g, g]),
  sub: binary("SubBackward0", S.sub, (g) => [g, g.neg()]),
  // each gradient reads only the saved tensor it needs, so an in-place change of the other is fine
  mul: binary("MulBackward0", S.mul, (g, { ins, needs }) => [
    needs[0] ? g.mul(ins[1]) : null,
    needs[1] ? g.mul(ins[0]) : null,
  ]),
  div: binary(
    "DivBackward0",
    S.div,
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
      S.pow,
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
  maximum: binary("MaximumBackward0", S.max, (g, { ins: [a, b] }) => {
    const shared = g.where(a.ne(b), g.mul(0.5)); // ties split the gradient, as PyTorch does
    return [shared.where(a.ge(b), 0), shared.where(b.ge(a), 0)];
  }),
  minimum: binary("MinimumBackward0", S.min, (g, { ins: [a, b] }) => {
    const shared = g.where(a.ne(b), g.mul(0.5));
    return [shared.where(a.le(b), 0), shared.where(b.le(a), 0)];
  }),
  eq: compare(S.eq),
  ne: compare(S.ne),
  lt: compare(S.lt),
  le: compare(S.le),
  gt: compare(S.gt),
  ge: compare(S.ge),
  logicalOr: compare((a, b) => S.or(S.nonzero(a), S.nonzero(b))),
  where: {
    kind: "elementwise",
    grad: "WhereBackward0",
    scalar: ([c, a, b]) => S.select(c, a, b),
    shape: broadcastAll,
    dtype: (ins) => promoteAll(ins.slice(1)),
    vjp: (g, { ins: [c] }) => [null, g.where(c, 0), g.where(c.logicalNot(), 0)],
  } satisfies Elementwise<NoParams>,
  logicalNot: {
    kind: "elementwise",
    grad: "",
    scalar: ([x]) => S.not(S.nonzero(x)),
    shape: ([x]) => [...x.shape],
    dtype: () => "bool",
    vjp: null,
  } satisfies Elementwise<NoParams>,
  cast: {
    kind: "elementwise",
    grad: "ToCopyBackward0",
    shape: ([x]) => [...x.shape],
    dtype: (_, p) => p.dtype,
    scalar: ([x], p) => storeAs(p.dtype, x),
    vjp: (g, { needs }) => [needs[0] ? g : null],
  } satisfies Elementwise<ParamsOf<"cast">>, // the engine casts it to the input's dtype

  sum: {
    ...reduce("SumBackward1", S.add, 0, (g, ctx) => [unreduce(g, shapeOf(ctx, 0), ctx.params)]),
    dtype: ([x]) => (x.dtype === "bool" ? "int32" : x.dtype),
  },
  max: reduce(
    "MaxBackward1",
    (a, b) => S.select(S.or(S.ge(a, b), S.ne(a, a)), a, b),
    -Infinity,
    extremeVjp,
  ),
  min: reduce(
    "MinBackward1",
    (a, b) => S.select(S.or(S.le(a, b), S.ne(a, a)), a, b),
    Infinity,
    extremeVjp,
  ),

  reshape: movement(
    "ViewBackward0",
    (_, p) => [...p.shape],
    (v, p) => {
      const s = reshapeStrides(v.shape, v.strides, p.shape);
      return s && { shape: [...p.shape], strides: s, offset: v.offset };
    },
    (m, _, x, out) => throughReshape(x, out, m),
    (g, ctx) => [g.reshape(shapeOf(ctx, 0))],
  ),
  permute: movement(
    "PermuteBackward0",
    ([x], p) => p.perm.map((d) => x.shape[d]),
    (v, p) => ({
      shape: p.perm.map((d) => v.shape[d]),
      strides: p.perm.map((d) => v.strides[d]),
      offset: v.offset,
    }),
    (m, p) => {
      const rows: number[][] = [],
        off: number[] = [];
      p.perm.forEach((d, i) => {
        rows[d] = m.rows[i];
        off[d] = m.off[i];
      });
      return { rows, off, mask: m.mask };
    },
    (g, { params }) => [g.permute(inversePerm(params.perm))],
  ),
  // expand's gradient is the identity: summing back to the operand's shape happens for every op.
  expand: movement(
    "ExpandBackward0",
    (_, p) => [...p.shape],
    (v, p) => {
      const lead = p.shape.length - v.shape.length;
      return {
        shape: [...p.shape],
        strides: p.shape.map((n, d) =>
          d < lead || (v.shape[d - lead] === 1 && n !== 1) ? 0 : v.strides[d - lead],
        ),
        offset: v.offset,
      };
    },
    (m, _, x, out) => broadcastMap(m, x, out),
    (g) => [g],
  ),
  shrink: movement(
    "SliceBackward0",
    (_, p) => p.starts.map((s, d) => p.ends[d] - s),
    (v, p) => ({
      shape: p.starts.map((s, d) => p.ends[d] - s),
      strides: [...v.strides],
      offset: v.offset + p.starts.reduce((o, s, d) => o + s * v.strides[d], 0),
    }),
    (m, p) => ({ rows: m.rows, off: m.off.map((o, d) => o + p.starts[d]), mask: m.mask }),
    (g, ctx) => [
      g.pad(
        ctx.params.starts,
        shapeOf(ctx, 0).map((n, d) => n - ctx.params.ends[d]),
      ),
    ],
  ),
  detach: movement(
    "",
    ([x]) => [...x.shape],
    (v) => v,
    (m) => m,
    null,
  ),
  // pad with zeros: no strided view (eager copies through the index map); in kernels a masked
  // index map, so pad, cat and slicing compositions fuse into their consumers
  pad: movement(
    "ConstantPadNdBackward0",
    ([x], p) => x.shape.map((n, d) => p.before[d] + n + p.after[d]),
    () => null,
    (m, p, x) => throughPad(m, p.before, p.after, x),
    (g, ctx) => [
      g.shrink(
        ctx.params.before,
        ctx.params.before.map((b, d) => b + shapeOf(ctx, 0)[d]),
      ),
    ],
  ),
  // [..., m, k] @ [..., k, n] with broadcast batch dims (1-D operands are handled by Tensor.matmul)
  // grad_fn: the last op of PyTorch 1.13's matmul: mm; for a batched operand, the _unsafe_view of a
  // folded mm or bmm, except matrix @ batch, whose transposed result is made contiguous (a clone,
  // unless a size-1 dim makes the transpose contiguous already)
  matmul: {
    kind: "kernel",
    operands: "strided",
    epilogue: true,
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
  } satisfies KernelDef<NoParams>,
};

export const gradName = (def: OpDef, ins: Operand[]) =>
  typeof def.grad === "string" ? def.grad : def.grad(ins);

// The rules of a graph value's op. A value's params are its op's (graph values are only made
// from the table's own ops and the params their callers typed), so graph-generic code sees every
// rule through the union of params: the one place that widens the table's per-op types.
export const defOf = (op: OpName): OpDef => ops[op] as unknown as OpDef;

// The params of a value whose op has the given kind (checked).
export function reduceParams(v: { op: string; params: Params }): ReduceParams {
  if (v.op !== "sum" && v.op !== "max" && v.op !== "min")
    throw new Error(`internal: %${v.op} is not a reduction`);
  return v.params as ReduceParams;
}
export function paramsOf<K extends keyof ParamTypes>(
  v: { op: string; params: Params },
  op: K,
): ParamTypes[K] {
  if (v.op !== op) throw new Error(`internal: expected a ${op} value, got ${v.op}`);
  return v.params as ParamTypes[K];
}
