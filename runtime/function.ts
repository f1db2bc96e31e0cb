// Custom autograd functions (PyTorch's torch.autograd.Function): the user's static forward runs
// without recording, its outputs get one node, `<Name>Backward`, whose backward is the user's
// static backward. Inside compile()/grad() the forward is traced as ordinary ops and each output
// is tied to the inputs by a `custom` graph value, where the compiler's autodiff runs the user's
// backward on tracers (JAX's custom_vjp), so it fuses like any other rule.
import { isFloat } from "../ir/dtype";
import { fmtShape } from "../ir/shape";
import * as arg from "./args";
import { isGradEnabled, Node, noGrad, savedTensors } from "./autograd";
import { activeTrace, bind, empty } from "./dispatch";
import { Tensor } from "./tensor";

type Grad = Tensor | null;
// What the compiler's autodiff needs of a traced call: its backward on the outputs' cotangents
// (null where none reached an output), giving one gradient (or null) per tensor input.
export interface CustomCall {
  name: string;
  backward(grads: Grad[]): Grad[];
}

/**
 * The `ctx` a custom {@link Function}'s `forward` and `backward` share: tensors saved for the
 * backward, which inputs need a gradient, and flags on the outputs. Other properties may be set
 * freely (`ctx.k = k`), as in PyTorch.
 */
export class FunctionCtx {
  [key: string]: unknown;
  /** For each forward argument, whether its gradient is wanted (false for non-tensors). */
  needsInputGrad: boolean[] = [];
  /** @internal */
  saved: Grad[] = [];
  /** @internal */
  unpack: (() => Grad[]) | null = null; // set once forward has returned
  /** @internal */
  dirty = new Set<Tensor>();
  /** @internal */
  nonDifferentiable = new Set<Tensor>();
  /** @internal */
  materializeGrads = true;

  /** Keeps tensors (or null) for the backward, which reads them from `savedTensors`. */
  saveForBackward(...tensors: (Tensor | null | undefined)[]): void {
    this.saved = tensors.map((t, i) => {
      if (t === null || t === undefined) return null;
      if (!Tensor.isTensor(t))
        throw new TypeError(
          `save_for_backward can only save variables, but argument ${i} is of type ${arg.typeName(t)}`,
        );
      return t;
    });
  }
  /** The tensors given to `saveForBackward`, checked against in-place changes since. */
  get savedTensors(): Grad[] {
    if (!this.unpack)
      throw new Error("savedTensors can be read in backward only (after forward has returned)");
    return this.unpack();
  }
  /** Declares inputs that forward modified in place (and returns). */
  markDirty(...tensors: Tensor[]): void {
    for (const t of tensors) this.dirty.add(arg.tensorArg(t, "mark_dirty", "args"));
  }
  /** Declares outputs that get no gradient (indices, masks): they do not require grad. */
  markNonDifferentiable(...tensors: Tensor[]): void {
    for (const t of tensors)
      this.nonDifferentiable.add(arg.tensorArg(t, "mark_non_differentiable", "args"));
  }
  /**
   * Whether backward gets zeros for outputs no gradient reached (default true) or null.
   */
  setMaterializeGrads(value: boolean): void {
    this.materializeGrads = arg.bool(value, "set_materialize_grads", "value");
  }
}

type Output = Tensor | (Tensor | unknown)[];

/**
 * The base class of custom autograd functions: subclass it with `static forward(ctx, ...args)` and
 * `static backward(ctx, ...grads)` (one gradient per output in, one per forward argument out, null
 * for arguments that are not tensors or need none), and call `MyFn.apply(...args)`. Works eagerly
 * (`grad_fn=<MyFnBackward>`) and inside `compile`, `grad` and `valueAndGrad`, where the backward
 * is traced into the compiled backward.
 */
