// The Tensor: storage + shape + strides + offset, autograd fields and a version counter. Each op
// method is one call into `bind` (a primitive) or `composite` (a named composition of them).
// A tracer is a Tensor whose `storage` is null and whose value lives in a graph (see compile).
import { backend } from "../backend/index";
import {
  cTypeName,
  type DType,
  isFloat,
  type Storage,
  scalarTypeName,
  torchTypeName,
} from "../ir/dtype";
import { promoteAll } from "../ir/op-def";
import type { Params } from "../ir/ops";
import { floatOf, IndexError } from "../ir/ops";
import type { ConvParams, ConvTransposeParams, ConvWeightParams } from "../ir/ops/conv";
import { type ScatterReduction, scatterReductions } from "../ir/ops/indexing";
import type { PoolParams } from "../ir/ops/pool";
import { cumIndices } from "../ir/ops/scan";
import type { Col2imParams, WindowParams } from "../ir/ops/window";
import {
  broadcastDims,
  broadcastShapes,
  fmtShape,
  inferShape,
  normDim,
  normDims,
  numel,
  reducedShape,
  reshapeStrides,
  sameShape,
} from "../ir/shape";
import * as arg from "./args";
import { AccumulateGrad, type Edge, isGradEnabled, type Node, runBackward } from "./autograd";
import { composite } from "./composite";
import { cat } from "./create";
import { activeTrace, bind, broadcastTo, empty, materialize, scalar } from "./dispatch";
import { stateEpoch } from "./epoch";
import { CompileError } from "./errors";
import { formatTensor } from "./format";
import { broadcastIndices, checkedIndex, intIndex, iota } from "./index-ops";

type Operand = Tensor | number | boolean;
/** PyTorch's named tuple of max(dim), min(dim), sort, topk, ...: the values and their indices. */
/** The options of var/std/varMean/stdMean: PyTorch's keyword arguments. */
export interface VarOptions {
  correction?: number;
  unbiased?: boolean;
  keepdim?: boolean;
}
export type ValuesIndices = {
  values: Tensor;
  indices: Tensor;
};
type Dims = number | number[];
// A shape or a list of dims given as varargs or as one array (x.reshape(2, 3), x.reshape([2, 3])):
// a fresh array of ints (sizes and dims become loop bounds in generated kernels).
function intArgs(args: readonly unknown[], fn: string, name: string): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return arg.intList(args[0], fn, name, 1);
  return arg.intList([...args], fn, name, 1);
}

/**
 * An n-dimensional array of float32, float64, int32 or bool values with PyTorch's semantics:
 * broadcasting, dtype promotion, views that share storage, and autograd (`requiresGrad`,
 * `backward()`, `grad`, `gradFn`). Make one with {@link tensor}, {@link zeros}, {@link randn} and
 * the other creation functions; every op is a method and returns a new tensor (methods ending in
 * `_` update in place).
 */
export class Tensor {
  // A brand no Proxy or look-alike object has: Tensor.isTensor(v) holds only for real tensors
  // (instanceof can be fooled by a Proxy's getPrototypeOf, or by Object.setPrototypeOf).
  #brand() {}
  /** Whether `v` is a real tensor (not a Proxy of one, nor an object with Tensor's prototype). */
  static isTensor(v: unknown): v is Tensor {
    return typeof v === "object" && v !== null && #brand in v;
  }
  /** The autograd node that made this tensor (PyTorch's `grad_fn`), `null` for leaves. */
  gradFn: Node | null = null;
  private gradValue: Tensor | null = null;
  /** @internal */
  wrapped = false; // made from a JS number by an op (PyTorch's "wrapped number")
  /** @internal */
  fresh = false; // a gradient in storage no other tensor uses (a compiled backward's output)
  /** @internal */
  value: unknown = null; // tracers: the graph value this tensor stands for
  private leafRequiresGrad = false;
  private accumulator: AccumulateGrad | null = null;
  /** @internal */
  base: Tensor | null = null; // views: the tensor whose storage they share

  constructor(
    /** @internal */
    public storage: Storage | null,
    /** The sizes of the dims. */
    readonly shape: number[],
    /** Elements to step in storage per index of each dim (PyTorch's `stride()`). */
    readonly strides: number[],
    /** Where the first element is in storage (PyTorch's `storage_offset()`). */
    readonly offset: number,
    /** The element type. */
    readonly dtype: DType,
    /** @internal */
    readonly version = { n: 0 }, // shared by views: in-place writes bump it
  ) {}

  /** The number of dimensions. */
  get ndim() {
    return this.shape.length;
  }
  /** The number of elements. */
  numel() {
    return numel(this.shape);
  }
  /** Whether the tensor was made by the user rather than by an op that records gradients. */
  get isLeaf() {
    return this.gradFn === null;
  }
  /**
   * Whether gradients are recorded for ops on this tensor. Settable on leaves (floating-point
   * only), as PyTorch's `requires_grad`.
   */
  get requiresGrad(): boolean {
    return this.gradFn !== null || this.leafRequiresGrad;
  }
  set requiresGrad(value: boolean) {
    const flag = arg.bool(value, "requires_grad", "requires_grad");
    if (!this.isLeaf) {
      throw new Error(
        "you can only change requires_grad flags of leaf variables." +
          (flag
            ? ""
            : " If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."),
      );
    }
    if (flag && !isFloat(this.dtype))
      throw new Error("only Tensors of floating point and complex dtype can require gradients");
    this.leafRequiresGrad = flag;
    stateEpoch.n++;
  }
  /** Sets `requiresGrad` on a leaf and returns the tensor. */
  requiresGrad_(value = true): this {
    const flag = arg.bool(value, "requires_grad_", "requires_grad", 1);
    if (flag && !isFloat(this.dtype))
      throw new Error("only Tensors of floating point dtype can require gradients"); // sic: not the setter's wording
    this.requiresGrad = flag;
    return this;
  }

  /**
   * The gradient accumulated by `backward()` into a leaf that requires grad, else `null`. Assigning
   * checks what PyTorch checks: a tensor of this tensor's shape and dtype, or null.
   */
  get grad(): Tensor | null {
    activeTrace()?.gradRead?.(this, this.gradValue);
    return this.gradValue;
  }
  set grad(g: Tensor | null) {
    activeTrace()?.gradAssigned?.(this, this.gradValue);
    if (g === null || g === undefined) {
      this.gradValue = null;
      return;
    }
    if (!Tensor.isTensor(g))
      throw new TypeError(
        `assigned grad expected to be a Tensor or None but got grad of type ${arg.typeName(g)}`,
      );
    if (g.dtype !== this.dtype) throw new Error("assigned grad has data of a different type");
    if (!sameShape(g.shape, this.shape))
      throw new Error("assigned grad has data of a different size");
    this.gradValue = g;
  }

  /** @internal */
  outputIndex = 0; // which output of gradFn this tensor is (compiled functions have several)
  // Where gradients for this tensor go: its GradFn, or (leaves) its AccumulateGrad node.
  /** @internal */
  gradEdge(): Edge {
    return this.gradFn ? [this.gradFn, this.outputIndex] : [this.leafAccumulator(), 0];
  }
  private leafAccumulator(): AccumulateGrad {
    this.accumulator ??= new AccumulateGrad(this);
    return this.accumulator;
  }

  /** @internal */
  withView(shape: number[], strides: number[], offset: number): Tensor {
    const t = new Tensor(this.storage, shape, strides, offset, this.dtype, this.version);
    t.value = this.value;
    t.base = this.base ?? this;
    return t;
  }
  // PyTorch's is_contiguous: row-major strides (size-1 dims aside), whatever the offset
  /** Whether the elements are laid out in row-major order (PyTorch's `is_contiguous`). */
  isContiguous(): boolean {
    for (let d = this.ndim - 1, expected = 1; d >= 0; d--) {
      if (this.shape[d] === 0) return true;
      if (this.shape[d] !== 1 && this.strides[d] !== expected) return false;
      expected *= this.shape[d];
    }
    return true;
  }

  // ---- data access (not allowed on tracers) ----
  // While tracing, values are off limits even for captured eager tensors: a value read then would
  // be baked into the compiled graph and go stale when the tensor changes.
  private data_(what: string): Storage {
    if (!this.storage || (activeTrace() && !this.wrapped)) {
      throw new CompileError(
        `${what} needs a tensor's values, which are not known while tracing a compiled function; move it outside the function passed to compile()`,
      );
    }
    return this.storage;
  }
  /** The elements as a flat array of numbers, in row-major order (bool as 0 and 1). */
  values(): number[] {
    const s = this.data_("reading values"),
      out = new Array<number>(this.numel());
    const idx = new Array<number>(this.ndim).fill(0);
    for (let i = 0; i < out.length; i++) {
      let o = this.offset;
      for (let d = 0; d < idx.length; d++) o += idx[d] * this.strides[d];
      out[i] = s[o];
      for (let d = idx.length - 1; d >= 0 && ++idx[d] === this.shape[d]; d--) idx[d] = 0;
    }
    return out;
  }
  /** The value of a one-element tensor as a number. */
  item(): number {
    this.data_("item()");
    if (this.numel() !== 1)
      throw new Error(`a Tensor with ${this.numel()} elements cannot be converted to Scalar`);
    return this.values()[0];
  }
  /** The elements as nested arrays (booleans for bool tensors), as PyTorch's `tolist()`. */
  tolist(): unknown {
    this.data_("tolist()");
    const flat = this.values().map((v) => (this.dtype === "bool" ? v !== 0 : v));
    const build = (d: number, at: number): unknown => {
      if (d === this.ndim) return flat[at];
      const step = numel(this.shape.slice(d + 1));
      return Array.from({ length: this.shape[d] }, (_, i) => build(d + 1, at + i * step));
    };
    return build(0, 0);
  }
  /** The tensor printed exactly as PyTorch prints it. */
  toString(): string {
    const extras = this.gradFn
      ? [`grad_fn=<${this.gradFn.name}>`]
      : this.requiresGrad
        ? ["requires_grad=True"]
        : [];
    return formatTensor(
      this.data_("printing a tensor").length ? this.values() : [],
      this.shape,
      this.dtype,
      extras,
    );
  }
  [Symbol.for("nodejs.util.inspect.custom")]() {
    return this.storage ? this.toString() : `Tracer(${fmtShape(this.shape)}, ${this.dtype})`;
  }

  // ---- autograd ----
  /**
   * Accumulates the gradient of this tensor into the `.grad` of the leaves it was computed from
   * (`gradient` defaults to 1 for a one-element tensor). `retainGraph` keeps the graph for another
   * backward (default: `createGraph`); `createGraph` records the backward's own ops, so the
   * gradients have a `gradFn` and can be differentiated again.
   */
  backward(
    gradient?: Tensor | null,
    opts?: { retainGraph?: boolean; createGraph?: boolean },
  ): void {
    const o = arg.options(opts, "backward", ["retainGraph", "createGraph"]);
    const createGraph =
      o.createGraph === undefined ? false : arg.bool(o.createGraph, "backward", "createGraph");
    const retainGraph =
      o.retainGraph === undefined
        ? createGraph
        : arg.bool(o.retainGraph, "backward", "retainGraph");
    if (gradient === null) gradient = undefined;
    if (gradient !== undefined && !Tensor.isTensor(gradient))
      throw new TypeError(
        `gradients can be either Tensors or None, but got ${arg.typeName(gradient)}`,
      );
    const tracing = !this.storage;
    if (tracing && !activeTrace()?.autograd)
      throw new CompileError(
        "backward() cannot run inside compile(); compile the loss and call backward() on its result, or use grad()/valueAndGrad()",
      );
    if (!this.requiresGrad)
      throw new Error("element 0 of tensors does not require grad and does not have a grad_fn");
    if (!gradient) {
      if (this.numel() !== 1)
        throw new Error("grad can be implicitly created only for scalar outputs");
      // while tracing a whole step: ones as a graph constant
      gradient = tracing
        ? scalar(1)
            .to(this.dtype)
            .expand([...this.shape])
        : seedGradient(this);
    } else if (!sameShape(gradient.shape, this.shape)) {
      throw new Error(
        `Mismatch in shape: grad_output[0] has a shape of torch.Size(${fmtShape(gradient.shape)}) and output[0] has a shape of torch.Size(${fmtShape(this.shape)}).`,
      );
    }
    if (tracing) activeTrace()!.backwardCalled?.();
    runBackward([this.gradEdge()], [gradient], { retainGraph, createGraph }, engineHooks);
  }
  // shares storage and version counter, but is not a view autograd tracks (PyTorch: x.detach()._is_view() is False),
  // so in-place updates of it are allowed
  /** A tensor sharing this one's storage, cut from the autograd graph. */
  detach(): Tensor {
    const t = bind("detach", [this]);
    t.base = null;
    return t;
  }
  /** The same storage as a tensor outside autograd (PyTorch's `.data`); prefer `detach()`. */
  get data(): Tensor {
    // shares storage but not the version counter (PyTorch's .data)
    const t = new Tensor(this.storage, this.shape, this.strides, this.offset, this.dtype);
    t.value = this.value;
    return t;
  }

