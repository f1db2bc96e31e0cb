// The optimizers' shared machinery (PyTorch's torch.optim.Optimizer): parameter groups with their
// own options, per-parameter state, and a step that updates every parameter of every group with
// ONE compiled call (like PyTorch's foreach/fused optimizers). The call takes the parameters, their
// grads, their state tensors and the step's scalars as arguments and updates them in place under
// noGrad; compile() functionalizes those updates into fused loop kernels and writes them back.
//
// Hyper-parameters are passed at call time, not baked in: every number the update uses (lr,
// momentum, betas, eps, weight decay, bias corrections) is a 0-d tensor argument of the parameter's
// dtype, read from `paramGroups` at each step, so a scheduler changing lr or momentum every step
// never recompiles. Only structure is baked (which terms exist: weight decay on/off, nesterov,
// amsgrad, a first momentum step...): those are number arguments, part of the compiled function's
// signature, so a change recompiles once.
import { type Compiled, compile, type Explanation } from "../../compiler/compile";
import { afterCall, beforeCall, guardEveryCall, tracingStep } from "../../compiler/step";
import { torchTypeName } from "../../ir/dtype";
import { fmtShape } from "../../ir/shape";
import * as arg from "../../runtime/args";
import { enableGrad, noGrad } from "../../runtime/autograd";
import { full } from "../../runtime/create";
import { activeTrace } from "../../runtime/dispatch";
import { CompileError } from "../../runtime/errors";
import { Tensor } from "../../runtime/tensor";
import { convertOption, type Hyper, type OptionValue, type ParamState, type Rule } from "./rule";
import {
  checkedState,
  groupOptions,
  type SavedState,
  SCHEDULER_KEYS,
  savedState,
} from "./state-dict";

/** Options common to the optimizers. */
export interface OptimizerOptions {
  /** false: run the same update op by op (eager), for comparison and debugging. Default true. */
  compiled?: boolean;
}
/** Values the lr schedulers keep in a group (PyTorch's initial_lr, max_lr, ...). */
export interface SchedulerFields {
  initialLr?: number;
  maxLr?: number;
  minLr?: number;
  maxMomentum?: number;
  baseMomentum?: number;
}
/** A parameter group: its parameters (fixed) and its options (read at every step; writable). */
export type ParamGroup<G> = G & SchedulerFields & { readonly params: readonly Tensor[] };
/** A group given to a constructor or `addParamGroup`: parameters and options overriding defaults. */
export type ParamGroupInput<G> = Partial<G> &
  SchedulerFields & { params: Tensor | Iterable<Tensor> };
/** What an optimizer is given: parameters, or groups of parameters with their own options. */
export type Params<G> = Iterable<Tensor> | Iterable<ParamGroupInput<G>>;

type Arg = Tensor | number;
interface Item {
  p: Tensor;
  state: ParamState;
  next: Record<string, number>;
  fresh: Record<string, Tensor>;
}
interface Bucket {
  gi: number; // its group
  h: Hyper;
  f: Record<string, boolean>;
  items: Item[];
  k: Tensor[]; // its scalars, as passed
}
interface Plan {
  args: Arg[];
  buckets: Bucket[];
  commit: () => void;
}

/**
 * Base of the optimizers: parameter groups, per-parameter state, `step()` as one compiled fused
 * update of all parameters, `stateDict()`/`loadStateDict()` in PyTorch's structure.
 */
export class Optimizer<G extends object = Record<string, OptionValue>> {
  /** The parameter groups; options may be changed between steps (checked at each step). */
  readonly paramGroups: ParamGroup<G>[] = [];
  /** Each parameter's state (step count, moment estimates...), once it has taken a step. */
  readonly state = new Map<Tensor, ParamState>();
  /** The options a group gets when it does not give its own (PyTorch's `defaults`). */
  readonly defaults: Readonly<Partial<G>>;
  /** The number of steps taken. */
  stepCount = 0;
  private readonly compiledUpdate: Compiled<Arg[], Tensor[]>;
  private readonly update: (...args: Arg[]) => Tensor[];
  private readonly compiled: boolean;

