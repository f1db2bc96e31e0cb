// nn.Module: parameters, buffers and submodules found on the module's own properties, in the order
// they were assigned (PyTorch's registration order): a property holding a tensor marked with
// `parameter()` is a parameter, one marked with `buffer()` a buffer, one holding a Module a child.
import type { DType } from "../ir/dtype";
import { fmtShape } from "../ir/shape";
import * as arg from "../runtime/args";
import { noGrad } from "../runtime/autograd";
import { tensor } from "../runtime/create";
import { activeTrace } from "../runtime/dispatch";
import { stateEpoch } from "../runtime/epoch";
import { Tensor } from "../runtime/tensor";

const PARAMETERS = new WeakSet<Tensor>();
const BUFFERS = new WeakSet<Tensor>();

/**
 * Marks t as a parameter (PyTorch's nn.Parameter): a leaf that requires grad unless told otherwise.
 */
export function parameter(tensor: Tensor, requiresGrad = true): Tensor {
  let t = arg.tensorArg(tensor, "parameter", "data", 1);
  if (!t.isLeaf) t = t.detach();
  t.requiresGrad_(requiresGrad);
  PARAMETERS.add(t);
  return t;
}
/**
 * Marks t as a buffer: state saved in stateDict() that is not trained (running statistics, masks).
 */
export function buffer(tensor: Tensor): Tensor {
  const t = arg.tensorArg(tensor, "buffer", "tensor", 1);
  BUFFERS.add(t);
  return t;
}
/** Whether `t` was marked as a parameter by `parameter`. */
export const isParameter = (t: unknown): t is Tensor => t instanceof Tensor && PARAMETERS.has(t);

/** One tensor of a state dict: plain data, so JSON.stringify/parse round-trips it exactly. */
export interface TensorData {
  shape: number[];
  dtype: DType;
  data: number[];
}
/** A module's tensors by qualified name (`"0.weight"`), as plain data. */
export type StateDict = Record<string, TensorData>;

/**
 * The tensor a state dict entry holds for the model's tensor `t` named `k`, or PyTorch's error for
 * it: a Tensor as it is, plain `{shape, dtype, data}` checked as `tensor()` checks it.
 */
function sourceTensor(src: unknown, k: string, t: Tensor): Tensor | string {
  const sizeMismatch = (shape: readonly number[]) =>
    `size mismatch for ${k}: copying a param with shape torch.Size(${fmtShape(shape)}) from checkpoint, the shape in current model is torch.Size(${fmtShape(t.shape)}).`;
  if (Tensor.isTensor(src)) {
    if (!src.storage)
      return `While copying the parameter named "${k}": it is being traced inside compile()`;
    return src.shape.join() === t.shape.join() ? src : sizeMismatch(src.shape);
  }
  const plain = src as Partial<TensorData> | null;
  if (
    plain === null ||
    typeof plain !== "object" ||
    !Array.isArray(plain.shape) ||
    !Array.isArray(plain.data)
  )
    return `While copying the parameter named "${k}", expected torch.Tensor or Tensor-like object from checkpoint but received ${arg.typeName(src)}`;
  if (plain.shape.join() !== t.shape.join()) return sizeMismatch(plain.shape);
  if (plain.data.length !== t.numel())
    return `While copying the parameter named "${k}", whose dimensions in the model are torch.Size(${fmtShape(t.shape)}), the state dict holds ${plain.data.length} values.`;
  try {
    // values, shape and dtype checked as tensor() checks them (numbers only, a known dtype)
    return tensor(plain.data, { shape: plain.shape, dtype: plain.dtype ?? t.dtype });
  } catch (e) {
    return `While copying the parameter named "${k}": ${(e as Error).message}`;
  }
}

/** A module whatever its forward returns (what containers and module trees hold). */
export type AnyModule = Module<Tensor | Tensor[]>;

/**
 * Base class of layers and models (PyTorch's nn.Module): subclasses assign parameters (tensors
 * marked with `parameter`), buffers and child modules to properties and implement
 * `forward`. Parameters, state dicts, train/eval mode and printing follow PyTorch. `Out` is what
 * forward returns: one tensor, or a tuple (MaxPool2d with returnIndices: [output, indices]).
 */
export abstract class Module<Out extends Tensor | Tensor[] = Tensor> {
  #training = true;
  /**
   * Training mode (dropout active). Read while a compiled function is being traced, it becomes part
   * of that function's guard: after `eval()` or `train()` the function is traced again.
   */
  get training(): boolean {
    const value = this.#training;
    activeTrace()?.guard(() => this.#training === value);
    return value;
  }
  set training(mode: boolean) {
    this.#training = arg.bool(mode, "training", "mode");
    stateEpoch.n++;
  }

  /** The computation of the module (tensors in, mostly; MaxUnpool2d also takes an output size). */
  abstract forward(...inputs: unknown[]): Out;

  // ---- structure ----
  /** The direct child modules with their property names. */
  namedChildren(): [string, AnyModule][] {
    return Object.entries(this).filter((e): e is [string, AnyModule] => e[1] instanceof Module);
  }
  /** The direct child modules. */
  children(): AnyModule[] {
    return this.namedChildren().map(([, m]) => m);
  }
  /** This module and all below it, depth first, each once (PyTorch's named_modules). */
  namedModules(prefix = "", seen = new Set<AnyModule>()): [string, AnyModule][] {
    if (seen.has(this)) return [];
    seen.add(this);
    return [
      [prefix, this],
      ...this.namedChildren().flatMap(([n, m]) =>
        m.namedModules(prefix ? `${prefix}.${n}` : n, seen),
      ),
    ];
  }
  /** This module and all below it, depth first. */
  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * Names under which properties appear in state dicts and parameter names, where they differ from
   * the property (PyTorch's `running_mean` for `runningMean`): a subclass overrides it.
   */
  protected static readonly stateNames: ReadonlyMap<string, string> = new Map();
  private ownTensors(set: WeakSet<Tensor>): [string, Tensor][] {
    const names = (this.constructor as typeof Module).stateNames;
    return Object.entries(this)
      .filter((e): e is [string, Tensor] => e[1] instanceof Tensor && set.has(e[1]))
      .map(([k, t]) => [names.get(k) ?? k, t]);
  }
  /**
   * Parameters as [qualified name, tensor], each tensor once (shared ones under their first name).
   */
  namedParameters(): [string, Tensor][] {
    const seen = new Set<Tensor>(),
      out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [n, p] of m.ownTensors(PARAMETERS)) {
        if (!seen.has(p)) {
          seen.add(p);
          out.push([prefix ? `${prefix}.${n}` : n, p]);
        }
      }
    }
    return out;
  }
  /** Every parameter of this module and its children, each once (for an optimizer). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }
  /** Buffers as [qualified name, tensor]. */
  namedBuffers(): [string, Tensor][] {
    return this.namedModules().flatMap(([prefix, m]) =>
      m.ownTensors(BUFFERS).map(([n, b]) => [prefix ? `${prefix}.${n}` : n, b] as [string, Tensor]),
    );
  }