  // ---- elementwise ----
  add(other: Operand, alpha?: number) {
    const o = arg.operand(other, "add");
    return bind("add", [
      this,
      alpha === undefined ? o : mulScalar(o, arg.number(alpha, "add", "alpha")),
    ]);
  }
  /** `this - alpha * o`, broadcast (alpha defaults to 1). */
  sub(other: Operand, alpha?: number) {
    const o = arg.operand(other, "sub");
    if (alpha !== undefined) alpha = arg.number(alpha, "sub", "alpha");
    const bools = [this, o].filter((x) =>
      Tensor.isTensor(x) ? x.dtype === "bool" : typeof x === "boolean",
    ).length;
    if (bools === 2)
      throw new Error(
        "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.",
      );
    if (bools === 1)
      throw new Error(
        "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
      );
    return bind("sub", [this, alpha === undefined ? o : mulScalar(o, alpha)]);
  }
  /** Elementwise product, broadcast. */
  mul(other: Operand) {
    return bind("mul", [this, arg.operand(other, "mul")]);
  }
  /**
   * Elementwise division, broadcast; roundingMode "trunc" rounds the quotient toward zero, "floor"
   * down (integer operands then give an integer result, as PyTorch's).
   */
  div(other: Operand, opts?: { roundingMode?: "trunc" | "floor" | null }): Tensor {
    const o = arg.operand(other, "div");
    const mode = arg.options(opts, "div", ["roundingMode"]).roundingMode;
    if (mode !== undefined && mode !== null) {
      if (mode === "trunc" || mode === "floor") return this.roundedDiv(o, mode);
      throw new Error(
        `div expected rounding_mode to be one of None, 'trunc', or 'floor' but found ${typeof mode === "string" ? `'${mode}'` : arg.typeName(mode)}`,
      );
    }
    return bind("div", [this, o]);
  }
  /** Elementwise power, broadcast. */
  pow(other: Operand) {
    const o = arg.operand(other, "pow");
    // (a bool exponent that is a number promotes to an integer power)
    if (Tensor.isTensor(o)) noKernelFor([this, o], "bool", "pow");
    return bind("pow", [this, o]);
  }
  /** Elementwise maximum, broadcast (NaN propagates). */
  maximum(other: Operand) {
    return bind("maximum", [this, arg.operand(other, "maximum")]);
  }
  /** Elementwise minimum, broadcast (NaN propagates). */
  minimum(other: Operand) {
    return bind("minimum", [this, arg.operand(other, "minimum")]);
  }
  /** Elementwise negation. */
  neg() {
    if (this.dtype === "bool")
      throw new Error(
        "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
      );
    return bind("neg", [this]);
  }
  /** Elementwise e^x. */
  exp() {
    return bind("exp", [this]);
  }
  /** Elementwise natural logarithm. */
  log() {
    return bind("log", [this]);
  }
  /** Elementwise square root. */
  sqrt() {
    return bind("sqrt", [this]);
  }
  /** Elementwise absolute value. */
  abs() {
    return bind("abs", [this]);
  }
  /** Elementwise sign: -1, 0 or 1. */
  sign() {
    return bind("sign", [this]);
  }
  /** Elementwise hyperbolic tangent. */
  tanh() {
    return bind("tanh", [this]);
  }
  /** Elementwise logistic function 1 / (1 + e^-x). */
  sigmoid() {
    return bind("sigmoid", [this]);
  }
  /** Elementwise max(x, 0). */
  relu() {
    if (this.dtype === "bool") throw new Error("Boolean inputs not supported for relu");
    return bind("relu", [this]);
  }
  /** Elementwise sine. */
  sin() {
    return bind("sin", [this]);
  }
  /** Elementwise cosine. */
  cos() {
    return bind("cos", [this]);
  }
  /** Elementwise error function. */
  erf() {
    return bind("erf", [this]);
  }
  // ---- rounding and more elementwise math (issue 11) ----
  private rounding(op: "floor" | "ceil" | "round" | "trunc") {
    if (this.dtype === "bool") throw new Error(`"${op}_vml_cpu" not implemented for 'Bool'`);
    return bind(op, [this]);
  }
  /** Elementwise floor (integers unchanged; zero gradient). */
  floor() {
    return this.rounding("floor");
  }
  /** Elementwise ceiling (integers unchanged; zero gradient). */
  ceil() {
    return this.rounding("ceil");
  }
  /** Elementwise rounding to the nearest integer, halves to even (as PyTorch's round). */
  round() {
    return this.rounding("round");
  }
  /** Elementwise rounding toward zero. */
  trunc() {
    return this.rounding("trunc");
  }
  /** The fractional part, x - trunc(x) (floating-point tensors). */
  frac() {
    arg.floatKernel(this.dtype, "frac_cpu");
    return composite("FracBackward0", [this], (x) => x.sub(x.detach().trunc()));
  }
  /** Elementwise complementary error function 1 - erf(x), accurate for large x. */
  erfc() {
    return bind("erfc", [this]);
  }
  /** Elementwise inverse error function: erfinv(erf(x)) = x; NaN outside [-1, 1], +-inf at +-1. */
  erfinv() {
    return bind("erfinv", [this]);
  }
  /** Elementwise log(1 + x), accurate near 0. */
  log1p() {
    return bind("log1p", [this]);
  }
  /** Elementwise e^x - 1, accurate near 0. */
  expm1() {
    return bind("expm1", [this]);
  }
  /** Elementwise base-2 logarithm. */
  log2() {
    return bind("log2", [this]);
  }
  /** Elementwise base-10 logarithm. */
  log10() {
    return bind("log10", [this]);
  }
  /** Elementwise 2^x. */
  exp2() {
    const x = isFloat(this.dtype) ? this : this.to("float32");
    return composite("Exp2Backward0", [x], (v) => bind("pow", [scalar(2), v]));
  }
  /** Elementwise 1 / sqrt(x). */
  rsqrt() {
    return composite("RsqrtBackward0", [this], (x) => x.sqrt().reciprocalOf());
  }
  /** Elementwise 1 / x. */
  reciprocal() {
    return composite("ReciprocalBackward0", [this], (x) => x.reciprocalOf());
  }
  private reciprocalOf() {
    return bind("div", [scalar(1), this]);
  }
  /** Elementwise tangent. */
  tan() {
    return bind("tan", [this]);
  }
  /** Elementwise arcsine. */
  asin() {
    return bind("asin", [this]);
  }
  /** Elementwise arccosine. */
  acos() {
    return bind("acos", [this]);
  }
  /** Elementwise arctangent. */
  atan() {
    return bind("atan", [this]);
  }
  /** Elementwise hyperbolic sine. */
  sinh() {
    return bind("sinh", [this]);
  }
  /** Elementwise hyperbolic cosine. */
  cosh() {
    return bind("cosh", [this]);
  }
  /** Elementwise inverse hyperbolic sine. */
  asinh() {
    return bind("asinh", [this]);
  }
  /** Elementwise inverse hyperbolic cosine. */
  acosh() {
    return bind("acosh", [this]);
  }
  /** Elementwise inverse hyperbolic tangent. */
  atanh() {
    return bind("atanh", [this]);
  }
  /** Elementwise atan2(this, other): the angle of the point (other, this), broadcast. */
  atan2(other: Tensor) {
    return bind("atan2", [this, arg.tensorArg(other, "atan2")]);
  }
  /** C's fmod: the remainder of this / other with this one's sign, broadcast. */
  fmod(other: Operand) {
    const ins: [Tensor, Operand] = [this, arg.operand(other, "fmod")];
    noKernelFor(ins, "bool", "fmod_cpu");
    return bind("fmod", intDivisorCheck(ins));
  }
  /** Python's remainder: this - floor(this / other) * other, with other's sign, broadcast. */
  remainder(other: Operand) {
    const ins: [Tensor, Operand] = [this, arg.operand(other, "remainder")];
    noKernelFor(ins, "bool", "remainder_cpu");
    return bind("remainder", intDivisorCheck(ins));
  }
  /** Division rounded down (PyTorch's floor_divide, which floors since 1.13). */
  floorDivide(other: Operand) {
    return this.roundedDiv(arg.operand(other, "floor_divide"), "floor");
  }
  private roundedDiv(o: Tensor | number | boolean, mode: "trunc" | "floor"): Tensor {
    const ins: [Tensor, Tensor] = [this, typeof o === "object" ? o : scalar(o)];
    const dtype = promoteAll(ins),
      intResult = !isFloat(dtype);
    noKernelFor(ins, "bool", mode === "floor" ? "div_floor_cpu" : "div_trunc_cpu");
    intDivisorCheck(ins);
    if (mode === "floor") return bind("divFloor", ins);
    return composite("DivBackward2", ins, (a, b) => {
      // integers divide exactly in double, then round and come back to their dtype
      const q = intResult ? a.to("float64").div(b.to("float64")) : a.div(b);
      return intResult ? q.trunc().to(dtype) : q.trunc();
    });
  }
  /**
   * Clamps each element into [min, max] (either may be omitted; numbers or tensors, broadcast). The
   * gradient passes where min <= x <= max, as PyTorch's; NaN stays NaN.
   */
  clamp(min?: Operand | null, max?: Operand | null): Tensor {
    const lo = min === undefined || min === null ? null : arg.operand(min, "clamp", "min", 1);
    const hi = max === undefined || max === null ? null : arg.operand(max, "clamp", "max", 2);
    if (lo === null && hi === null)
      throw new Error("torch.clamp: At least one of 'min' or 'max' must not be None");
    if (typeof lo === "boolean" || typeof hi === "boolean")
      throw new TypeError("clamp(): min and max must be numbers or tensors, not bool");
    const bounds = [lo, hi].filter((b): b is Tensor => typeof b === "object" && b !== null);
    const name = bounds.length ? "ClampBackward0" : "ClampBackward1";
    return composite(name, [this, ...bounds], (x, ...bs) => {
      const l = typeof lo === "object" && lo !== null ? bs.shift()! : lo;
      const h = typeof hi === "object" && hi !== null ? bs.shift()! : hi;
      // each side: x where it is inside that bound (the gradient passes), else the bound (NaN
      // stays NaN: maximum and minimum propagate it)
      let y = l === null ? x : x.where(x.ge(l), x.maximum(l));
      if (h !== null) y = y.where(y.le(h), y.minimum(h));
      return y;
    });
  }
  /** Same as `clamp`. */
  clip(min?: Operand | null, max?: Operand | null): Tensor {
    return this.clamp(min, max);
  }
  /** this + weight * (end - this), PyTorch's two-sided formula (exact at weight 0 and 1). */
  lerp(end: Tensor, weight: Tensor | number): Tensor {
    const e = arg.tensorArg(end, "lerp", "end", 1);
    const w = typeof weight === "number" ? weight : arg.tensorArg(weight, "lerp", "weight", 2);
    // PyTorch's order: end's and weight's dtypes, then whether self's has a kernel
    for (const [t, name] of [
      [e, "end"],
      [w, "weight"],
    ] as const)
      if (typeof t !== "number" && t.dtype !== this.dtype)
        throw new Error(
          `expected dtype ${cTypeName(this.dtype)} for \`${name}\` but got dtype ${cTypeName(t.dtype)}`,
        );
    arg.floatKernel(this.dtype, `lerp_kernel_${typeof w === "number" ? "scalar" : "tensor"}`);
    if (typeof w === "number")
      return composite("LerpBackward0", [this, e], (a, b) =>
        w < 0.5 ? a.add(b.sub(a).mul(w)) : b.sub(b.sub(a).mul(1 - w)),
      );
    return composite("LerpBackward1", [this, e, w], (a, b, t) => {
      const d = b.sub(a);
      return a.add(d.mul(t)).where(t.lt(0.5), b.sub(d.mul(t.neg().add(1))));
    });
  }
  /** this + value * tensor1 * tensor2 (value defaults to 1). */
  addcmul(tensor1: Tensor, tensor2: Tensor, opts?: { value?: number }): Tensor {
    const t1 = arg.tensorArg(tensor1, "addcmul", "tensor1", 1),
      t2 = arg.tensorArg(tensor2, "addcmul", "tensor2", 2);
    const v = arg.options(opts, "addcmul", ["value"]).value;
    const value = v === undefined ? 1 : arg.number(v, "addcmul", "value");
    noKernelFor([this, t1, t2], "bool", "addcmul_cpu_out");
    return composite("AddcmulBackward0", [this, t1, t2], (s, a, b) =>
      s.add(value === 1 ? a.mul(b) : a.mul(b).mul(value)),
    );
  }
  /** this + value * tensor1 / tensor2 (value defaults to 1). */
  addcdiv(tensor1: Tensor, tensor2: Tensor, opts?: { value?: number }): Tensor {
    const t1 = arg.tensorArg(tensor1, "addcdiv", "tensor1", 1),
      t2 = arg.tensorArg(tensor2, "addcdiv", "tensor2", 2);
    const v = arg.options(opts, "addcdiv", ["value"]).value;
    const value = v === undefined ? 1 : arg.number(v, "addcdiv", "value");
    if (!isFloat(t1.dtype) && !isFloat(t2.dtype))
      throw new Error(
        "Integer division with addcdiv is no longer supported, and in a future release addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all dtypes.",
      );
    return composite("AddcdivBackward0", [this, t1, t2], (s, a, b) =>
      s.add(value === 1 ? a.div(b) : a.mul(value).div(b)),
    );
  }
  /** sqrt(this^2 + other^2), broadcast. */
  hypot(other: Tensor): Tensor {
    const o = arg.tensorArg(other, "hypot");
    noKernelFor([this, o], "int", "hypot_cpu");
    return bind("hypot", [this, o]);
  }
  /** log(exp(this) + exp(other)), computed stably, broadcast. */
  logaddexp(other: Tensor): Tensor {
    const o = arg.tensorArg(other, "logaddexp");
    noKernelFor([this, o], "int", "logaddexp_cpu");
    return composite("LogaddexpBackward0", [this, o], (a, b) => {
      const r = a.maximum(b).add(a.sub(b).abs().neg().exp().log1p());
      // equal infinities: the infinity itself (their difference is NaN)
      return r.where(a.ne(b).logicalOr(a.abs().ne(Infinity)), a);
    });
  }
  /** Where the elements are NaN (a bool tensor). */
  isnan(): Tensor {
    return this.ne(this);
  }
  /** Where the elements are +-infinity (a bool tensor). */
  isinf(): Tensor {
    return isFloat(this.dtype) ? this.abs().eq(Infinity) : this.ne(this);
  }
  /** Where the elements are finite: not NaN nor +-infinity (a bool tensor). */
  isfinite(): Tensor {
    return isFloat(this.dtype) ? this.sub(this).eq(0) : this.eq(this);
  }
  /** Where the sign bit is set: negative values, -0 and -infinity (a bool tensor). */
  signbit(): Tensor {
    if (this.dtype === "bool") return this.ne(this);
    if (!isFloat(this.dtype)) return this.lt(0);
    return this.lt(0).logicalOr(bind("div", [scalar(1), this]).lt(0)); // -0: 1 / -0 is -inf
  }
  /** |this| with the sign of `other` (its sign bit: -0 counts as negative), broadcast. */
  copysign(other: Operand): Tensor {
    const o = arg.operand(other, "copysign");
    const ins = [this, typeof o === "object" ? o : scalar(o)];
    const name = typeof o === "object" ? "CopysignBackward0" : "CopysignBackward1";
    // the operands' promoted dtype, integers as float32 (PyTorch's int-to-float promotion)
    const common = promoteAll(ins);
    const dtype = isFloat(common) ? common : "float32";
    return composite(name, ins, (a, b) => {
      const m = a.to(dtype).abs();
      const y = m.where(b.signbit().logicalNot(), m.neg());
      // other's gradient is zeros, as PyTorch's: minus 0 from an all-false where (keeps -0)
      return b.requiresGrad ? y.sub(b.where(b.lt(b), 0)) : y;
    });
  }
  /**
   * NaN, +infinity and -infinity replaced by `nan` (0), `posinf` and `neginf` (by default the
   * dtype's largest and lowest finite values); the gradient passes where the input is finite.
   */
  nanToNum(opts?: { nan?: number; posinf?: number; neginf?: number }): Tensor {
    const o = arg.options(opts, "nan_to_num", ["nan", "posinf", "neginf"]);
    if (!isFloat(this.dtype)) return this.clone();
    const big = this.dtype === "float32" ? 3.4028234663852886e38 : Number.MAX_VALUE;
    const nan = o.nan === undefined ? 0 : arg.number(o.nan, "nan_to_num", "nan"),
      posinf = o.posinf === undefined ? big : arg.number(o.posinf, "nan_to_num", "posinf"),
      neginf = o.neginf === undefined ? -big : arg.number(o.neginf, "nan_to_num", "neginf");
    return composite("NanToNumBackward0", [this], (x) =>
      x.where(x.eq(x), nan).where(x.ne(Infinity), posinf).where(x.ne(-Infinity), neginf),
    );
  }
  /**
   * Where |this - other| <= atol + rtol |other| (or the two are equal; NaNs count as equal with
   * equalNan), broadcast: a bool tensor. rtol 1e-5 and atol 1e-8 by default, as PyTorch.
   */
  isclose(other: Tensor, opts?: { rtol?: number; atol?: number; equalNan?: boolean }): Tensor {
    const o = arg.tensorArg(other, "isclose");
    const p = arg.options(opts, "isclose", ["rtol", "atol", "equalNan"]);
    const rtol = p.rtol === undefined ? 1e-5 : arg.number(p.rtol, "isclose", "rtol"),
      atol = p.atol === undefined ? 1e-8 : arg.number(p.atol, "isclose", "atol"),
      equalNan = p.equalNan === undefined ? false : arg.bool(p.equalNan, "isclose", "equalNan");
    if (o.dtype !== this.dtype)
      throw new Error(`${scalarType(this)} did not match ${scalarType(o)}`);
    if (!(rtol >= 0))
      throw new Error(`rtol must be greater than or equal to zero, but got ${rtol}`);
    if (!(atol >= 0))
      throw new Error(`atol must be greater than or equal to zero, but got ${atol}`);
    let close = this.eq(o);
    if (equalNan) close = close.logicalOr(this.ne(this).where(o.ne(o), false));
    if (!isFloat(this.dtype) && this.dtype !== "int32") return close;
    const a = this.dtype === "int32" ? this.to("float64") : this,
      b = this.dtype === "int32" ? o.to("float64") : o;
    const actual = a.sub(b).abs(),
      allowed = b.abs().mul(rtol).add(atol);
    return close.logicalOr(actual.le(allowed).where(actual.ne(Infinity), false));
  }
  /** Whether every element is close to `other`'s (see `isclose`): a boolean. */
  allclose(other: Tensor, opts?: { rtol?: number; atol?: number; equalNan?: boolean }): boolean {
    return this.isclose(other, opts).logicalNot().sum().item() === 0;
  }
  // ---- bitwise ops (int32 and bool; bool results for bool operands) ----
  private bitwise(
    op: "bitwiseAnd" | "bitwiseOr" | "bitwiseXor" | "bitwiseLeftShift" | "bitwiseRightShift",
    other: unknown,
    kernel: string,
  ): Tensor {
    const o = arg.operand(other, op);
    const ins = [this, typeof o === "object" ? o : scalar(o)];
    const dtype = promoteAll(ins);
    const shift = op === "bitwiseLeftShift" || op === "bitwiseRightShift";
    if (isFloat(dtype) || (shift && dtype === "bool"))
      throw new Error(`"${kernel}" not implemented for '${scalarTypeName(dtype)}'`);
    return bind(op, ins);
  }
  /** Elementwise bitwise and (logical and for bool), broadcast. */
  bitwiseAnd(other: Operand): Tensor {
    return this.bitwise("bitwiseAnd", other, "bitwise_and_cpu");
  }
  /** Elementwise bitwise or (logical or for bool), broadcast. */
  bitwiseOr(other: Operand): Tensor {
    return this.bitwise("bitwiseOr", other, "bitwise_or_cpu");
  }
  /** Elementwise bitwise xor (logical xor for bool), broadcast. */
  bitwiseXor(other: Operand): Tensor {
    return this.bitwise("bitwiseXor", other, "bitwise_xor_cpu");
  }
  /**
   * Elementwise `this << other` on int32 (wrapping to 32 bits; shift counts outside [0, 32) give
   * 0), broadcast.
   */
  bitwiseLeftShift(other: Operand): Tensor {
    return this.bitwise("bitwiseLeftShift", other, "lshift_cpu");
  }
  /**
   * Elementwise arithmetic `this >> other` on int32 (shift counts outside [0, 32) give 0, or -1 for
   * negative values), broadcast.
   */
  bitwiseRightShift(other: Operand): Tensor {
    return this.bitwise("bitwiseRightShift", other, "rshift_cpu");
  }
  /** Elementwise bitwise not (logical not for bool). */
  bitwiseNot(): Tensor {
    if (isFloat(this.dtype))
      throw new Error(`"bitwise_not_cpu" not implemented for '${scalarType(this)}'`);
    return this.dtype === "bool" ? this.logicalNot() : bind("bitwiseNot", [this]);
  }
  /** Elementwise x * x. */
  square() {
    return this.mul(this);
  }
  /** Elementwise `==`, broadcast: a bool tensor. */
  eq(other: Operand) {
    return bind("eq", [this, arg.operand(other, "eq")]);
  }
  /** Elementwise `!=`, broadcast: a bool tensor. */
  ne(other: Operand) {
    return bind("ne", [this, arg.operand(other, "ne")]);
  }
  /** Elementwise `<`, broadcast: a bool tensor. */
  lt(other: Operand) {
    return bind("lt", [this, arg.operand(other, "lt")]);
  }
  /** Elementwise `<=`, broadcast: a bool tensor. */
  le(other: Operand) {
    return bind("le", [this, arg.operand(other, "le")]);
  }
  /** Elementwise `>`, broadcast: a bool tensor. */
  gt(other: Operand) {
    return bind("gt", [this, arg.operand(other, "gt")]);
  }
  /** Elementwise `>=`, broadcast: a bool tensor. */
  ge(other: Operand) {
    return bind("ge", [this, arg.operand(other, "ge")]);
  }
  /** Elementwise logical or, broadcast: a bool tensor. */
  logicalOr(other: Operand) {
    return bind("logicalOr", [this, arg.operand(other, "logicalOr")]);
  }
  /** Elementwise logical not: a bool tensor. */
  logicalNot() {
    return bind("logicalNot", [this]);
  }
  // PyTorch's x.where(cond, y): x where cond holds, else y
  /** This tensor where `cond` holds, `other` elsewhere (PyTorch's `x.where(cond, y)`). */
  where(cond: Tensor, other: Operand) {
    const c = arg.tensorArg(cond, "where", "condition", 1);
    const o = arg.operand(other, "where", "other", 2);
    whereCheck(c);
    return bind("where", [c, this, o]);
  }
  /** This tensor converted to `dtype` (itself when it already has that dtype). */
  to(dtype: DType): Tensor {
    const d = arg.dtype(dtype, "to");
    if (d === undefined) throw new TypeError("to(): expected a dtype, got undefined");
    return d === this.dtype ? this : bind("cast", [this], { dtype: d });
  }
  /** `to("float32")`. */
  float() {
    return this.to("float32");
  }
  /** `to("float64")`. */
  double() {
    return this.to("float64");
  }
  /** `to("int32")`. */
  int() {
    return this.to("int32");
  }
  /** `to("bool")`. */
  bool() {
    return this.to("bool");
  }
  /** A copy with its own storage (gradients flow back to this tensor). */
  clone() {
    return bind("cast", [this], { dtype: this.dtype }, "CloneBackward0");
  }
  /** This tensor if it is contiguous, otherwise a contiguous copy. */
  contiguous() {
    return this.isContiguous() ? this : this.clone();
  }