// biome-ignore lint/suspicious/noShadowRestrictedNames: PyTorch's name, public as autograd.Function
// biome-ignore lint/complexity/noStaticOnlyClass: users subclass it, as in PyTorch
export class Function {
  /** Computes the outputs from the arguments (runs without recording gradients). */
  static forward(_ctx: FunctionCtx, ..._args: unknown[]): Output {
    throw new Error("You must implement the forward function for custom autograd.Function.");
  }
  /** The gradients of the arguments from the gradients of the outputs. */
  static backward(_ctx: FunctionCtx, ..._grads: Grad[]): Grad | Grad[] | undefined {
    throw new Error(
      "You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.",
    );
  }
  /** Runs the function on `args`, recording one node for its outputs when gradients are wanted. */
  static apply<C extends { forward(ctx: FunctionCtx, ...args: never[]): unknown }>(
    this: C,
    ...args: C["forward"] extends (ctx: FunctionCtx, ...a: infer A) => unknown ? A : never
  ): C["forward"] extends (...a: never[]) => infer R ? R : never {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the user's subclass
    return applyFunction(this as unknown as typeof Function, args) as never;
  }
}

function applyFunction(fn: typeof Function, args: unknown[]): Output {
  const name = `${fn.name}Backward`;
  const ctx = new FunctionCtx();
  const tensors = args.map((a) => (Tensor.isTensor(a) ? a : null));
  const tracing = activeTrace() !== null;
  // traced: whether the compiled function differentiates is known only after tracing
  const wanted = (t: Tensor | null) => !!t && (tracing ? isFloat(t.dtype) : t.requiresGrad);
  const executable = isGradEnabled() && tensors.some(wanted);
  ctx.needsInputGrad = tensors.map((t) => executable && wanted(t));
  const result = noGrad(() => fn.forward(ctx, ...args));
  if (!executable || !(Array.isArray(result) || Tensor.isTensor(result))) return result;
  const list: unknown[] = Array.isArray(result) ? [...result] : [result];
  const outs = list.map((o) => (Tensor.isTensor(o) ? o : null));
  const differentiable = outs.map((o) => !!o && isFloat(o.dtype) && !ctx.nonDifferentiable.has(o));
  const backward = (grads: Grad[]): Grad[] => {
    const gs = grads.map(
      (g, k) => g ?? (ctx.materializeGrads && outs[k] ? zerosFor(outs[k]!) : null),
    );
    return checkGrads(name, fn.backward(ctx, ...gs), tensors, ctx.needsInputGrad);
  };
  const { final, node } = tracing
    ? { final: traced(name, backward, outs, differentiable, tensors), node: null }
    : recorded(name, ctx, backward, outs, differentiable, tensors);
  // saved outputs are read back as the outputs the caller got (so they carry the node); eagerly,
  // through getters that check for in-place changes and a released graph
  const saved = ctx.saved.map((t) => (t && outs.includes(t) ? final[outs.indexOf(t)] : t));
  if (!node) ctx.unpack = () => [...saved];
  else {
    const present = saved.filter((t): t is Tensor => t !== null);
    const getters = savedTensors(
      () => node,
      present,
      (i) =>
        final.includes(present[i])
          ? `, which is output ${final.indexOf(present[i])} of ${name},`
          : "",
    );
    let at = 0;
    const indexOf = saved.map((t) => (t === null ? -1 : at++));
    ctx.unpack = () => indexOf.map((i) => (i < 0 ? null : getters[i]));
  }
  const back = list.map((o, k) => final[k] ?? o);
  return Array.isArray(result) ? back : (back[0] as Tensor);
}