  constructor(
    params: Params<G>,
    options: unknown,
    readonly rule: Rule,
  ) {
    const name = rule.name;
    const o = arg.options(options, name, [...rule.options.map((s) => s.name), "compiled"]);
    const defaults: Record<string, OptionValue> = Object.create(null);
    for (const spec of rule.options) {
      const v = o[spec.name as keyof typeof o];
      const d = v === undefined ? spec.default : convertOption(spec, v, name, spec.name);
      if (d !== undefined) defaults[spec.name] = Array.isArray(d) ? [d[0], d[1]] : d;
    }
    if (rule.options.every((s) => s.name === "lr" || defaults[s.name] !== undefined))
      rule.check?.(defaults);
    this.compiled = o.compiled === undefined ? true : arg.bool(o.compiled, name, "compiled");
    this.defaults = defaults as Partial<G>;
    const iterable =
      params !== null &&
      typeof params === "object" &&
      typeof (params as Partial<Iterable<unknown>>)[Symbol.iterator] === "function";
    if (Tensor.isTensor(params) || !iterable) {
      throw new TypeError(
        `params argument given to the optimizer should be an iterable of Tensors or dicts, but got ${Tensor.isTensor(params) ? torchTypeName[params.dtype] : arg.typeName(params)}`,
      );
    }
    const list: unknown[] = [...params];
    if (list.length === 0) throw new Error("optimizer got an empty parameter list");
    const groups = isGroup(list[0]) ? list : [{ params: list }];
    for (const g of groups) this.addParamGroup(g as ParamGroupInput<G>);
    this.update = fusedUpdate(rule);
    this.compiledUpdate = compile(this.update, { cacheLimit: 16 });
  }

  /** Every parameter of every group, in order (the indices of `stateDict()`). */
  get params(): Tensor[] {
    return this.paramGroups.flatMap((g) => [...g.params]);
  }
  /** The first group's learning rate; setting it sets every group's. */
  declare lr: number;
  /** Calls and compilations of the compiled update (one compile per structure signature). */
  get stats() {
    return this.compiledUpdate.stats;
  }

  /**
   * Adds a group of parameters with its own options (the others from `defaults`), as PyTorch's
   * add_param_group: checked completely before it is added.
   */
  addParamGroup(group: ParamGroupInput<G>): void {
    const name = this.rule.name,
      fn = `${name}.addParamGroup`;
    if (!isGroup(group))
      throw new TypeError(`param group must be a dict, not ${arg.typeName(group)}`);
    const o = arg.options(group, fn, [
      "params",
      ...this.rule.options.map((s) => s.name),
      ...SCHEDULER_KEYS,
    ]) as Record<string, unknown>;
    const params = paramList(o.params);
    const taken = new Set(this.params);
    if (new Set(params).size !== params.length)
      throw new Error("optimizer contains a parameter group with duplicate parameters");
    if (params.some((p) => taken.has(p)))
      throw new Error("some parameters appear in more than one parameter group");
    const h = this.hyper(o, fn, "");
    const extra: Record<string, number> = {};
    for (const k of SCHEDULER_KEYS) if (o[k] !== undefined) extra[k] = arg.number(o[k], fn, k);
    if (this.compiled) refuseOverlaps([...this.params, ...params]);
    const added = Object.assign({}, h, extra, { params: Object.freeze(params) });
    this.paramGroups.push(added as unknown as ParamGroup<G>);
    if (this.rule.eagerState)
      for (const p of params) {
        const s: ParamState = { ...this.rule.host };
        for (const n of this.rule.stateNames(this.rule.flags(h, s))) s[n] = this.newTensor(h, p, n);
        this.state.set(p, s);
      }
  }