  // ---- reductions ----
  private reduceOp(
    op: "sum" | "prod" | "max" | "min",
    dimArg: unknown,
    keepdimArg: unknown,
    name: string, // the API name in errors (amax for max over dims)
    all: string,
    some?: string,
  ) {
    const dim = dimArg === undefined ? undefined : arg.dims(dimArg, name);
    const keepdim = arg.bool(keepdimArg, name, "keepdim", 2);
    const extreme = op === "max" || op === "min";
    if (extreme && this.numel() === 0 && dim === undefined) {
      throw new Error(
        `${name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`,
      );
    }
    const params: Params = { dims: normDims(dim, this.ndim), keepdim };
    const empty =
      extreme && dim !== undefined ? params.dims!.find((d) => this.shape[d] === 0) : undefined;
    if (empty !== undefined)
      throw new Error(`${name}(): Expected reduction dim ${empty} to have non-zero size.`);
    return bind(op, [this], params, dim === undefined ? all : some);
  }
  /**
   * Sum of all elements, or over `dim` (one or several), keeping reduced dims as size 1 if
   * `keepdim`.
   */
  sum(dim?: Dims, keepdim = false) {
    return this.reduceOp("sum", dim, keepdim, "sum", "SumBackward0");
  }
  /**
   * `max()`: the largest element (0-d). `max(dim, keepdim)`: the largest along one dim and where
   * it is, as PyTorch's named tuple `{ values, indices }` (the first occurrence; NaN wins). The
   * gradient of `values` goes to the chosen element only. `max(other)`: `maximum(other)`.
   */
  max(): Tensor;
  max(other: Tensor): Tensor;
  max(dim: number, keepdim?: boolean): ValuesIndices;
  max(dimOrOther?: number | Tensor, keepdim?: boolean): Tensor | ValuesIndices {
    return this.extreme("max", dimOrOther, keepdim);
  }
  /** As {@link Tensor.max}, for the smallest: `min()`, `min(dim, keepdim)`, `min(other)`. */
  min(): Tensor;
  min(other: Tensor): Tensor;
  min(dim: number, keepdim?: boolean): ValuesIndices;
  min(dimOrOther?: number | Tensor, keepdim?: boolean): Tensor | ValuesIndices {
    return this.extreme("min", dimOrOther, keepdim);
  }
  private extreme(op: "max" | "min", dimArg: unknown, keepdimArg: unknown) {
    if (dimArg === undefined) {
      if (keepdimArg !== undefined)
        throw new TypeError(`${op}(): keepdim needs a dim (call ${op}(dim, keepdim))`);
      return this.reduceOp(
        op,
        undefined,
        false,
        op,
        op === "max" ? "MaxBackward1" : "MinBackward1",
      );
    }
    if (Tensor.isTensor(dimArg)) {
      if (keepdimArg !== undefined)
        throw new TypeError(`${op}(): keepdim is not an argument of ${op}(other)`);
      return op === "max" ? this.maximum(dimArg) : this.minimum(dimArg);
    }
    const d = normDim(arg.int(dimArg, op, "dim", 1), this.ndim);
    const keepdim = keepdimArg === undefined ? false : arg.bool(keepdimArg, op, "keepdim", 2);
    const indices = this.argExtreme(op, op, d, keepdim);
    const idx = keepdim ? indices : indices.unsqueeze(Math.min(d, indices.ndim));
    const values = composite(op === "max" ? "MaxBackward0" : "MinBackward0", [this], (x) => {
      if (x.ndim === 0) return x.reshape([]);
      const v = x.gather(d, idx);
      return keepdim ? v : v.squeeze(d);
    });
    return { values, indices };
  }
  // The index of the first extreme along dim d (normalized; the first NaN if there is one), as
  // int32: the positions where x attains its amax (or is NaN), their smallest.
  private argExtreme(op: "max" | "min", name: string, d: number, keepdim: boolean): Tensor {
    const x = this.detach();
    if (x.ndim === 0) return bind("cast", [scalar(0)], { dtype: "int32" });
    const n = x.shape[d];
    if (n === 0) throw new Error(`${name}(): Expected reduction dim ${d} to have non-zero size.`);
    const pos = empty([n], "int32");
    for (let i = 0; i < n; i++) pos.storage![i] = i;
    const at = pos.reshape(x.shape.map((_, i) => (i === d ? n : 1)));
    const m = bind(op, [x], { dims: [d], keepdim: true });
    const hit = x.eq(m).logicalOr(x.ne(x));
    return bind("min", [at.where(hit, n)], { dims: [d], keepdim });
  }
  /**
   * The elements sorted along `dim` (the last by default), with where each came from, as PyTorch's
   * named tuple `{ values, indices }` (int32). NaN sorts as the largest value; ties keep their
   * original order (`stable` is accepted; the sort is always stable, as PyTorch's CPU sort). The
   * gradient of `values` goes back to the positions in `indices`.
   */
  sort(dim = -1, opts?: { descending?: boolean; stable?: boolean }): ValuesIndices {
    const o = arg.options(opts, "sort", ["descending", "stable"]);
    if (o.stable !== undefined) arg.bool(o.stable, "sort", "stable");
    const d = normDim(arg.int(dim, "sort", "dim", 1), this.ndim);
    const descending =
      o.descending === undefined ? false : arg.bool(o.descending, "sort", "descending");
    const indices = this.sortIndices(d, descending);
    const values = composite("SortBackward0", [this], (x) =>
      x.ndim === 0 ? x.reshape([]) : x.gather(d, indices),
    );
    return { values, indices };
  }
  /** The indices that sort this tensor along `dim` (int32): `sort(dim, opts).indices`. */
  argsort(dim = -1, opts?: { descending?: boolean }): Tensor {
    const o = arg.options(opts, "argsort", ["descending"]);
    const d = normDim(arg.int(dim, "argsort", "dim", 1), this.ndim);
    const descending =
      o.descending === undefined ? false : arg.bool(o.descending, "argsort", "descending");
    return this.sortIndices(d, descending);
  }
  /**
   * The `k` largest elements along `dim` (the smallest with `largest: false`), in sorted order, and
   * where they are, as `{ values, indices }`. NaN counts as the largest value; among ties the first
   * in order is taken (PyTorch's choice among ties is unspecified). `sorted: false` is accepted
   * (the result is sorted anyway).
   */
  topk(k: number, dim = -1, opts?: { largest?: boolean; sorted?: boolean }): ValuesIndices {
    const o = arg.options(opts, "topk", ["largest", "sorted"]);
    const n = arg.int(k, "topk", "k", 1);
    const d = normDim(arg.int(dim, "topk", "dim", 2), this.ndim);
    const largest = o.largest === undefined ? true : arg.bool(o.largest, "topk", "largest");
    if (o.sorted !== undefined) arg.bool(o.sorted, "topk", "sorted");
    const size = this.ndim === 0 ? 1 : this.shape[d];
    if (n < 0 || n > size) throw new Error("selected index k out of range");
    const all = this.sortIndices(d, largest);
    const indices = this.ndim === 0 ? all : all.narrow(d, 0, n).contiguous();
    const values = composite("TopkBackward0", [this], (x) =>
      x.ndim === 0 ? x.reshape([]) : x.gather(d, indices),
    );
    return { values, indices };
  }
  /**
   * The `k`-th smallest element (1-based) along `dim` (the last by default) and its index, as
   * `{ values, indices }`; NaN counts as the largest value.
   */
  kthvalue(k: number, dim = -1, keepdim = false): ValuesIndices {
    const n = arg.int(k, "kthvalue", "k", 1);
    const d = normDim(arg.int(dim, "kthvalue", "dim", 2), this.ndim);
    const keep = arg.bool(keepdim, "kthvalue", "keepdim", 3);
    const size = this.ndim === 0 ? 1 : this.shape[d];
    if (n < 1 || n > size)
      throw new Error(`kthvalue(): selected number k out of range for dimension ${d}`);
    const all = this.sortIndices(d, false);
    const picked = this.ndim === 0 ? all : all.narrow(d, n - 1, 1).contiguous();
    const values = composite("KthvalueBackward0", [this], (x) => {
      if (x.ndim === 0) return x.reshape([]);
      const v = x.gather(d, picked);
      return keep ? v : v.squeeze(d);
    });
    return { values, indices: keep || this.ndim === 0 ? picked : picked.squeeze(d) };
  }
  /**
   * `median()`: the lower median of all elements (0-d; NaN if there is a NaN), its gradient shared
   * evenly by the elements equal to it. `median(dim, keepdim)`: the lower median along one dim and
   * where it is, as `{ values, indices }` (a line with NaN gives its first NaN); the gradient of
   * `values` goes to that index.
   */
  median(): Tensor;
  median(dim: number, keepdim?: boolean): ValuesIndices;
  median(dimArg?: number, keepdimArg?: boolean): Tensor | ValuesIndices {
    if (dimArg === undefined) {
      if (keepdimArg !== undefined)
        throw new TypeError("median(): keepdim needs a dim (call median(dim, keepdim))");
      if (this.numel() === 0) return bind("cast", [scalar(Number.NaN)], { dtype: this.dtype });
      const flat = this.detach().reshape([-1]);
      const m = flat.gather(0, flat.medianIndex(0)).reshape([]);
      if (!isFloat(this.dtype)) return m; // (not differentiable)
      return composite("MedianBackward0", [this], (x) => {
        const v = x.detach(); // equal to m, or NaN where m is: v == m | !(v == v | m == m)
        const hit = v.eq(m).logicalOr(v.eq(v).logicalOr(m.eq(m)).logicalNot());
        const share = hit.to(x.dtype);
        // m exactly, plus zero whose gradient is spread over the hits
        return m.sub(x.detach().sub(x).mul(share).sum().div(share.sum()));
      });
    }
    const d = normDim(arg.int(dimArg, "median", "dim", 1), this.ndim);
    const keepdim = keepdimArg === undefined ? false : arg.bool(keepdimArg, "median", "keepdim", 2);
    if (this.ndim > 0 && this.shape[d] === 0)
      throw new Error(`median(): Expected reduction dim ${d} to have non-zero size.`);
    const picked = this.ndim === 0 ? this.sortIndices(d, false) : this.medianIndex(d);
    const values = composite("MedianBackward1", [this], (x) => {
      if (x.ndim === 0) return x.reshape([]);
      const v = x.gather(d, picked);
      return keepdim ? v : v.squeeze(d);
    });
    return { values, indices: keepdim || this.ndim === 0 ? picked : picked.squeeze(d) };
  }
  // where the lower median of each line along d (normalized, rank >= 1) is, keeping d: the middle
  // of the sorted positions, or the first NaN of a line that has one
  private medianIndex(d: number): Tensor {
    const x = this.detach(),
      n = x.shape[d];
    const middle = x.sortIndices(d, false).narrow(d, (n - 1) >> 1, 1);
    const firstNan = x.argExtreme("max", "median", d, true);
    return firstNan.where(x.gather(d, firstNan).isnan(), middle).contiguous();
  }
  // argsort's kernel along dim d (normalized); a 0-d tensor's only index is 0
  private sortIndices(d: number, descending: boolean): Tensor {
    const x = this.detach();
    if (x.ndim === 0) return bind("cast", [scalar(0)], { dtype: "int32" });
    return bind("argsort", [x], { dim: d, descending });
  }
  /** The largest elements over `dim` (one or several; all by default), values only. */
  amax(dim?: Dims, keepdim = false) {
    return this.reduceOp("max", dim, keepdim, "amax", "AmaxBackward0", "AmaxBackward0");
  }
  /** The smallest elements over `dim` (one or several; all by default), values only. */
  amin(dim?: Dims, keepdim = false) {
    return this.reduceOp("min", dim, keepdim, "amin", "AminBackward0", "AminBackward0");
  }
  /**
   * Product of all elements, or over `dim` (PyTorch takes one dim; jitgrad also a list). The
   * gradient is right with zeros among the elements (PyTorch's).
   */
  prod(dim?: Dims, keepdim = false) {
    return this.reduceOp("prod", dim, keepdim, "prod", "ProdBackward0", "ProdBackward1");
  }
  /**
   * The variance over `dim` (one or several; all by default): the sum of squared deviations from
   * the mean over N - correction (correction 1 by default: Bessel's; `unbiased: false` is
   * correction 0). `x.var(false)` is `x.var(undefined, { unbiased: false })`, as in PyTorch.
   */
  var(dim?: Dims | boolean | null, opts?: VarOptions): Tensor {
    return this.moments("var", dim, opts)[0];
  }
  /** The standard deviation: the square root of {@link Tensor.var}, with the same arguments. */
  std(dim?: Dims | boolean | null, opts?: VarOptions): Tensor {
    return this.moments("std", dim, opts)[0];
  }
  /** `[x.var(dim, opts), x.mean(dim, keepdim)]`, as PyTorch's `torch.var_mean`. */
  varMean(dim?: Dims | boolean | null, opts?: VarOptions): [Tensor, Tensor] {
    return this.moments("var_mean", dim, opts);
  }
  /** `[x.std(dim, opts), x.mean(dim, keepdim)]`, as PyTorch's `torch.std_mean`. */
  stdMean(dim?: Dims | boolean | null, opts?: VarOptions): [Tensor, Tensor] {
    return this.moments("std_mean", dim, opts);
  }
  private moments(
    fn: "var" | "std" | "var_mean" | "std_mean",
    dimArg: unknown,
    optsArg: unknown,
  ): [Tensor, Tensor] {
    let unbiasedArg: unknown;
    if (typeof dimArg === "boolean") {
      if (optsArg !== undefined)
        throw new TypeError(`${fn}(): x.${fn}(unbiased) takes no other arguments`);
      unbiasedArg = dimArg;
      dimArg = undefined;
    }
    const o = arg.options(optsArg, fn, ["correction", "unbiased", "keepdim"]);
    const dim = dimArg === undefined || dimArg === null ? undefined : arg.dims(dimArg, fn);
    const keepdim = o.keepdim === undefined ? false : arg.bool(o.keepdim, fn, "keepdim");
    if (o.unbiased !== undefined) {
      if (unbiasedArg !== undefined || o.correction !== undefined)
        throw new TypeError(
          `${fn}(): give either 'unbiased' or 'correction', not both (PyTorch accepts one of them)`,
        );
      unbiasedArg = o.unbiased;
    }
    const correction =
      unbiasedArg !== undefined
        ? arg.bool(unbiasedArg, fn, "unbiased")
          ? 1
          : 0
        : o.correction === undefined
          ? 1
          : arg.int(o.correction, fn, "correction");
    if (!isFloat(this.dtype))
      throw new Error("std and var only support floating point and complex dtypes");
    const dims = normDims(dim, this.ndim);
    const n = dims.reduce((k, d) => k * this.shape[d], 1);
    const std = fn === "std" || fn === "std_mean";
    const name = {
      var: "VarBackward0",
      std: "StdBackward0",
      var_mean: "VarMeanBackward0",
      std_mean: "StdMeanBackward0",
    }[fn];
    const v = composite(name, [this], (x) => {
      const dev = x.sub(x.mean(dims, true));
      const r = dev
        .mul(dev)
        .sum(dims, keepdim)
        .div(Math.max(n - correction, 0));
      return std ? r.sqrt() : r;
    });
    if (fn === "var" || fn === "std") return [v, v];
    return [v, composite(name, [this], (x) => x.mean(dims, keepdim))];
  }
  /** log(sum(exp(x))) over `dim` (one or several), computed stably (the max taken out first). */
  logsumexp(dim: Dims, keepdim = false): Tensor {
    if (dim === undefined)
      throw new TypeError("logsumexp(): argument 'dim' (position 1) is required");
    const dims = normDims(arg.dims(dim, "logsumexp"), this.ndim);
    const k = arg.bool(keepdim, "logsumexp", "keepdim", 2);
    return composite("LogsumexpBackward0", [this.to(floatOf(this.dtype))], (x) => {
      if (x.numel() === 0) return x.exp().sum(dims, k).log();
      const m0 = x.amax(dims, true).detach();
      const m = m0.where(m0.abs().ne(Infinity), 0); // all -inf (or an inf): no shift
      const r = x.sub(m).exp().sum(dims, true).log().add(m);
      return k ? r : r.reshape(reducedShape(r.shape, dims, false));
    });
  }
  /** Whether any element is nonzero (true; NaN counts), over all elements or one `dim`: bool. */
  any(dim?: number, keepdim = false): Tensor {
    return this.truthCount("any", dim, keepdim).gt(0);
  }
  /** Whether every element is nonzero (true; NaN counts), over all elements or one `dim`: bool. */
  all(dim?: number, keepdim = false): Tensor {
    return this.truthCount("all", dim, keepdim).eq(0);
  }
  // any: how many elements are nonzero; all: how many are zero
  private truthCount(fn: "any" | "all", dimArg: unknown, keepdimArg: unknown): Tensor {
    const k = arg.bool(keepdimArg, fn, "keepdim", 2);
    const flags = fn === "any" ? this.ne(0) : this.eq(0);
    if (dimArg === undefined) return flags.sum();
    const d = normDim(arg.int(dimArg, fn, "dim", 1), this.ndim);
    return flags.sum(d, k);
  }
  /** How many elements are nonzero, over all elements or over `dim` (one or several): int32. */
  countNonzero(dim?: Dims): Tensor {
    const d = dim === undefined ? undefined : arg.dims(dim, "count_nonzero");
    return this.ne(0).sum(d);
  }
  /** The index of the largest element along `dim` (of the flattened tensor without one). */
  argmax(dim?: number, keepdim = false): Tensor {
    return this.argOp("max", "argmax", dim, keepdim);
  }
  /** The index of the smallest element along `dim` (of the flattened tensor without one). */
  argmin(dim?: number, keepdim = false): Tensor {
    return this.argOp("min", "argmin", dim, keepdim);
  }
  private argOp(op: "max" | "min", name: string, dimArg: unknown, keepdimArg: unknown): Tensor {
    const keepdim = arg.bool(keepdimArg, name, "keepdim", 2);
    if (dimArg === undefined || dimArg === null) {
      if (this.numel() === 0)
        throw new Error(
          `${name}(): Expected reduction dim to be specified for input.numel() == 0.`,
        );
      const i = this.reshape([-1]).argExtreme(op, name, 0, false);
      return keepdim ? i.reshape(this.shape.map(() => 1)) : i;
    }
    const d = normDim(arg.int(dimArg, name, "dim", 1), this.ndim);
    return this.argExtreme(op, name, d, keepdim);
  }
  /** Mean of all elements, or over `dim` (floating-point tensors). */
  mean(dimArg?: Dims, keepdimArg = false): Tensor {
    const dim = dimArg === undefined ? undefined : arg.dims(dimArg, "mean"),
      keepdim = arg.bool(keepdimArg, "mean", "keepdim", 2);
    if (!isFloat(this.dtype)) {
      throw new Error(
        `mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${scalarType(this)}`,
      );
    }
    const count = normDims(dim, this.ndim).reduce((n, d) => n * this.shape[d], 1);
    return composite(dim === undefined ? "MeanBackward0" : "MeanBackward1", [this], (x) =>
      x.sum(dim, keepdim).div(count),
    );
  }
  /**
   * PyTorch's x.norm(p, dim, keepdim): the vector p-norm over `dim` (all elements by default).
   * p: a number (2 by default; Infinity and -Infinity are max and min of |x|, 0 counts nonzeros)
   * or "fro" (the 2-norm).
   */
  norm(p: number | "fro" = 2, dim?: Dims, keepdim = false): Tensor {
    const ord =
      typeof p === "string" ? arg.oneOf(p, "norm", "p", ["fro"]) : arg.number(p, "norm", "p", 1);
    const d = dim === undefined ? undefined : arg.dims(dim, "norm", "dim", 2),
      k = arg.bool(keepdim, "norm", "keepdim", 3);
    if (!isFloat(this.dtype))
      throw new Error(
        `norm(): input dtype should be either floating point or complex. Got ${scalarType(this)} instead.`,
      );
    const q = ord === "fro" ? 2 : ord;
    if (Number.isNaN(q)) throw new Error("norm(): p must be a number, got NaN");
    return composite("NormBackward1", [this], (x) => {
      if (q === 2) return x.mul(x).sum(d, k).sqrt();
      if (q === 1) return x.abs().sum(d, k);
      if (q === Infinity) return x.abs().amax(d, k);
      if (q === -Infinity) return x.abs().amin(d, k);
      if (q === 0) return x.ne(0).sum(d, k).to(x.dtype);
      return x
        .abs()
        .pow(q)
        .sum(d, k)
        .pow(1 / q);
    });
  }
  /** Softmax over `dim`. */
  softmax(dim: number): Tensor {
    dim = softmaxDim(dim, "softmax");
    this.softmaxKernelCheck(dim, "softmax");
    return composite("SoftmaxBackward0", [this], (x) => {
      const e = x.sub(x.amax(dim, true).detach()).exp();
      return e.div(e.sum(dim, true));
    });
  }
  /** Log of the softmax over `dim`, computed stably. */
  logSoftmax(dim: number): Tensor {
    dim = softmaxDim(dim, "log_softmax");
    this.softmaxKernelCheck(dim, "log_softmax");
    return composite("LogSoftmaxBackward0", [this], (x) => {
      const s = x.sub(x.amax(dim, true).detach());
      return s.sub(s.exp().sum(dim, true).log());
    });
  }