// Eager: one node for the outputs; an input returned as it is comes back as a view of it (or, if
// marked dirty, is the output itself, modified in place).
function recorded(
  name: string,
  ctx: FunctionCtx,
  backward: (grads: Grad[]) => Grad[],
  outs: (Tensor | null)[],
  differentiable: boolean[],
  inputs: (Tensor | null)[],
): { final: (Tensor | null)[]; node: Node } {
  // edges for the tensor arguments only (PyTorch's next_functions), gradients for all of them
  const ins = inputs.filter((t): t is Tensor => t !== null);
  const node = new Node(
    name,
    ins.map((t) => (t.requiresGrad ? t.gradEdge() : null)),
    ins.map((t) => ({ shape: t.shape, dtype: t.dtype })),
    (_, gs) => {
      const all = backward(outs.map((_, k) => (differentiable[k] ? (gs[k] ?? null) : null)));
      return all.filter((_, i) => inputs[i] !== null);
    },
  );
  const final = outs.map((o, k) => {
    if (!o || !differentiable[k]) return o;
    let out = o;
    if (ctx.dirty.has(o)) {
      if (o.isLeaf && o.requiresGrad)
        throw new Error(
          "a leaf Variable that requires grad is being used in an in-place operation.",
        );
    } else if (inputs.includes(o) || o.gradFn) out = o.withView(o.shape, o.strides, o.offset);
    out.gradFn = node;
    out.outputIndex = k;
    return out;
  });
  return { final, node };
}

// Traced: each differentiable output is `custom(value, ...tensor inputs)`; the graph's autodiff
// finds the call by its id and runs `backward` there.
function traced(
  name: string,
  backward: (grads: Grad[]) => Grad[],
  outs: (Tensor | null)[],
  differentiable: boolean[],
  inputs: (Tensor | null)[],
): (Tensor | null)[] {
  const ins = inputs.filter((t): t is Tensor => t !== null);
  const call = activeTrace()!.customCall({
    name,
    backward: (grads) => {
      const full: Grad[] = [];
      let at = 0;
      outs.forEach((_, k) => {
        full.push(differentiable[k] ? grads[at++] : null);
      });
      const gs = backward(full);
      return inputs.flatMap((t, i) => (t ? [gs[i]] : []));
    },
  });
  let at = 0;
  return outs.map((o, k) =>
    o && differentiable[k] ? bind("custom", [o, ...ins], { call, output: at++ }) : o,
  );
}

function zerosFor(t: Tensor): Tensor {
  if (activeTrace()) return t.newZeros([...t.shape]);
  const z = empty(t.shape, t.dtype);
  z.storage!.fill(0);
  return z;
}

// The user's gradients, as PyTorch checks them: one per forward argument (extra nulls dropped), a
// tensor or null each, none for an argument that is not a tensor, of a shape that sums to the
// argument's. Arguments that need no gradient get none.
function checkGrads(
  name: string,
  result: unknown,
  inputs: (Tensor | null)[],
  needs: boolean[],
): Grad[] {
  let gs = Array.isArray(result) ? [...result] : [result];
  if (gs.length > inputs.length && gs.slice(inputs.length).every((g) => g == null))
    gs = gs.slice(0, inputs.length);
  if (gs.length !== inputs.length)
    throw new Error(
      `function ${name} returned an incorrect number of gradients (expected ${inputs.length}, got ${gs.length})`,
    );
  return gs.map((g, i) => {
    if (g === null || g === undefined) return null;
    if (!Tensor.isTensor(g))
      throw new TypeError(`expected Variable or None (got ${arg.typeName(g)})`);
    const x = inputs[i];
    if (!x)
      throw new Error(
        `function ${name} returned a gradient different than None at position ${i + 1}, but the corresponding forward input was not a Variable`,
      );
    if (!expandable(x.shape, g.shape))
      throw new Error(
        `Function ${name} returned an invalid gradient at index ${i} - got ${fmtShape(g.shape)} but expected shape compatible with ${fmtShape(x.shape)}`,
      );
    return needs[i] ? g : null;
  });
}

// whether `shape` broadcasts to `to` (a gradient of shape `to` sums back to `shape`)
function expandable(shape: readonly number[], to: readonly number[]): boolean {
  if (shape.length > to.length) return false;
  const lead = to.length - shape.length;
  return shape.every((n, d) => n === 1 || n === to[lead + d]);
}
