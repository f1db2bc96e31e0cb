// What one optimizer algorithm is, as data for the shared machinery in optimizer.ts: its options
// (with defaults and PyTorch's range checks), the state each parameter carries, and the update of
// one parameter written with tensor ops. The machinery batches every parameter into one compiled
// call; a rule never sees more than one parameter.
import * as arg from "../../runtime/args";
import type { Tensor } from "../../runtime/tensor";

/** A pair of decay rates, as PyTorch's `betas`. */
export type Betas = [number, number];
/** One option's value after checking. */
export type OptionValue = number | boolean | Betas;
/** A parameter group's options, checked and converted (a fresh prototype-free record). */
export type Hyper = Record<string, OptionValue>;

/** One option of an optimizer: its kind, default (none: required), and PyTorch's range check. */
export interface OptionSpec {
  name: string;
  kind: "number" | "bool" | "betas";
  default?: OptionValue;
  /** The error message when the value is out of range (checked after conversion). */
  invalid?: (v: never) => string | undefined;
}

/** A parameter's state: host numbers (step counts) and state tensors, by camelCase name. */
export type ParamState = Record<string, Tensor | number>;

/**
 * One optimizer's algorithm. Names of flags, scalars and state tensors are camelCase; the
 * machinery passes `scalars` as 0-d tensors of the parameter's dtype (call-time values: a changed
 * lr or momentum never recompiles) and `flags` as numbers (structure: a change recompiles once).
 */
export interface Rule {
  name: string;
  options: OptionSpec[];
  /** Checks between options (SGD's nesterov rule), after each option's own check. */
  check?(h: Hyper): void;
  /** Host numbers each parameter starts with (its step count...), advanced by `advance`. */
  host: Record<string, number>;
  /** The host numbers after one more step (PyTorch increments the step before using it). */
  advance(h: Hyper, s: ParamState): Record<string, number>;
  /** Whether a parameter's state starts when it joins (Adagrad), not at its first step. */
  eagerState?: boolean;
  /** The names of `flags`' switches, in the order they are passed. */
  flagNames: readonly string[];
  /** Structural switches for a parameter in this state. */
  flags(h: Hyper, s: ParamState): Record<string, boolean>;
  /** The state tensors a parameter needs under these flags. */
  stateNames(f: Record<string, boolean>): string[];
  /** The value a state tensor starts at (default 0). */
  init?(h: Hyper, name: string): number;
  /** The names of `scalars`' values, in the order they are passed. */
  scalarNames: readonly string[];
  /** The step's scalars from the group's options and the advanced host numbers (Python doubles). */
  scalars(h: Hyper, next: Record<string, number>): Record<string, number>;
  /** Updates one parameter in place from its gradient (sub_, mul_, copy_ under noGrad). */
  update(u: UpdateArgs): void;
}

/** What `Rule.update` gets for one parameter. */
export interface UpdateArgs {
  p: Tensor;
  g: Tensor;
  /** State tensors by name (updated in place). */
  s: Record<string, Tensor>;
  /** The step's scalars as 0-d tensors of p's dtype. */
  k: Record<string, Tensor>;
  f: Record<string, boolean>;
}

/** `advance` of the optimizers whose only host number is the step count. */
export const stepOnce = (_: Hyper, s: ParamState) => ({ step: (s.step as number) + 1 });

// Python's str() of a float, for PyTorch's messages: 1 -> "1.0"
export const pyFloat = (v: number) => (Number.isInteger(v) ? v.toFixed(1) : String(v));

/** The gradient's sign flipped for `maximize`, and the L2 penalty added (PyTorch's order). */
export function decayed(u: UpdateArgs): Tensor {
  let g = u.f.maximize ? u.g.neg() : u.g;
  if (u.f.weightDecay) g = g.add(u.p.mul(u.k.weightDecay));
  return g;
}
/** m = beta * m + (1 - beta) * x, in place (PyTorch's mul_(beta).add_(x, alpha=1 - beta)). */
export function ema(m: Tensor, x: Tensor, beta: Tensor, oneMinusBeta: Tensor): void {
  m.mul_(beta).add_(x.mul(oneMinusBeta));
}

// ---- option specs shared by the rules, with PyTorch's messages ----
const atLeast0 =
  (what: string, fmt: (v: number) => string = String) =>
  (v: number) =>
    v >= 0 ? undefined : `Invalid ${what}: ${fmt(v)}`;
export const lrOption = (dflt?: number): OptionSpec => ({
  name: "lr",
  kind: "number",
  default: dflt,
  invalid: atLeast0("learning rate"),
});
export const epsOption = (dflt: number): OptionSpec => ({
  name: "eps",
  kind: "number",
  default: dflt,
  invalid: atLeast0("epsilon value", pyFloat),
});
export const weightDecayOption = (dflt = 0): OptionSpec => ({
  name: "weightDecay",
  kind: "number",
  default: dflt,
  invalid: atLeast0("weight_decay value"),
});
export const numberOption = (name: string, dflt: number, message: string): OptionSpec => ({
  name,
  kind: "number",
  default: dflt,
  invalid: atLeast0(message),
});
export const flagOption = (name: string): OptionSpec => ({ name, kind: "bool", default: false });
export const betasOption = (dflt: Betas): OptionSpec => ({
  name: "betas",
  kind: "betas",
  default: dflt,
  invalid: (b: Betas) =>
    [0, 1]
      .map((i) =>
        b[i] >= 0 && b[i] < 1
          ? undefined
          : `Invalid beta parameter at index ${i}: ${pyFloat(b[i])}`,
      )
      .find((m) => m !== undefined),
});

/** One option's value converted (a number, a bool or a fresh pair) and range-checked. */
export function convertOption(spec: OptionSpec, v: unknown, fn: string, name: string): OptionValue {
  let out: OptionValue;
  if (spec.kind === "number") out = arg.number(v, fn, name);
  else if (spec.kind === "bool") out = arg.bool(v, fn, name);
  else {
    const b = Array.isArray(v) ? [...v] : null;
    if (b?.length !== 2)
      throw new TypeError(`${fn}(): ${name} must be a pair of numbers, not ${arg.typeName(v)}`);
    out = [arg.number(b[0], fn, `${name}[0]`), arg.number(b[1], fn, `${name}[1]`)];
  }
  const message = spec.invalid?.(out as never);
  if (message !== undefined) throw new Error(message);
  return out;
}