  // PyTorch's softmax kernels are for floats only (a dim out of range is reported first); along
  // another dim than the last, log_softmax's kernel is softmax's
  private softmaxKernelCheck(dim: number, fn: "softmax" | "log_softmax"): void {
    const last = normDim(dim, this.ndim) === Math.max(this.ndim - 1, 0);
    arg.floatKernel(this.dtype, last ? `${fn}_lastdim_kernel_impl` : "softmax_kernel_impl");
  }

  // ---- matmul: 1-D operands are promoted to matrices and the added dim removed, as in PyTorch ----
  matmul(other: Tensor): Tensor {
    const o = arg.tensorArg(other, "matmul");
    matmulCheck(this, o);
    if (this.ndim >= 2 && o.ndim >= 2) return bind("matmul", [this, o]);
    // the grad_fn names of the last op in PyTorch 1.13's matmul (dot, mv, squeeze_ after mm, or a folded mm/mv)
    const name =
      this.ndim === 1 && o.ndim === 1
        ? "DotBackward0"
        : this.ndim === 2
          ? "MvBackward0"
          : o.ndim === 2
            ? "SqueezeBackward3"
            : "UnsafeViewBackward0";
    return composite(name, [this, o], (a, b) => {
      const a2 = a.ndim === 1 ? a.unsqueeze(0) : a,
        b2 = b.ndim === 1 ? b.unsqueeze(1) : b;
      let r = bind("matmul", [a2, b2]);
      if (a.ndim === 1) r = r.squeeze(-2);
      if (b.ndim === 1) r = r.squeeze(-1);
      return r;
    });
  }
  /** Matrix product (same as `matmul`). */
  mm(other: Tensor) {
    return this.matmul(arg.tensorArg(other, "mm", "mat2"));
  }