  // A group's options converted and checked (PyTorch's messages): given values, else the defaults
  // when a group is added or loaded (PyTorch's setdefault). At a step there is no fallback: PyTorch
  // reads group['lr'] then, so a group whose lr was deleted or set to undefined must be an error,
  // not a step with the default lr.
  private hyper(o: Record<string, unknown>, fn: string, prefix: string, fallback = true): Hyper {
    const h: Hyper = Object.create(null);
    for (const spec of this.rule.options) {
      const given = o[spec.name];
      const v = given === undefined && fallback ? this.defaults[spec.name as keyof G] : given;
      if (v === undefined)
        throw new Error(
          fallback
            ? `parameter group didn't specify a value of required optimization parameter ${spec.name}`
            : `${fn}(): ${prefix}${spec.name} is undefined; a group needs a value for each option`,
        );
      h[spec.name] = convertOption(spec, v, fn, `${prefix}${spec.name}`);
    }
    this.rule.check?.(h);
    return h;
  }
  private groupHyper(i: number, fn: string): Hyper {
    const g = this.paramGroups[i] as unknown as Record<string, unknown>;
    // a key the optimizer does not read (weight_decay written for weightDecay, a typo) would be
    // ignored silently: refused, as addParamGroup refuses it
    const known = ["params", ...this.rule.options.map((s) => s.name), ...SCHEDULER_KEYS];
    const own = arg.options(g, `${fn}: paramGroups[${i}]`, known) as Record<string, unknown>;
    delete own.params;
    return this.hyper(own, fn, `paramGroups[${i}].`, false);
  }
  private newTensor(h: Hyper, p: Tensor, name: string): Tensor {
    return full(p.shape, this.rule.init?.(h, name) ?? 0, { dtype: p.dtype });
  }

  /**
   * Sets every parameter's grad to null (PyTorch 2's default, set_to_none=True), or with
   * `setToNone` false fills the existing grads with zeros in place (PyTorch 1.13's default).
   */
  zeroGrad(setToNone = true): void {
    const none = arg.bool(setToNone, `${this.rule.name}.zeroGrad`, "setToNone", 1);
    for (const p of this.params) {
      if (none || !p.grad) p.grad = null;
      else {
        if (p.grad.requiresGrad) p.grad = p.grad.detach(); // PyTorch's grad.detach_()
        const g = p.grad;
        noGrad(() => g.zero_());
      }
    }
  }

  // Everything one step needs, checked before anything changes: the call's arguments (buckets of
  // parameters sharing a group, dtype, structure and step scalars) and the state to keep after it
  private plan(fn: string): Plan {
    const rule = this.rule,
      hypers = this.paramGroups.map((_, i) => this.groupHyper(i, fn));
    const buckets = new Map<string, Bucket>();
    let index = 0;
    this.paramGroups.forEach((group, gi) => {
      const h = hypers[gi];
      for (const p of group.params) {
        const i = index++;
        if (!p.grad) continue;
        checkGrad(p, i);
        const state = this.state.get(p) ?? { ...rule.host };
        const f = rule.flags(h, state),
          next = rule.advance(h, state);
        const fresh: Record<string, Tensor> = {};
        for (const n of rule.stateNames(f))
          if (!(state[n] instanceof Tensor)) fresh[n] = this.newTensor(h, p, n);
        const key = JSON.stringify([gi, p.dtype, rule.flagNames.map((n) => f[n]), next]);
        const b = buckets.get(key) ?? { gi, h, f, items: [], k: [] };
        b.items.push({ p, state, next, fresh });
        buckets.set(key, b);
      }
    });
    const all = [...buckets.values()];
    const layout: number[] = [all.length],
      tensors: Tensor[] = [];
    for (const b of all) {
      const { h, f, items } = b;
      layout.push(items.length, ...rule.flagNames.map((n) => (f[n] ? 1 : 0)));
      const k = rule.scalars(h, items[0].next),
        dtype = items[0].p.dtype;
      for (const n of rule.scalarNames) b.k.push(full([], k[n], { dtype }));
      tensors.push(...b.k);
      for (const { p, state, fresh } of items) {
        tensors.push(p, p.grad!);
        for (const n of rule.stateNames(f)) tensors.push((fresh[n] ?? state[n]) as Tensor);
      }
    }
    return {
      args: all.length ? [...layout, ...tensors] : [],
      buckets: all,
      commit: () => {
        for (const b of all)
          for (const { p, state, next, fresh } of b.items)
            this.state.set(p, { ...state, ...next, ...fresh });
      },
    };
  }