  /**
   * Calls `fn` on every child module (recursively), then on this one, and returns this (PyTorch's
   * apply, as used for custom initialization).
   */
  apply(fn: (m: AnyModule) => void): this {
    if (typeof fn !== "function")
      throw new TypeError(`apply(): argument 'fn' must be a function, not ${arg.typeName(fn)}`);
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }
  /** Sets requiresGrad on every parameter (PyTorch's requires_grad_, to freeze or unfreeze). */
  requiresGrad_(requiresGrad = true): this {
    const flag = arg.bool(requiresGrad, "requires_grad_", "requires_grad", 1);
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }

  // ---- training state ----
  /** Sets every parameter's grad to null (PyTorch 2's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }
  /** Sets training mode (dropout active) on this module and its children. */
  train(modeArg = true): this {
    const mode = arg.bool(modeArg, "train", "mode", 1);
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  /** Sets evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  // ---- saving and loading ----
  /** Every parameter and buffer by qualified name (shared tensors under each of their names). */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [prefix, m] of this.namedModules()) {
      for (const [n, t] of [...m.ownTensors(PARAMETERS), ...m.ownTensors(BUFFERS)]) {
        out[prefix ? `${prefix}.${n}` : n] = {
          shape: [...t.shape],
          dtype: t.dtype,
          data: t.values(),
        };
      }
    }
    return out;
  }
  /**
   * Copies values from a state dict into this module's tensors, with PyTorch's load_state_dict
   * errors. Entries may be Tensors (as `load()` returns them) or plain `{shape, dtype, data}`; a
   * value of another dtype is converted, as PyTorch's copy_. Everything is checked before anything
   * is written, so a failed load changes nothing. With `strict: false`, missing and unexpected keys
   * are not errors; they are returned either way.
   */
  loadStateDict(
    state: StateDict | Record<string, Tensor | TensorData>,
    opts?: { strict?: boolean },
  ): { missingKeys: string[]; unexpectedKeys: string[] } {
    const s = arg.options(opts, "load_state_dict", ["strict"]).strict;
    const strict = s === undefined ? true : arg.bool(s, "load_state_dict", "strict");
    if (
      state === null ||
      typeof state !== "object" ||
      Array.isArray(state) ||
      Tensor.isTensor(state)
    )
      throw new TypeError(
        `load_state_dict(): expected a state dict (an object of Tensors or {shape, dtype, data}), got ${arg.typeName(state)}`,
      );
    const own = new Map<string, Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [n, t] of [...m.ownTensors(PARAMETERS), ...m.ownTensors(BUFFERS)])
        own.set(prefix ? `${prefix}.${n}` : n, t);
    }
    const missingKeys = [...own.keys()].filter((k) => !Object.hasOwn(state, k));
    const unexpectedKeys = Object.keys(state).filter((k) => !own.has(k));
    const errors: string[] = [];
    const loads: [Tensor, Tensor][] = [];
    for (const [k, t] of own) {
      if (!Object.hasOwn(state, k)) continue;
      const src = sourceTensor((state as Record<string, unknown>)[k], k, t);
      if (typeof src === "string") errors.push(src);
      else loads.push([t, src]);
    }
    if (strict) {
      if (unexpectedKeys.length)
        errors.unshift(
          `Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}. `,
        );
      if (missingKeys.length)
        errors.unshift(
          `Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(", ")}. `,
        );
    }
    if (errors.length)
      throw new Error(
        `Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join("\n\t")}`,
      );
    noGrad(() => {
      for (const [t, src] of loads) t.copy_(src);
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- printing, as PyTorch's Module.__repr__ ----
  /** The module's own settings for printing (`in_features=2, ...`). */
  extraRepr(): string {
    return "";
  }
  /** The module tree printed as PyTorch prints it. */
  toString(): string {
    const lines = this.extraRepr() ? this.extraRepr().split("\n") : [];
    for (const [n, m] of this.namedChildren()) {
      const [first, ...rest] = String(m).split("\n");
      lines.push([`(${n}): ${first}`, ...rest.map((l) => `  ${l}`)].join("\n"));
    }
    const name = this.constructor.name;
    if (!lines.length) return `${name}()`;
    if (lines.length === 1 && !this.namedChildren().length) return `${name}(${lines[0]})`;
    return `${name}(\n${lines.map((l) => `  ${l}`).join("\n")}\n)`;
  }
  [Symbol.for("nodejs.util.inspect.custom")]() {
    return this.toString();
  }
}