  // ---- convolution primitives over 1-3 spatial dims (as many as the params' lists):
  // F.conv1d/2d/3d, F.convTranspose1d/2d/3d and their gradients call these with params checked
  // there (use F's functions: these take them as they are) ----
  /** @internal The convolution primitive: this [N, C, ...S] with weight [O, C/groups, ...K]. */
  conv(weight: Tensor, p: ConvParams): Tensor {
    return bind("conv", [this, arg.tensorArg(weight, "conv", "weight", 1)], p);
  }
  /** @internal The transposed convolution primitive: weight [C, O/groups, ...K]. */
  convTranspose(weight: Tensor, p: ConvTransposeParams): Tensor {
    return bind("convTranspose", [this, arg.tensorArg(weight, "conv_transpose", "weight", 1)], p);
  }
  /** @internal conv's weight gradient, from this input and the output gradient `g`. */
  convWeight(g: Tensor, p: ConvWeightParams): Tensor {
    return bind("convWeight", [this, arg.tensorArg(g, "conv", "grad", 1)], p);
  }

  /** @internal The max pooling primitive over 1-3 spatial dims (F.maxPool1d/2d/3d check the params). */
  maxPool(p: PoolParams): Tensor {
    return bind("maxPool", [this], p);
  }
  /** @internal maxPool's input gradient: `g` added at each window's first maximum of this. */
  maxPoolBackward(g: Tensor, p: PoolParams): Tensor {
    return bind("maxPoolBackward", [this, arg.tensorArg(g, "max_pool", "grad", 1)], p);
  }
  /** @internal `v` read at each window's first maximum of this (maxPoolBackward's adjoint). */
  maxPoolSelect(v: Tensor, p: PoolParams): Tensor {
    return bind("maxPoolSelect", [this, arg.tensorArg(v, "max_pool", "grad", 1)], p);
  }

  // ---- scans ----
  /** The cumulative sum along `dim`: out[..., j, ...] = x[..., 0, ...] + ... + x[..., j, ...]. */
  cumsum(dim: number): Tensor {
    return bind("cumsum", [this], { dim: normDim(arg.int(dim, "cumsum", "dim", 1), this.ndim) });
  }
  /** The cumulative product along `dim` (its gradient is right with zeros, as PyTorch's). */
  cumprod(dim: number): Tensor {
    return bind("cumprod", [this], { dim: normDim(arg.int(dim, "cumprod", "dim", 1), this.ndim) });
  }

  // ---- scans (issue 11, the rest) ----
  /**
   * The running maximum along `dim` and where each was taken, as PyTorch's named tuple
   * `{ values, indices }` (int32): a tie takes the later index, and from a line's first NaN on the
   * value is NaN and the index that of the latest NaN. The gradient goes to the index.
   */
  cummax(dim: number): ValuesIndices {
    return this.cumExtremes("cummax", dim);
  }
  /** The running minimum along `dim` and where each was taken (see {@link Tensor.cummax}). */
  cummin(dim: number): ValuesIndices {
    return this.cumExtremes("cummin", dim);
  }
  private cumExtremes(op: "cummax" | "cummin", dim: number): ValuesIndices {
    const d = normDim(arg.int(dim, op, "dim", 1), this.ndim);
    const values = this.cumExtreme(op, d);
    // the positions along d as a constant (no kernel)
    const at = iota(this.shape[d] ?? 1).reshape(this.shape.map((n, e) => (e === d ? n : 1)));
    return { values, indices: cumIndices(this.detach(), values.detach(), d, at) };
  }
  /** The running max/min values along a normalized `dim` (the scan primitive of cummax/cummin). */
  cumExtreme(op: "cummax" | "cummin", dim: number): Tensor {
    return bind(op, [this], { dim });
  }
  /** @internal Where each max pooling window's maximum is (int32, its flat position in the input's volume). */
  maxPoolIndices(p: PoolParams): Tensor {
    return bind("maxPoolIndices", [this], p);
  }
  /** @internal Sliding windows over the last two dims: [..., kh, kw, oh, ow] (F.unfold checks). */
  windows(p: WindowParams): Tensor {
    return bind("windows", [this], p);
  }
  /** @internal The adjoint of windows: each element summed back into [..., H, W] (F.fold). */
  col2im(p: Col2imParams): Tensor {
    return bind("col2im", [this], p);
  }
  /** log(cumsum(exp(x))) along `dim`, computed without overflow (float tensors). */
  logcumsumexp(dim: number): Tensor {
    const d = normDim(arg.int(dim, "logcumsumexp", "dim", 1), this.ndim);
    if (!isFloat(this.dtype))
      throw new Error(`"logcumsumexp_out_cpu" not implemented for '${scalarTypeName(this.dtype)}'`);
    return bind("logcumsumexp", [this], { dim: d });
  }

  // ---- indexing ----
  /** Zeros of `shape` with this tensor's dtype (PyTorch's `new_zeros`). */
  newZeros(shape: number[]): Tensor {
    const size = arg.size(shape, "new_zeros");
    return bind("cast", [scalar(0)], { dtype: this.dtype })
      .expand(size)
      .contiguous();
  }
  /** `out[i][j] = this[i][index[i][j]]` along `dim` (and likewise for other ranks). */
  gather(dim: number, index: Tensor): Tensor {
    const d = normDim(arg.int(dim, "gather", "dim", 1), this.ndim);
    indexCheck("gather", this, d, arg.tensorArg(index, "gather", "index", 2));
    return bind("gather", [this, index], { dim: d, error: IndexError.gather });
  }
  /** A copy of this tensor with `src[p]` added at `index[p]` along `dim`, for each position p. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    const d = normDim(arg.int(dim, "scatter_add", "dim", 1), this.ndim);
    indexCheck(
      "scatter_add",
      this,
      d,
      arg.tensorArg(index, "scatter_add", "index", 2),
      arg.tensorArg(src, "scatter_add", "src", 3),
    );
    return bind("scatterAdd", [this, index, src], { dim: d });
  }

  /**
   * A copy of this tensor with `src[p]` written at `index[p]` along `dim`, for each position p of
   * index (src: a tensor, or a number written everywhere index points); with repeated positions
   * the last in row-major order wins, as on PyTorch's CPU.
   */
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor {
    const d = normDim(arg.int(dim, "scatter", "dim", 1), this.ndim);
    const idx = arg.tensorArg(index, "scatter", "index", 2);
    if (Tensor.isTensor(src)) {
      indexCheck("scatter", this, d, idx, src);
      return bind("scatter", [this, idx, src], { dim: d });
    }
    const v = arg.scalarValue(src, "scatter", "value", 3);
    indexCheck("scatter", this, d, idx);
    return composite("ScatterBackward1", [this], (x) =>
      bind("scatter", [x, idx, bind("cast", [v], { dtype: x.dtype }).expand([...idx.shape])], {
        dim: d,
      }),
    );
  }

  /**
   * A copy of this tensor with each `src[p]` combined into `this[..., index[p], ...]` along `dim` by
   * `reduce`: "sum", "prod", "mean", "amax" or "amin" (NaN wins), as PyTorch's `scatter_reduce`.
   * `includeSelf` (default true): whether this tensor's values take part at the positions written;
   * false, they are replaced by the reduction of what was scattered there. Mean rounds down for
   * integers. Gradients as PyTorch 1.13's (amax/amin share among ties).
   */
  scatterReduce(
    dim: number,
    index: Tensor,
    src: Tensor,
    reduce: ScatterReduction,
    opts?: { includeSelf?: boolean },
  ): Tensor {
    const fn = "scatter_reduce";
    const d = normDim(arg.int(dim, fn, "dim", 1), this.ndim);
    const idx = arg.tensorArg(index, fn, "index", 2),
      s = arg.tensorArg(src, fn, "src", 3);
    const how = typeof reduce === "string" && scatterReductions.find((r) => r === reduce);
    if (!how) throw new Error("reduce argument must be either sum, prod, mean, amax or amin.");
    const o = arg.options(opts, fn, ["includeSelf"]);
    const includeSelf =
      o.includeSelf === undefined ? true : arg.bool(o.includeSelf, fn, "include_self");
    indexCheck("scatter", this, d, idx, s);
    // src beyond index's shape is never read: trimmed, so the op sees one shape for both
    const trimmed = sameShape(s.shape, idx.shape)
      ? s
      : s.shrink(
          idx.shape.map(() => 0),
          [...idx.shape],
        );
    return bind("scatterReduce", [this, idx, trimmed], { dim: d, reduce: how, includeSelf });
  }

  // ---- indexing built on gather and scatterAdd (compositions: they fuse and differentiate) ----
  /** The entries `index` (1-D int32) picks along `dim`, in its order (PyTorch's `index_select`). */
  indexSelect(dim: number, index: Tensor): Tensor {
    const d = normDim(arg.int(dim, "index_select", "dim", 1), this.ndim);
    const idx = intIndex(
      arg.tensorArg(index, "index_select", "index", 2),
      "index_select(): Expected dtype int32 or int64 for index",
    );
    if (idx.ndim > 1) throw new Error("index_select(): Index is supposed to be a vector");
    if (this.ndim === 0)
      return composite("IndexSelectBackward0", [this], (x) =>
        bind("gather", [x.reshape([1]), idx.reshape([-1])], {
          dim: 0,
          error: IndexError.select,
        }).reshape(idx.ndim ? [-1] : []),
      );
    const m = idx.numel();
    const out = this.shape.map((n, k) => (k === d ? m : n));
    const at = this.shape.map((_, k) => (k === d ? m : 1));
    return composite("IndexSelectBackward0", [this], (x) =>
      bind("gather", [x, idx.reshape(at).expand(out)], { dim: d, error: IndexError.select }),
    );
  }
  /** The elements at `index` of this tensor read as 1-D (negative entries count from the end). */
  take(index: Tensor): Tensor {
    const idx = intIndex(
      arg.tensorArg(index, "take", "index", 1),
      `take(): Expected a long tensor for index, but got ${scalarType(index)}`,
    );
    const n = this.numel();
    return composite("TakeBackward0", [this], (x) => {
      const w = checkedIndex(idx, n, 0, IndexError.take);
      return bind("gather", [x.reshape([-1]), w.reshape([-1])], {
        dim: 0,
        error: IndexError.take,
      }).reshape([...idx.shape]);
    });
  }
  /**
   * `value` where `mask` (bool, broadcast to this tensor's shape) holds, this tensor elsewhere;
   * value: a number, a bool or a 0-d tensor.
   */
  maskedFill(mask: Tensor, value: number | boolean | Tensor): Tensor {
    const m = arg.tensorArg(mask, "masked_fill", "mask", 1);
    if (m.dtype !== "bool")
      throw new Error(
        `masked_fill_ only supports boolean masks, but got mask with dtype ${m.dtype}`,
      );
    const v = Tensor.isTensor(value) ? value : arg.scalarValue(value, "masked_fill", "value", 2);
    if (Tensor.isTensor(v) && v.ndim !== 0)
      throw new Error(
        `masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ${v.ndim} dimension(s).`,
      );
    broadcastShapes(m.shape, this.shape);
    const fill = (x: Tensor, val: Tensor | number | boolean) =>
      bind("where", [m, Tensor.isTensor(val) ? val.to(x.dtype) : val, x]).to(x.dtype);
    return Tensor.isTensor(v)
      ? composite("MaskedFillBackward1", [this, v], fill)
      : composite("MaskedFillBackward0", [this], (x) => fill(x, v));
  }
  /** A copy with `alpha * source` added at the rows `index` (1-D int32) picks along `dim`. */
  indexAdd(dim: number, index: Tensor, source: Tensor, opts?: { alpha?: number }): Tensor {
    const d = normDim(arg.int(dim, "index_add", "dim", 1), this.ndim);
    const idx = arg.tensorArg(index, "index_add", "index", 2);
    intIndex(idx, `index_add_(): Expected dtype int32/int64 for index but got: ${scalarType(idx)}`);
    const src = arg.tensorArg(source, "index_add", "source", 3);
    const o = arg.options(opts, "index_add", ["alpha"]);
    const alpha = o.alpha === undefined ? 1 : arg.number(o.alpha, "index_add", "alpha");
    if (idx.ndim > 1) throw new Error("index_add_(): Index is supposed to be a vector");
    const sd = src.ndim === 0 ? 1 : src.shape[d];
    if (idx.numel() !== sd)
      throw new Error(
        `index_add_(): Number of indices (${idx.numel()}) should be equal to source.size(dim): (${sd}), for dim: ${d}`,
      );
    if (src.ndim !== this.ndim || src.shape.some((n, k) => k !== d && n !== this.shape[k]))
      throw new Error(
        `index_add_(): Source/destination tensor must have same slice shapes. Destination slice shape: ${this.shape.filter((_, k) => k !== d).join(" ")} at dimension ${d} and source slice shape: ${src.shape.filter((_, k) => k !== d).join(" ")} at dimension 0.`,
      );
    if (src.dtype !== this.dtype)
      throw new Error(
        `index_add_(): self (${scalarType(this)}) and source (${scalarType(src)}) must have the same scalar type`,
      );
    const at = src.shape.map((n, k) => (k === d ? n : 1));
    return composite("IndexAddBackward0", [this, src], (x, s) => {
      const w = checkedIndex(idx, this.shape[d], d, IndexError.select, false);
      return bind(
        "scatterAdd",
        [x, w.reshape(at).expand([...s.shape]), alpha === 1 ? s : s.mul(alpha)],
        {
          dim: d,
        },
      );
    });
  }
  /**
   * PyTorch's advanced indexing with a list of index tensors, x[rows, cols]: the int32 tensors
   * (broadcast together) pick elements of the leading dims, `null` keeps a dim whole; negative
   * indices count from the end. The picked dims are replaced by the indices' shape, in place when
   * the index tensors are adjacent, else first.
   */
  index(indices: (Tensor | null)[]): Tensor {
    if (!Array.isArray(indices))
      throw new TypeError(
        `index(): indices must be a list of tensors or null, not ${arg.typeName(indices)}`,
      );
    const list = [...indices];
    if (list.length > this.ndim)
      throw new Error(`too many indices for tensor of dimension ${this.ndim}`);
    const picked: number[] = [],
      idxs: Tensor[] = [];
    list.forEach((t, k) => {
      if (t === null || t === undefined) return;
      if (!Tensor.isTensor(t))
        throw new TypeError(`index(): entry ${k} must be a tensor or null, not ${arg.typeName(t)}`);
      if (t.dtype !== "int32")
        throw new Error(
          t.dtype === "bool"
            ? "index(): bool mask indices are not supported; use maskedSelect or where"
            : "tensors used as indices must be long, byte or bool tensors",
        );
      picked.push(k);
      idxs.push(t);
    });
    if (idxs.length === 0) return this;
    const b = broadcastIndices(idxs);
    const rest = [...this.shape.keys()].filter((k) => !picked.includes(k));
    const adjacent = picked[picked.length - 1] - picked[0] === picked.length - 1;
    const before = adjacent ? picked[0] : 0; // rest dims that stay before the indices' dims
    if (picked.length === 1) {
      // one index tensor: a gather along its dim, straight from this tensor's buffer
      const k = picked[0],
        nb = numel(b);
      const at = this.shape.map((_, d) => (d === k ? nb : 1)),
        out = this.shape.map((n, d) => (d === k ? nb : n));
      return composite("IndexBackward0", [this], (x) => {
        const w = checkedIndex(idxs[0], this.shape[k], k, IndexError.gather).expand(b);
        return bind("gather", [x, w.reshape(at).expand(out)], {
          dim: k,
          error: IndexError.gather,
        }).reshape([...this.shape.slice(0, k), ...b, ...this.shape.slice(k + 1)]);
      });
    }
    return composite("IndexBackward0", [this], (x) => {
      let lin: Tensor | null = null;
      picked.forEach((k, i) => {
        const w = checkedIndex(idxs[i], this.shape[k], k, IndexError.gather);
        lin = lin === null ? w : lin.mul(this.shape[k]).add(w);
      });
      const xs = x.permute([...picked, ...rest]);
      const restShape = rest.map((k) => this.shape[k]);
      const flat = xs.reshape([-1, ...restShape]);
      const nb = numel(b);
      const at = (lin as unknown as Tensor)
        .expand(b)
        .reshape([nb, ...restShape.map(() => 1)])
        .expand([nb, ...restShape]);
      const out = bind("gather", [flat, at], { dim: 0, error: IndexError.gather }).reshape([
        ...b,
        ...restShape,
      ]);
      if (before === 0) return out;
      const nbDims = b.length;
      const perm = [
        ...[...Array(before).keys()].map((i) => nbDims + i),
        ...b.keys(),
        ...[...Array(rest.length - before).keys()].map((i) => nbDims + before + i),
      ];
      return out.permute(perm);
    });
  }
  /** The positions of the nonzero elements, one row of indices each (eager only). */
  nonzero(): Tensor {
    if (activeTrace())
      throw new CompileError(
        "nonzero() has a data-dependent output shape, which compile() cannot trace; call it outside the compiled function",
      );
    const vals = this.values(),
      rows: number[] = [];
    const idx = new Array<number>(this.ndim).fill(0);
    for (let i = 0; i < vals.length; i++) {
      if (vals[i] !== 0) rows.push(...idx);
      for (let d = idx.length - 1; d >= 0 && ++idx[d] === this.shape[d]; d--) idx[d] = 0;
    }
    const out = empty([rows.length / Math.max(this.ndim, 1) || 0, this.ndim], "int32");
    if (this.ndim === 0) return empty([vals[0] !== 0 ? 1 : 0, 0], "int32");
    out.storage!.set(rows);
    return out;
  }
  /** The elements where `mask` (bool, broadcast with this tensor) holds, as a 1-D tensor (eager only). */
  maskedSelect(mask: Tensor): Tensor {
    const m = arg.tensorArg(mask, "masked_select", "mask", 1);
    if (m.dtype !== "bool")
      throw new Error("masked_select: expected BoolTensor or ByteTensor for mask");
    if (activeTrace())
      throw new CompileError(
        "maskedSelect() has a data-dependent output shape, which compile() cannot trace; call it outside the compiled function",
      );
    const shape = broadcastShapes(this.shape, m.shape);
    const mv = m.expand(shape).values(),
      pos: number[] = [];
    for (let i = 0; i < mv.length; i++) if (mv[i]) pos.push(i);
    const at = empty([pos.length], "int32");
    at.storage!.set(pos);
    return composite("MaskedSelectBackward0", [this], (x) =>
      bind("gather", [x.expand(shape).reshape([-1]), at], { dim: 0, error: IndexError.gather }),
    );
  }