  /**
   * Updates every parameter that has a gradient: one compiled call for all groups. A `closure`
   * (PyTorch's: it recomputes the loss, calling backward) runs first, with gradients enabled; its
   * result is returned.
   */
  step<L = undefined>(closure?: () => L): L | undefined {
    const fn = `${this.rule.name}.step`;
    if (closure !== undefined && typeof closure !== "function")
      throw new TypeError(`${fn}(): closure must be a function, not ${arg.typeName(closure)}`);
    const loss = closure === undefined ? undefined : enableGrad(closure);
    const plan = this.plan(fn),
      args = plan.args;
    if (args.length)
      noGrad(() => (this.compiled ? this.compiledUpdate(...args) : this.update(...args)));
    if (tracingStep()) this.atEveryCall(plan, fn);
    else {
      plan.commit();
      this.stepCount++;
    }
    return loss;
  }

  // ---- inside compile() (a whole training step, compiler/step.ts) ----
  // step() then runs once, while tracing. The plan's structure (buckets, flags, which state tensors)
  // is baked into the trace and guarded at every call; its scalars are refilled before every call
  // from the groups' options and the state then, so changing lr, momentum or betas never retraces
  // (as outside compile()); the step counts and new state are committed after every call.
  private atEveryCall(plan: Plan, fn: string): void {
    // a second step would need the state the first one leaves, which is only known after a call
    const trace = activeTrace()!;
    if (this.#steppedIn.has(trace))
      throw new CompileError(`${fn}(): an optimizer can step only once in a compiled function`);
    this.#steppedIn.add(trace);
    const rule = this.rule,
      buckets = plan.buckets,
      // the state tensors the trace reads: a parameter's first step creates them (zeros, read at
      // call time like the others), so they are what its state holds from the next call on
      baked = buckets.map((b) =>
        b.items.map(({ state, fresh }) => rule.stateNames(b.f).map((n) => fresh[n] ?? state[n])),
      );
    // the groups' options, converted and checked by the guard (before every call of this trace),
    // or before the call when none ran (the call that traced it)
    let hypers: Hyper[] = [],
      checked = false;
    const current = () => this.paramGroups.map((_, i) => this.groupHyper(i, fn));
    guardEveryCall(() => {
      try {
        hypers = current();
        checked = true;
      } catch {
        return false; // an invalid option: traced again, which raises the error as eager does
      }
      return buckets.every((b, bi) => {
        const h = hypers[b.gi],
          first = JSON.stringify(rule.advance(h, this.#stateOf(b.items[0].p)));
        return b.items.every(({ p }, i) => {
          const s = this.#stateOf(p),
            f = rule.flags(h, s),
            names = rule.stateNames(f);
          return (
            rule.flagNames.every((n) => f[n] === b.f[n]) &&
            names.length === baked[bi][i].length &&
            names.every((n, j) => s[n] === baked[bi][i][j]) &&
            JSON.stringify(rule.advance(h, s)) === first
          );
        });
      });
    });
    beforeCall(() => {
      if (!checked) hypers = current();
      checked = false;
      for (const b of buckets) {
        const h = hypers[b.gi],
          k = rule.scalars(h, rule.advance(h, this.#stateOf(b.items[0].p)));
        rule.scalarNames.forEach((n, j) => {
          b.k[j].storage![0] = k[n];
        });
      }
    });
    afterCall(() => {
      for (const b of buckets) {
        const h = hypers[b.gi];
        for (const { p, fresh } of b.items) {
          const state = this.#stateOf(p);
          this.state.set(p, { ...state, ...rule.advance(h, state), ...fresh });
        }
      }
      this.stepCount++;
    });
  }
  #steppedIn = new WeakSet<object>(); // the traces in which this optimizer stepped
  #stateOf(p: Tensor): ParamState {
    return this.state.get(p) ?? { ...this.rule.host };
  }
  /** The compiled update the next step() would run (its IR, code and kernel counts). */
  explain(): Explanation {
    const { args } = this.plan(`${this.rule.name}.explain`);
    if (!args.length)
      throw new Error("explain(): no parameter has a gradient yet; call backward() first");
    return noGrad(() => this.compiledUpdate.explain(...args));
  }

  /**
   * The optimizer's state in PyTorch's structure, with jitgrad's camelCase names:
   * `{ state: { [paramIndex]: { step, expAvg, ... } }, paramGroups: [{ lr, ..., params: [0, 1] }] }`.
   * Parameters are numbered across groups in order; state tensors are copies; step counts are
   * numbers (PyTorch 1.13 keeps some as 0-d tensors; `loadStateDict` accepts both).
   */
  stateDict(): SavedState {
    return savedState(this.paramGroups, this.state);
  }
  /**
   * Loads a state dict from `stateDict()` (or PyTorch's, with camelCase names): the groups' options
   * and each parameter's state, cast to the parameter's dtype. Everything is checked first (group
   * count and sizes with PyTorch's errors, state names, shapes, option values), so a refused load
   * changes nothing.
   */
  loadStateDict(stateDict: SavedState): void {
    const fn = `${this.rule.name}.loadStateDict`;
    const { groups, state } = checkedState(stateDict, this.paramGroups, this.rule, fn);
    const hypers = groups.map((g, i) => ({
      h: this.hyper(groupOptions(g, this.rule), fn, `paramGroups[${i}].`),
      extra: SCHEDULER_KEYS.filter((k) => g[k] !== undefined).map(
        (k) => [k, arg.number(g[k], fn, `paramGroups[${i}].${k}`)] as const,
      ),
    }));
    this.paramGroups.forEach((group, i) => {
      const g = group as unknown as Record<string, unknown>;
      for (const k of Object.keys(g)) if (k !== "params") delete g[k];
      Object.assign(g, hypers[i].h, Object.fromEntries(hypers[i].extra));
    });
    this.state.clear();
    for (const [p, s] of state) this.state.set(p, s);
  }
}

/**
 * Options readable and writable on the optimizer itself, as jitgrad's first SGD and Adam had them:
 * the first group's value; setting one sets every group's (checked at the next step).
 */
export function groupAccessors(cls: { prototype: object }, names: string[]): void {
  for (const name of names)
    Object.defineProperty(cls.prototype, name, {
      get(this: Optimizer) {
        const v = (this.paramGroups[0] as Record<string, unknown>)[name];
        return Array.isArray(v) ? [...v] : v;
      },
      set(this: Optimizer, v: unknown) {
        for (const g of this.paramGroups)
          (g as Record<string, unknown>)[name] = Array.isArray(v) ? [...v] : v;
      },
    });
}
groupAccessors(Optimizer, ["lr"]);

// A group: a plain object (PyTorch's dict), not a tensor, a look-alike or another class instance
const isGroup = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== "object" || Tensor.isTensor(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

// A group's params: a tensor or an ordered iterable of leaf tensors that require grad
function paramList(v: unknown): Tensor[] {
  if (v instanceof Set)
    throw new TypeError(
      "optimizer parameters need to be organized in ordered collections, but the ordering of tensors in sets will change between runs. Please use a list instead.",
    );
  let list: unknown[];
  if (Tensor.isTensor(v)) list = [v];
  else if (
    v !== null &&
    typeof v === "object" &&
    typeof (v as Partial<Iterable<unknown>>)[Symbol.iterator] === "function"
  )
    list = [...(v as Iterable<unknown>)];
  else
    throw new TypeError(
      `a param group's params must be a Tensor or an iterable of Tensors, not ${arg.typeName(v)}`,
    );
  for (const p of list) {
    if (!Tensor.isTensor(p))
      throw new TypeError(
        `optimizer can only optimize Tensors, but one of the params is ${p === null || p === undefined ? "None" : arg.typeName(p)}`,
      );
    if (!p.isLeaf) throw new Error("can't optimize a non-leaf Tensor");
    // PyTorch 1.13 accepts such a tensor and silently never updates it; earlier PyTorch raised this
    if (!p.requiresGrad) throw new Error("optimizing a parameter that doesn't require gradients");
  }
  return list as Tensor[];
}

function checkGrad(p: Tensor, i: number): void {
  const g = p.grad!;
  if (g.shape.join() !== p.shape.join())
    throw new Error(
      `the gradient of parameter ${i} has shape ${fmtShape(g.shape)}, but the parameter has shape ${fmtShape(p.shape)}`,
    );
  if (g.dtype !== p.dtype)
    throw new Error(
      `the gradient of parameter ${i} is ${g.dtype}, but the parameter is ${p.dtype}`,
    );
}

// The one update of all parameters: numbers first (bucket count; per bucket its size and flags),
// then per bucket its scalars and per parameter (p, grad, state tensors). The numbers are part of
// the compiled signature; everything else is a tensor read at call time.
function fusedUpdate(rule: Rule): (...args: Arg[]) => Tensor[] {
  return (...args) => {
    let at = 0;
    const next = () => args[at++];
    const layouts = Array.from({ length: next() as number }, () => ({
      n: next() as number,
      f: Object.fromEntries(rule.flagNames.map((n) => [n, next() === 1])),
    }));
    for (const { n, f } of layouts) {
      const k = Object.fromEntries(rule.scalarNames.map((name) => [name, next() as Tensor]));
      const names = rule.stateNames(f);
      for (let i = 0; i < n; i++) {
        const p = next() as Tensor,
          g = next() as Tensor;
        const s = Object.fromEntries(names.map((name) => [name, next() as Tensor]));
        rule.update({ p, g, s, k, f });
      }
    }
    return [];
  };
}

// Parameters that share memory (overlapping views of one tensor): PyTorch's optimizers update them
// one after the other, each seeing the others' updates. jitgrad's compiled update reads every
// parameter before writing any, so its result would differ: refused ({ compiled: false } runs the
// one-by-one update and accepts them).
function refuseOverlaps(params: Tensor[]): void {
  const byStorage = new Map<unknown, number[]>();
  params.forEach((p, i) => {
    const list = byStorage.get(p.storage);
    if (list) list.push(i);
    else byStorage.set(p.storage, [i]);
  });
  const span = (p: Tensor): [number, number] => {
    if (p.numel() === 0) return [0, -1];
    return [p.offset, p.shape.reduce((o, n, d) => o + (n - 1) * p.strides[d], p.offset)];
  };
  for (const idx of byStorage.values()) {
    for (let a = 0; a < idx.length; a++) {
      for (let b = a + 1; b < idx.length; b++) {
        const [s0, e0] = span(params[idx[a]]),
          [s1, e1] = span(params[idx[b]]);
        if (s0 <= e1 && s1 <= e0)
          throw new Error(
            `parameters ${idx[a]} and ${idx[b]} share memory (overlapping views of one tensor); the compiled update reads all parameters before writing any, where PyTorch updates them one after the other: pass tensors that do not overlap, or { compiled: false } for PyTorch's one-by-one update`,
          );
      }
    }
  }
}