  // ---- shape ops ----
  /** The elements in reverse order along each of `dims`. */
  flip(...dims: (number | number[])[]): Tensor {
    const ds = intArgs(dims, "flip", "dims");
    const norm = ds.map((d) => normDim(d, this.ndim));
    const seen = new Set<number>();
    for (const d of norm) {
      if (seen.has(d)) throw new Error(`dim ${d} appears multiple times in the list of dims`);
      seen.add(d);
    }
    if (this.ndim === 0) return this.clone();
    return bind("flip", [this], { dims: norm.sort((a, b) => a - b) });
  }
  /** The elements shifted by `shifts` along `dims` (wrapping around); without dims, over all elements. */
  roll(shifts: number | number[], dims?: number | number[]): Tensor {
    const sh =
      typeof shifts === "number"
        ? [arg.int(shifts, "roll", "shifts", 1)]
        : arg.intList(shifts, "roll", "shifts", 1);
    const ds =
      dims === undefined
        ? []
        : typeof dims === "number"
          ? [arg.int(dims, "roll", "dims", 2)]
          : arg.intList(dims, "roll", "dims", 2);
    if (ds.length === 0 && sh.length !== 1)
      throw new Error(`shifts and dimensions must align. shifts: ${sh.length}, dims:0`);
    if (ds.length > 0 && ds.length !== sh.length)
      throw new Error(`shifts and dimensions must align. shifts: ${sh.length}, dims:${ds.length}`);
    const norm = ds.map((d) => normDim(d, this.ndim));
    const rollDim = (x: Tensor, s: number, d: number) => {
      const n = x.shape[d],
        k = n === 0 ? 0 : ((s % n) + n) % n;
      return k === 0 ? x : cat([x.narrow(d, n - k, k), x.narrow(d, 0, n - k)], d);
    };
    return composite("RollBackward0", [this], (x) => {
      if (norm.length === 0) return rollDim(x.reshape([-1]), sh[0], 0).reshape([...this.shape]);
      const y = norm.reduce((y, d, i) => rollDim(y, sh[i], d), x);
      return y === x ? x.clone() : y;
    });
  }
  /** The tensor repeated `sizes[d]` times along each dim (leading sizes add dims). */
  repeat(...sizes: (number | number[])[]): Tensor {
    const r = intArgs(sizes, "repeat", "repeats");
    if (r.length < this.ndim)
      throw new Error(
        "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor",
      );
    const shape = [...new Array(r.length - this.ndim).fill(1), ...this.shape];
    const target = shape.map((n, d) => n * r[d]);
    if (r.some((n) => n < 0))
      throw new Error(
        `Trying to create tensor with negative dimension ${target.find((n) => n < 0)}: ${fmtShape(target)}`,
      );
    return composite("RepeatBackward0", [this], (x) =>
      x
        .reshape(shape.flatMap((n) => [1, n]))
        .expand(shape.flatMap((n, d) => [r[d], n]))
        .reshape(shape.map((n, d) => n * r[d])),
    );
  }
  /** `repeat` with fewer sizes than dims allowed (missing leading sizes are 1). */
  tile(...dims: (number | number[])[]): Tensor {
    const r = intArgs(dims, "tile", "dims");
    return this.repeat([...new Array(Math.max(this.ndim - r.length, 0)).fill(1), ...r]);
  }
  /** Each element repeated `repeats` times along `dim` (over the flattened tensor without dim). */
  repeatInterleave(repeats: number, dim?: number): Tensor {
    const r = arg.int(repeats, "repeat_interleave", "repeats", 1);
    if (r < 0) throw new Error("repeats can not be negative");
    const x0 = dim === undefined ? this.reshape([-1]) : this;
    const d =
      dim === undefined ? 0 : normDim(arg.int(dim, "repeat_interleave", "dim", 2), this.ndim);
    if (x0.ndim === 0) return x0.reshape([1]).repeatInterleave(r, 0);
    return composite("IndexSelectBackward0", [x0], (x) =>
      x
        .unsqueeze(d + 1)
        .expand(x.shape.flatMap((n, k) => (k === d ? [n, r] : [n])))
        .reshape(x.shape.map((n, k) => (k === d ? n * r : n))),
    );
  }
  /** Pieces of `splitSize` along `dim` (the last may be smaller), or of the listed sizes. */
  split(splitSize: number | number[], dim = 0): Tensor[] {
    const d = normDim(arg.int(dim, "split", "dim", 2), this.ndim);
    if (this.ndim === 0) throw new Error("split expects at least a 1-dimensional tensor");
    const n = this.shape[d];
    let sizes: number[];
    let name = "SplitBackward0";
    if (Array.isArray(splitSize)) {
      sizes = arg.intList(splitSize, "split", "split_size_or_sections", 1);
      name = "SplitWithSizesBackward0";
      if (sizes.some((s) => s < 0) || sizes.reduce((a, b) => a + b, 0) !== n)
        throw new Error(
          `split_with_sizes expects split_sizes to sum exactly to ${n} (input tensor's size at dimension ${d}), but got split_sizes=${fmtShape(sizes)}`,
        );
    } else {
      const s = arg.int(splitSize, "split", "split_size_or_sections", 1);
      if (s < 0)
        throw new Error(`split expects split_size be non-negative, but got split_size=${s}`);
      if (s === 0 && n !== 0)
        throw new Error(
          `split_size can only be 0 if dimension size is 0, but got dimension size of ${n}`,
        );
      const count = s === 0 ? 1 : Math.max(Math.ceil(n / s), 1);
      sizes = Array.from({ length: count }, (_, i) => Math.min(s, n - i * s));
    }
    let at = 0;
    return sizes.map((s) => {
      const start = at;
      at += s;
      return composite(name, [this], (x) => x.narrow(d, start, s));
    });
  }
  /** `chunks` pieces of (at most) equal size along `dim`. */
  chunk(chunks: number, dim = 0): Tensor[] {
    const c = arg.int(chunks, "chunk", "chunks", 1);
    const d = normDim(arg.int(dim, "chunk", "dim", 2), this.ndim);
    if (this.ndim === 0) throw new Error("chunk expects at least a 1-dimensional tensor");
    if (c <= 0) throw new Error(`chunk expects \`chunks\` to be greater than 0, got: ${c}`);
    const n = this.shape[d];
    return this.split(Math.ceil(n / c) || 1, d);
  }
  /** The slices along `dim`, that dim removed. */
  unbind(dim = 0): Tensor[] {
    const d = normDim(arg.int(dim, "unbind", "dim", 1), this.ndim);
    if (this.ndim === 0) throw new Error("Dimension specified as 0 but tensor has no dimensions");
    return Array.from({ length: this.shape[d] }, (_, i) =>
      composite("UnbindBackward0", [this], (x) => x.narrow(d, i, 1).squeeze(d)),
    );
  }
  /** The dims `source` moved to the positions `destination` (the others keep their order). */
  movedim(source: number | number[], destination: number | number[]): Tensor {
    const src = (
      typeof source === "number"
        ? [arg.int(source, "movedim", "source", 1)]
        : arg.intList(source, "movedim", "source", 1)
    ).map((d) => normDim(d, this.ndim));
    const dst = (
      typeof destination === "number"
        ? [arg.int(destination, "movedim", "destination", 2)]
        : arg.intList(destination, "movedim", "destination", 2)
    ).map((d) => normDim(d, this.ndim));
    if (src.length !== dst.length)
      throw new Error(
        `movedim: Invalid source or destination dims: source (${fmtShape(src)} dims) should contain the same number of dims as destination (${fmtShape(dst)} dims)`,
      );
    if (new Set(src).size !== src.length)
      throw new Error(`movedim: repeated dim in \`source\` (${fmtShape(src)})`);
    if (new Set(dst).size !== dst.length)
      throw new Error(`movedim: repeated dim in \`destination\` (${fmtShape(dst)})`);
    const perm = new Array<number>(this.ndim).fill(-1);
    src.forEach((s, i) => {
      perm[dst[i]] = s;
    });
    const others = [...this.shape.keys()].filter((d) => !src.includes(d));
    let j = 0;
    for (let k = 0; k < perm.length; k++) if (perm[k] === -1) perm[k] = others[j++];
    return bind("permute", [this], { perm }, "PermuteBackward0");
  }
  private triangle(fn: "triu" | "tril", diagonal: number): Tensor {
    const k = arg.int(diagonal, fn, "diagonal", 1);
    if (this.ndim < 2) normDim(-2, this.ndim); // PyTorch's error: dim -2 out of range
    const [rows, cols] = this.shape.slice(-2);
    const offs = iota(cols).unsqueeze(0).sub(iota(rows).unsqueeze(1));
    const keep = fn === "triu" ? offs.ge(k) : offs.le(k);
    return composite(fn === "triu" ? "TriuBackward0" : "TrilBackward0", [this], (x) =>
      bind("where", [keep, x, x.dtype === "bool" ? false : 0]).to(x.dtype),
    );
  }
  /** The upper triangle of the last two dims (from `diagonal` up), zeros elsewhere. */
  triu(diagonal = 0): Tensor {
    return this.triangle("triu", diagonal);
  }
  /** The lower triangle of the last two dims (up to `diagonal`), zeros elsewhere. */
  tril(diagonal = 0): Tensor {
    return this.triangle("tril", diagonal);
  }
  /** The diagonal `offset` of the dims `dim1` and `dim2`, moved to the last dim. */
  diagonal(offset = 0, dim1 = 0, dim2 = 1): Tensor {
    const off = arg.int(offset, "diagonal", "offset", 1);
    const a = normDim(arg.int(dim1, "diagonal", "dim1", 2), this.ndim),
      b = normDim(arg.int(dim2, "diagonal", "dim2", 3), this.ndim);
    if (a === b) throw new Error(`diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
    const n = this.shape[a],
      m = this.shape[b];
    const len = Math.max(Math.min(n + Math.min(off, 0), m - Math.max(off, 0)), 0);
    const others = [...this.shape.keys()].filter((d) => d !== a && d !== b);
    const lead = others.map((d) => this.shape[d]);
    const pos = iota(len)
      .add(Math.max(-off, 0))
      .mul(m)
      .add(iota(len).add(Math.max(off, 0)));
    return composite("DiagonalBackward0", [this], (x) => {
      const flat = x.permute([...others, a, b]).reshape([...lead, n * m]);
      const at = pos.reshape([...lead.map(() => 1), len]).expand([...lead, len]);
      return bind("gather", [flat, at], { dim: lead.length, error: IndexError.gather });
    });
  }
  /** 1-D: a square matrix with this vector on diagonal `diagonal`; 2-D: that diagonal, 1-D. */
  diag(diagonal = 0): Tensor {
    const k = arg.int(diagonal, "diag", "diagonal", 1);
    if (this.ndim === 2) return composite("DiagBackward0", [this], (x) => x.diagonal(k));
    if (this.ndim !== 1) throw new Error("matrix or a vector expected");
    const n = this.shape[0],
      size = n + Math.abs(k);
    const offs = iota(size).unsqueeze(0).sub(iota(size).unsqueeze(1));
    return composite("DiagBackward0", [this], (x) => {
      const v = x.pad([0], [Math.abs(k)]);
      const grid =
        k >= 0 ? v.unsqueeze(1).expand([size, size]) : v.unsqueeze(0).expand([size, size]);
      return bind("where", [offs.eq(k), grid, x.dtype === "bool" ? false : 0]).to(x.dtype);
    });
  }
  /** The sum of the main diagonal of a matrix. */
  trace(): Tensor {
    if (this.ndim !== 2)
      throw new Error(`trace: expected a matrix, but got tensor with dim ${this.ndim}`);
    return composite("TraceBackward0", [this], (x) => x.diagonal().sum());
  }
  /** The outer product of two vectors. */
  outer(vec2: Tensor): Tensor {
    const v = arg.tensorArg(vec2, "outer", "vec2");
    if (this.ndim !== 1)
      throw new Error(`outer: Expected 1-D argument self, but got ${this.ndim}-D`);
    if (v.ndim !== 1) throw new Error(`outer: Expected 1-D argument vec2, but got ${v.ndim}-D`);
    return this.unsqueeze(1).mul(v);
  }
  /** The dot product of two vectors. */
  dot(other: Tensor): Tensor {
    const o = arg.tensorArg(other, "dot", "tensor");
    if (this.ndim !== 1 || o.ndim !== 1)
      throw new Error(`1D tensors expected, but got ${this.ndim}D and ${o.ndim}D tensors`);
    return this.matmul(o);
  }
  /** The transpose of a matrix (a vector or a 0-d tensor as is). */
  t(): Tensor {
    if (this.ndim > 2)
      throw new Error(`t() expects a tensor with <= 2 dimensions, but self is ${this.ndim}D`);
    const perm = this.ndim === 2 ? [1, 0] : [...this.shape.keys()];
    return bind("permute", [this], { perm }, "TBackward0");
  }
  /** Dim `dim` split into `sizes` (one may be -1). */
  unflatten(dim: number, sizes: number[]): Tensor {
    const d = normDim(arg.int(dim, "unflatten", "dim", 1), this.ndim);
    const s = arg.intList(sizes, "unflatten", "sizes", 2);
    if (s.length === 0) throw new Error("unflatten: sizes must be non-empty");
    const n = this.shape[d];
    const known = s.filter((x) => x !== -1).reduce((a, b) => a * b, 1);
    const ok = s.includes(-1) ? known !== 0 && n % known === 0 : known === n;
    if (!ok)
      throw new Error(
        `unflatten: Provided sizes ${fmtShape(s)} don't multiply up to the size of dim ${d} (${n}) in the input tensor`,
      );
    const full = inferShape(s, n);
    return bind(
      "reshape",
      [this],
      { shape: [...this.shape.slice(0, d), ...full, ...this.shape.slice(d + 1)] },
      "ViewBackward0",
    );
  }
  /** Batched matrix product of 3-D tensors [b, n, m] @ [b, m, p]. */
  bmm(mat2: Tensor): Tensor {
    const o = arg.tensorArg(mat2, "bmm", "mat2");
    if (this.ndim !== 3) throw new Error("batch1 must be a 3D tensor");
    if (o.ndim !== 3) throw new Error("batch2 must be a 3D tensor");
    if (o.shape[0] !== this.shape[0] || o.shape[1] !== this.shape[2])
      throw new Error(
        `Expected size for first two dimensions of batch2 tensor to be: [${this.shape[0]}, ${this.shape[2]}] but got: [${o.shape[0]}, ${o.shape[1]}].`,
      );
    arg.sameScalarType(this.dtype, o.dtype);
    if (o.dtype === "bool") throw new Error(`"bmm" not implemented for 'Bool'`);
    return bind("matmul", [this, o], {}, "BmmBackward0");
  }
  /** `beta * this + alpha * (batch1 @ batch2)`, batched (this broadcast to the product's shape). */
  baddbmm(batch1: Tensor, batch2: Tensor, opts?: { beta?: number; alpha?: number }): Tensor {
    const b1 = arg.tensorArg(batch1, "baddbmm", "batch1", 1),
      b2 = arg.tensorArg(batch2, "baddbmm", "batch2", 2);
    const o = arg.options(opts, "baddbmm", ["beta", "alpha"]);
    const beta = o.beta === undefined ? 1 : arg.number(o.beta, "baddbmm", "beta"),
      alpha = o.alpha === undefined ? 1 : arg.number(o.alpha, "baddbmm", "alpha");
    if (b1.dtype === "bool" && b2.dtype === "bool")
      throw new Error(`"baddbmm" not implemented for 'Bool'`);
    const p = b1.bmm(b2);
    broadcastShapes(this.shape, p.shape);
    // the result has the batches' dtype (self is cast to it, as PyTorch copies self into it)
    return composite("BaddbmmBackward0", [this, b1, b2], (s, a, b) => {
      const x = s.to(a.dtype);
      const prod = bind("matmul", [a, b]);
      const scaled = alpha === 1 ? prod : prod.mul(alpha);
      const y = beta === 0 ? scaled.add(x.mul(0)) : scaled.add(beta === 1 ? x : x.mul(beta));
      return y.to(a.dtype);
    });
  }

  // ---- movement (views) ----
  // PyTorch 1.13 names a reshape that can be a view ReshapeAliasBackward0, and one that copies UnsafeViewBackward0
  /** The elements in a new shape (one size may be -1): a view when strides allow, else a copy. */
  reshape(...shape: (number | number[])[]): Tensor {
    const target = inferShape(intArgs(shape, "reshape", "shape"), this.numel());
    const copies = this.storage && !reshapeStrides(this.shape, this.strides, target);
    return bind(
      "reshape",
      [this],
      { shape: target },
      copies ? "UnsafeViewBackward0" : "ReshapeAliasBackward0",
    );
  }
  /** The elements in a new shape as a view; throws when the strides do not allow one. */
  view(...shape: (number | number[])[]): Tensor {
    const target = inferShape(intArgs(shape, "view", "size"), this.numel());
    if (!reshapeStrides(this.shape, this.strides, target)) {
      // tracers carry eager's strides too
      throw new Error(
        "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
      );
    }
    return bind("reshape", [this], { shape: target }, "ViewBackward0");
  }
  /** Dims `startDim` to `endDim` merged into one. */
  flatten(startDim = 0, endDim = -1): Tensor {
    const s = normDim(arg.int(startDim, "flatten", "start_dim", 1), this.ndim),
      e = normDim(arg.int(endDim, "flatten", "end_dim", 2), this.ndim);
    if (this.ndim === 0) return this.reshape([1]);
    if (s > e) throw new Error("flatten() has invalid args: start_dim cannot come after end_dim");
    if (s === e) return this;
    return this.reshape([
      ...this.shape.slice(0, s),
      numel(this.shape.slice(s, e + 1)),
      ...this.shape.slice(e + 1),
    ]);
  }
  /** A view with the dims reordered. */
  permute(...dims: (number | number[])[]): Tensor {
    const perm = intArgs(dims, "permute", "dims").map((d) => normDim(d, this.ndim));
    if (perm.length !== this.ndim) {
      throw new Error(
        `permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${this.ndim} is not equal to len(dims) = ${perm.length}`,
      );
    }
    if (new Set(perm).size !== perm.length)
      throw new Error("permute(): duplicate dims are not allowed.");
    return bind("permute", [this], { perm }, "PermuteBackward0");
  }
  /** A view with two dims swapped. */
  transpose(dim0: number, dim1: number): Tensor {
    const perm = [...this.shape.keys()],
      a = normDim(arg.int(dim0, "transpose", "dim0", 1), this.ndim),
      b = normDim(arg.int(dim1, "transpose", "dim1", 2), this.ndim);
    [perm[a], perm[b]] = [perm[b], perm[a]];
    return bind("permute", [this], { perm }, "TransposeBackward0");
  }
  /** The dims reversed (the transpose of a matrix). */
  get T(): Tensor {
    return this.permute([...this.shape.keys()].reverse());
  }
  /** The last two dims swapped (batched matrix transpose). */
  get mT(): Tensor {
    return this.transpose(-2, -1);
  }
  /** A view with a size-1 dim inserted at `dim`. */
  unsqueeze(dim: number): Tensor {
    const d = normDim(arg.int(dim, "unsqueeze", "dim", 1), this.ndim + 1);
    return bind(
      "reshape",
      [this],
      { shape: [...this.shape.slice(0, d), 1, ...this.shape.slice(d)] },
      "UnsqueezeBackward0",
    );
  }
  /** A view without size-1 dims (all of them, or `dim` if it has size 1). */
  squeeze(dim?: number): Tensor {
    if (dim === undefined)
      return bind(
        "reshape",
        [this],
        { shape: this.shape.filter((n) => n !== 1) },
        "SqueezeBackward0",
      );
    const d = normDim(arg.int(dim, "squeeze", "dim", 1), this.ndim); // a dim of size other than 1 stays (still a new view, as in PyTorch)
    return bind(
      "reshape",
      [this],
      { shape: this.shape.filter((n, i) => i !== d || n !== 1) },
      "SqueezeBackward1",
    );
  }
  /** A broadcast view to `shape` (-1 keeps a size), without copying. */
  expand(...shape: (number | number[])[]): Tensor {
    const want = intArgs(shape, "expand", "size"),
      lead = want.length - this.ndim;
    if (lead < 0) {
      throw new Error(
        `expand(${torchTypeName[this.dtype]}{${fmtShape(this.shape)}}, size=${fmtShape(want)}): the number of sizes provided (${want.length}) must be greater or equal to the number of dimensions in the tensor (${this.ndim})`,
      );
    }
    const target = want.map((n, d) => (n === -1 && d >= lead ? this.shape[d - lead] : n));
    target.forEach((n, d) => {
      if (d < lead && n < 0)
        throw new Error(
          `The expanded size of the tensor (${n}) isn't allowed in a leading, non-existing dimension ${d}`,
        );
      const have = d < lead ? 1 : this.shape[d - lead];
      if ((have !== n && have !== 1) || n < 0) {
        throw new Error(
          `The expanded size of the tensor (${n}) must match the existing size (${have}) at non-singleton dimension ${d}.  Target sizes: ${fmtShape(want)}.  Tensor sizes: ${fmtShape(this.shape)}`,
        );
      }
    });
    return bind("expand", [this], { shape: target }, "ExpandBackward0");
  }
  /** `expand(o.shape)`. */
  expandAs(other: Tensor) {
    return this.expand(arg.tensorArg(other, "expand_as").shape);
  }
  /** A view of `length` elements of `dim` from `start`. */
  narrow(dim: number, start: number, length: number): Tensor {
    const d = normDim(arg.int(dim, "narrow", "dim", 1), this.ndim);
    start = arg.int(start, "narrow", "start", 2);
    length = arg.int(length, "narrow", "length", 3);
    if (this.ndim === 0) throw new Error("narrow() cannot be applied to a 0-dim tensor.");
    const n = this.shape[d];
    if (start < -n || start > n)
      throw new Error(
        `start out of range (expected to be in range of [${-n}, ${n}], but got ${start})`,
      );
    if (start < 0) start += this.shape[d];
    if (start < 0 || length < 0 || start + length > this.shape[d]) {
      throw new Error(
        `start (${start}) + length (${length}) exceeds dimension size (${this.shape[d]}).`,
      );
    }
    return this.shrink(
      this.shape.map((_, i) => (i === d ? start : 0)),
      this.shape.map((n, i) => (i === d ? start + length : n)),
    );
  }
  // Python-style slicing along one dim: x.slice(0, 1, 3) is x[1:3] (negative indices count from the end).
  /** A view of `start <= i < end` along `dim` (negative indices count from the end). */
  slice(dim: number, start = 0, end = Infinity): Tensor {
    const bound = (v: unknown, name: string, pos: number) => {
      const x = arg.number(v, "slice", name, pos);
      if (!Number.isInteger(x) && Math.abs(x) !== Infinity)
        throw new TypeError(`slice(): argument '${name}' (position ${pos}) must be int, not float`);
      return x;
    };
    start = bound(start, "start", 2);
    end = bound(end, "end", 3);
    if (this.ndim === 0) throw new Error("slice() cannot be applied to a 0-dim tensor.");
    const d = normDim(arg.int(dim, "slice", "dim", 1), this.ndim),
      n = this.shape[d];
    const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
    const s = clamp(start),
      e = Math.max(clamp(end), s);
    return this.narrow(d, s, e - s);
  }
  /** A view of one index of `dim`, that dim removed. */
  select(dim: number, index: number): Tensor {
    index = arg.int(index, "select", "index", 2);
    if (this.ndim === 0) throw new Error("select() cannot be applied to a 0-dim tensor.");
    const d = normDim(arg.int(dim, "select", "dim", 1), this.ndim),
      n = this.shape[d];
    if (index < -n || index >= n)
      throw new Error(
        `select(): index ${index} out of range for tensor of size ${fmtShape(this.shape)} at dimension ${d}`,
      );
    const i = index < 0 ? index + n : index;
    return composite("SelectBackward0", [this], (x) => x.narrow(d, i, 1).squeeze(d));
  }
  // shrink: the view [starts[d], ends[d]) along every dim; bounds checked (a view never reads
  // outside its tensor, even when the storage behind it is larger)
  shrink(starts: number[], ends: number[]) {
    const s = arg.intList(starts, "shrink", "starts", 1),
      e = arg.intList(ends, "shrink", "ends", 2);
    this.perDim(s, "shrink", "starts");
    this.perDim(e, "shrink", "ends");
    s.forEach((a, d) => {
      if (!(a >= 0 && a <= e[d] && e[d] <= this.shape[d]))
        throw new Error(
          `shrink(): the range [${a}, ${e[d]}) at dimension ${d} is not within [0, ${this.shape[d]}] (tensor of size ${fmtShape(this.shape)})`,
        );
    });
    return bind("shrink", [this], { starts: s, ends: e });
  }
  // pad: before[d] and after[d] zeros along every dim (non-negative)
  pad(before: number[], after: number[]) {
    const b = arg.intList(before, "pad", "before", 1),
      a = arg.intList(after, "pad", "after", 2);
    this.perDim(b, "pad", "before");
    this.perDim(a, "pad", "after");
    for (const n of [...b, ...a])
      if (n < 0) throw new Error(`pad(): pads must be non-negative, got ${n}`);
    return bind("pad", [this], { before: b, after: a });
  }
  private perDim(list: number[], fn: string, name: string): void {
    if (list.length !== this.ndim)
      throw new Error(
        `${fn}(): '${name}' needs one entry per dimension (${this.ndim}), got ${list.length}`,
      );
  }

  // ---- in-place updates (optimizer-style) ----
  private inplace(result: () => Tensor): this {
    if (isGradEnabled() && this.isLeaf && this.requiresGrad) {
      throw new Error("a leaf Variable that requires grad is being used in an in-place operation.");
    }
    if (isGradEnabled() && this.base?.requiresGrad) {
      if (this.base.isLeaf)
        throw new Error(
          "a view of a leaf Variable that requires grad is being used in an in-place operation.",
        );
      throw new Error(
        "jitgrad does not support in-place operations on views of tensors that require grad",
      );
    }
    const r = result();
    if (!sameShape(r.shape, this.shape)) {
      throw new Error(
        `output with shape ${fmtShape(this.shape)} doesn't match the broadcast shape ${fmtShape(r.shape)}`,
      );
    }
    // PyTorch's can_cast: the result may not move to a lower category (float > integer > bool)
    const category = (d: DType) => (isFloat(d) ? 2 : d === "int32" ? 1 : 0);
    if (category(r.dtype) > category(this.dtype)) {
      throw new Error(
        `result type ${scalarType(r)} can't be cast to the desired output type ${scalarType(this)}`,
      );
    }
    const trace = activeTrace();
    if (trace) {
      trace.mutate(this, r.to(this.dtype)); // compiled: becomes a write-back
      if (trace.autograd) {
        // as eager: the version moves (saved-tensor checks see it; the recorder restores the
        // versions of eager tensors after the trace) and a tracer takes the result's node
        this.version.n++;
        if (r.gradFn && !this.storage) {
          this.gradFn = r.gradFn;
          this.outputIndex = r.outputIndex;
        }
      }
      return this;
    }
    backend.copy(r, this);
    this.version.n++;
    if (r.gradFn) {
      stateEpoch.n++;
      this.gradFn = r.gradFn;
      this.outputIndex = r.outputIndex;
    }
    return this;
  }
  // arguments are checked before anything else (a bad one changes nothing)
  add_(other: Operand, alpha?: number) {
    const o = arg.operand(other, "add_"),
      a = alpha === undefined ? undefined : arg.number(alpha, "add_", "alpha");
    return this.inplace(() => this.add(o, a));
  }
  /** In place: `this -= alpha * o`. */
  sub_(other: Operand, alpha?: number) {
    const o = arg.operand(other, "sub_"),
      a = alpha === undefined ? undefined : arg.number(alpha, "sub_", "alpha");
    return this.inplace(() => this.sub(o, a));
  }
  /** In place: `this *= o`. */
  mul_(other: Operand) {
    const o = arg.operand(other, "mul_");
    return this.inplace(() => this.mul(o));
  }
  /** In place: `this /= o`. */
  div_(other: Operand, opts?: { roundingMode?: "trunc" | "floor" | null }) {
    const o = arg.operand(other, "div_");
    return this.inplace(() => this.div(o, opts));
  }
  // src broadcast with PyTorch's error for shapes that do not broadcast; a recorded expand (not a
  // bare view), so a traced copy_ writes back the broadcast value
  copy_(source: Tensor) {
    const src = arg.tensorArg(source, "copy_", "src");
    return this.inplace(() => {
      const shape = broadcastShapes(this.shape, src.shape);
      return (sameShape(shape, src.shape) ? src : src.expand(shape)).to(this.dtype);
    });
  }
  /** In place: every element set to `v`. */
  fill_(value: number | boolean) {
    const v = arg.scalarValue(value, "fill_", "value");
    if (this.dtype === "int32" && !(Math.trunc(+v) >= -2147483648 && Math.trunc(+v) <= 2147483647))
      throw new Error("value cannot be converted to type int32 without overflow");
    return this.inplace(() => broadcastTo(scalar(v), this.shape).to(this.dtype));
  }
  /** In place: every element set to 0. */
  zero_() {
    return this.fill_(0);
  }
}

// PyTorch 1.13's matmul errors, in its order and wording: first shapes, as its dot/mv/mm/bmm kernels
// see them once batch dims are folded into rows (with a 1-D or 2-D operand on the left of a batched
// one, the batched one is folded transposed and goes first), then dtypes, which it never promotes.
function matmulCheck(a: Tensor, b: Tensor): void {
  if (a.ndim === 0 || b.ndim === 0)
    throw new Error(
      `both arguments to matmul need to be at least 1D, but they are ${a.ndim}D and ${b.ndim}D`,
    );
  const k = a.shape[a.ndim - 1],
    k2 = b.shape[Math.max(b.ndim - 2, 0)],
    n = b.shape[b.ndim - 1];
  if (a.ndim === 1 && b.ndim === 1) {
    if (k !== k2)
      throw new Error(
        `inconsistent tensor size, expected tensor [${k}] and src [${k2}] to have the same number of elements, but got ${k} and ${k2} elements respectively`,
      );
    if (a.dtype !== b.dtype)
      throw new Error(
        `dot : expected both vectors to have same dtype, but found ${scalarType(a)} and ${scalarType(b)}`,
      );
    if (a.dtype === "bool") throw new Error(`"dot" not implemented for 'Bool'`);
    return;
  }
  const mm = (m: number, k: number, k2: number, n: number) =>
    new Error(`mat1 and mat2 shapes cannot be multiplied (${m}x${k} and ${k2}x${n})`);
  const mv = (m: number, k: number, v: number) =>
    new Error(`size mismatch, got ${m}, ${m}x${k},${v}`);
  const swapped = a.ndim <= 2 && b.ndim >= 3;
  if (b.ndim <= 2) {
    // a (folded to rows) @ b
    const rows = numel(a.shape.slice(0, -1));
    if (k !== k2) throw b.ndim === 1 ? mv(rows, k, k2) : mm(rows, k, k2, n);
  } else if (swapped) {
    // (b.mT folded to rows) @ a.T
    const rows = numel(b.shape.slice(0, -2)) * n;
    if (k !== k2) throw a.ndim === 1 ? mv(rows, k2, k) : mm(rows, k2, k, a.shape[0]);
  } else {
    // bmm over the broadcast batch dims
    const batch = numel(broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2)));
    if (k !== k2)
      throw new Error(
        `Expected size for first two dimensions of batch2 tensor to be: [${batch}, ${k}] but got: [${batch}, ${k2}].`,
      );
  }
  if (swapped) arg.sameScalarType(b.dtype, a.dtype);
  else arg.sameScalarType(a.dtype, b.dtype);
  if (a.dtype === "bool") {
    // the kernel PyTorch's matmul reaches: bmm, or mv / mm once batch dims are folded into rows
    const vector = swapped ? a.ndim === 1 : b.ndim === 1;
    const kernel =
      a.ndim >= 3 && b.ndim >= 3 ? "bmm" : vector ? "addmv_impl_cpu" : "addmm_impl_cpu_";
    throw new Error(`"${kernel}" not implemented for 'Bool'`);
  }
}

const scalarType = (t: { dtype: DType }) => scalarTypeName(t.dtype);
// PyTorch has no kernel of `kernel` for the operands' promoted dtype: "bool" (bool only) or
// "int" (bool and integers)
function noKernelFor(ins: Operand[], below: "bool" | "int", kernel: string): void {
  const dtype = promoteAll(ins.map((x) => (Tensor.isTensor(x) ? x : scalar(x))));
  if (dtype === "bool" || (below === "int" && !isFloat(dtype))) arg.noKernel(kernel, dtype);
}
// PyTorch raises for an integer division (or remainder) by zero; compiled, the values are not
// known while tracing, and the result there is 0
function intDivisorCheck<T extends [Tensor, Operand]>(ins: T): T {
  const [a, b] = ins;
  const divisor = Tensor.isTensor(b) ? b : scalar(b);
  if (isFloat(promoteAll([a, divisor]))) return ins;
  if (divisor.storage && !(activeTrace() && !divisor.wrapped) && divisor.values().includes(0))
    throw new Error("ZeroDivisionError");
  return ins;
}

const mulScalar = (o: Operand, alpha: number) =>
  Tensor.isTensor(o) ? o.mul(alpha) : Number(o) * alpha;

// where's condition must be a bool tensor (PyTorch's wording; the dtype named as PyTorch names it)
export function whereCheck(cond: Tensor): void {
  if (cond.dtype !== "bool")
    throw new Error(
      `where expected condition to be a boolean tensor, but got a tensor with dtype ${scalarType(cond)}`,
    );
}

// softmax's dim is required: PyTorch 1.13's implicit choice is deprecated (and often wrong)
function softmaxDim(dim: unknown, fn: string): number {
  if (dim === undefined)
    throw new TypeError(
      `${fn}(): the dim argument is required (PyTorch's implicit dim choice is deprecated); pass the dim to normalize over, e.g. -1 for the last`,
    );
  return arg.int(dim, fn, "dim", 1);
}

// How the engine sums a gradient back to its operand's shape, casts it, and stores it in a leaf.
const engineHooks = {
  sumTo(g: Tensor, shape: readonly number[]): Tensor {
    if (sameShape(g.shape, shape)) return g;
    return g.sum(broadcastDims(g.shape, shape).dims, true).reshape([...shape]);
  },
  cast: (g: Tensor, dtype: DType) => (g.dtype === dtype ? g : g.to(dtype)),
  accumulate(leaf: Tensor, g: Tensor) {
    // with createGraph (grad mode on), .grad keeps its graph: a copy, then out-of-place sums
    if (isGradEnabled())
      leaf.grad = leaf.grad
        ? leaf.grad.add(g)
        : bind("cast", [g], { dtype: g.dtype }, "CopyBackwards");
    else if (leaf.grad) leaf.grad.add_(g);
    else if (!g.storage)
      leaf.grad = g.withView([...g.shape], [...g.strides], g.offset); // traced: a tensor of its own (in-place updates of it touch nothing else)
    else leaf.grad = g.fresh ? g : materialize(g); // a gradient nothing else holds is kept, not copied
  },
};

export { engineHooks };

// backward()'s implicit gradient: ones shaped like the output
function seedGradient(t: Tensor): Tensor {
  const out = empty(t.shape, t.dtype);
  out.storage!.fill(1);
  return out;
}

// gather/scatter_add's checks on their index (and src), in PyTorch's words and order.
function indexCheck(fn: string, self: Tensor, dim: number, index: Tensor, src?: Tensor): void {
  if (!(index instanceof Tensor) || index.dtype !== "int32")
    throw new Error(`${fn}(): Expected dtype int64 for index`);
  // (PyTorch checks the scatters' src dtype here, before any shape)
  if (src && src.dtype !== self.dtype)
    throw new Error("scatter(): Expected self.dtype to be equal to src.dtype");
  if (index.ndim !== self.ndim && !(index.ndim <= 1 && self.ndim <= 1))
    throw new Error("Index tensor must have the same number of dimensions as input tensor");
  const bad = index.shape.findIndex((n, d) => d !== dim && n > self.shape[d]);
  const tooBig = src && index.shape.some((n, d) => n > src.shape[d]);
  if (src && (bad >= 0 || tooBig))
    throw new Error(
      `Expected index ${fmtShape(index.shape)} to be smaller than self ${fmtShape(self.shape)} apart from dimension ${dim} and to be smaller size than src ${fmtShape(src.shape)}`,
    );
  if (bad >= 0)
    throw new Error(
      `Size does not match at dimension ${bad} expected index ${fmtShape(index.shape)} to be smaller than self ${fmtShape(self.shape)} apart from dimension ${dim}`,
    );
}

// ---- the constructor users can reach ----
// index.ts exports this Proxy of the class as `Tensor`: instanceof, statics and subclassing work as
// with the class, but `new Tensor(...)` from user code checks its arguments (internal code calls the
// class itself, unchecked, so no op pays for this). t.constructor is still the class itself
// (redefining Tensor.prototype.constructor slowed every eager op by ~7% in V8); compile() checks
// the layout of every tensor it is given or captures (checkLayout), so a tensor built that way
// cannot reach generated code either.
const storageTypes = new Map<DType, { name: string; proto: object }>([
  ["float32", { name: "Float32Array", proto: Float32Array.prototype }],
  ["float64", { name: "Float64Array", proto: Float64Array.prototype }],
  ["int32", { name: "Int32Array", proto: Int32Array.prototype }],
  ["bool", { name: "Uint8Array", proto: Uint8Array.prototype }],
]);

function checkedConstructorArgs(args: unknown[]): ConstructorParameters<typeof Tensor> {
  const [storage, shapeArg, stridesArg, offsetArg, dtypeArg, version] = args;
  const dtype = arg.dtype(dtypeArg, "Tensor");
  if (dtype === undefined)
    throw new TypeError("Tensor(): argument 'dtype' (position 5) is required");
  const want = storageTypes.get(dtype)!;
  // the internal slots, not properties a caller could redefine
  if (
    !ArrayBuffer.isView(storage) ||
    arg.typedArrayName(storage) !== want.name ||
    Object.getPrototypeOf(storage) !== want.proto
  )
    throw new TypeError(
      `Tensor(): a ${dtype} tensor's storage must be a ${want.name}, not ${arg.typeName(storage)}`,
    );
  const length = arg.typedArrayLength(storage);
  const shape = arg.size(shapeArg, "Tensor", "shape", 2),
    strides = arg.intList(stridesArg, "Tensor", "strides", 3),
    offset = arg.int(offsetArg, "Tensor", "offset", 4);
  if (strides.length !== shape.length)
    throw new Error(
      `Tensor(): strides ${fmtShape(strides)} must have one entry per dimension of shape ${fmtShape(shape)}`,
    );
  if (strides.some((s) => s < 0) || offset < 0)
    throw new Error("Tensor(): strides and offset must be non-negative");
  if (version !== undefined)
    throw new TypeError("Tensor(): the version counter (argument 6) is internal");
  if (numel(shape) > 0) {
    const last = shape.reduce((o, n, d) => o + (n - 1) * strides[d], offset);
    if (last >= length)
      throw new Error(
        `Tensor(): shape ${fmtShape(shape)} with strides ${fmtShape(strides)} and offset ${offset} reads element ${last}, but the storage holds ${length}`,
      );
  }
  return [storage as Storage, shape, strides, offset, dtype];
}

export const PublicTensor: typeof Tensor = new Proxy(Tensor, {
  construct(target, args, newTarget) {
    return Reflect.construct(target, checkedConstructorArgs(args), newTarget);
  },
});

/**
 * A tensor's layout as compile() needs it (shape and strides of integers, a known dtype, a storage
 * of that dtype covering the view): checked for every tensor argument and captured tensor, since
 * t.shape is an ordinary array a caller could change after the tensor was made.
 */
export function checkLayout(t: Tensor, what: string): void {
  const { shape, strides, offset, dtype, storage } = t;
  const ok =
    Array.isArray(shape) &&
    Array.isArray(strides) &&
    shape.length === strides.length &&
    shape.length <= arg.MAX_NDIM &&
    Number.isSafeInteger(offset) &&
    offset >= 0 &&
    storageTypes.has(dtype) &&
    shape.every((n) => Number.isSafeInteger(n) && n >= 0) &&
    strides.every((n) => Number.isSafeInteger(n) && n >= 0);
  if (!ok)
    throw new TypeError(
      `${what} is not a valid tensor (its shape, strides, offset or dtype were changed after it was made)`,
    );
  if (storage !== null && numel(shape) > 0) {
    const last = shape.reduce((o, n, d) => o + (n - 1) * strides[d], offset);
    if (
      arg.typedArrayName(storage) !== storageTypes.get(dtype)!.name ||
      last >= arg.typedArrayLength(storage)
    )
      throw new TypeError(
        `${what} is not a valid tensor (its storage does not match its dtype and shape)`,
      );
  }
}
