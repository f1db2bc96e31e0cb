// An optimizer's state dict in PyTorch's structure ({ state: { index: {...} }, param_groups }),
// written with jitgrad's camelCase names (paramGroups, weightDecay, expAvg...), and the checks of
// one being loaded: everything is checked and converted here, before the optimizer changes.
import { fmtShape } from "../../ir/shape";
import * as arg from "../../runtime/args";
import { noGrad } from "../../runtime/autograd";
import { tensor } from "../../runtime/create";
import { Tensor } from "../../runtime/tensor";
import type { TensorData } from "../module";
import type { ParamState, Rule } from "./rule";

/** A saved state tensor: a Tensor or plain data. */
export type SavedTensor = Tensor | TensorData;
/** An optimizer's state dict (see `Optimizer.stateDict`). */
export interface SavedState {
  /** Each parameter's state by its index (counted across groups in order). */
  state: Record<string, Record<string, SavedTensor | number | null>>;
  /** Each group's options and the indices of its parameters. */
  paramGroups: ({ params: number[] } & Record<string, unknown>)[];
}

/** Values the lr schedulers keep in a group (PyTorch's initial_lr, max_lr, ...), saved with it. */
export const SCHEDULER_KEYS = ["initialLr", "maxLr", "minLr", "maxMomentum", "baseMomentum"];

/** The state dict of these groups and states (tensors copied, options copied). */
export function savedState(
  groups: readonly { readonly params: readonly Tensor[] }[],
  states: Map<Tensor, ParamState>,
): SavedState {
  const out: SavedState = { state: {}, paramGroups: [] };
  let index = 0;
  for (const g of groups) {
    const ids: number[] = [];
    for (const p of g.params) {
      const id = index++,
        s = states.get(p);
      ids.push(id);
      if (s)
        out.state[id] = Object.fromEntries(
          Object.entries(s).map(([k, v]) => [k, v instanceof Tensor ? noGrad(() => v.clone()) : v]),
        );
    }
    const options = Object.entries(g).filter(([k]) => k !== "params");
    out.paramGroups.push({
      ...Object.fromEntries(options.map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])),
      params: ids,
    });
  }
  return out;
}

/** A saved group's option values (scheduler values and params left out). */
export function groupOptions(g: Record<string, unknown>, rule: Rule): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const spec of rule.options) if (g[spec.name] !== undefined) out[spec.name] = g[spec.name];
  return out;
}

/**
 * A state dict to load, checked against the optimizer's groups: its groups (own keys only) and each
 * parameter's new state (tensors converted to the parameter's dtype, in fresh storage).
 */
export function checkedState(
  sd: unknown,
  groups: readonly { readonly params: readonly Tensor[] }[],
  rule: Rule,
  fn: string,
): { groups: Record<string, unknown>[]; state: Map<Tensor, ParamState> } {
  if (sd === null || typeof sd !== "object" || Array.isArray(sd) || Tensor.isTensor(sd))
    throw new TypeError(
      `${fn}(): expected a state dict ({ state, paramGroups }), got ${arg.typeName(sd)}`,
    );
  const o = arg.options(sd, fn, ["state", "paramGroups"]);
  const saved = o.paramGroups;
  if (!Array.isArray(saved))
    throw new TypeError(`${fn}(): paramGroups must be a list, not ${arg.typeName(saved)}`);
  if (saved.length !== groups.length)
    throw new Error("loaded state dict has a different number of parameter groups");
  const optionNames = rule.options.map((s) => s.name);
  const savedGroups = saved.map(
    (g, i) =>
      arg.options(g, `${fn}: paramGroups[${i}]`, [
        "params",
        ...optionNames,
        ...SCHEDULER_KEYS,
      ]) as Record<string, unknown>,
  );
  const ids = new Map<string, Tensor>();
  savedGroups.forEach((g, i) => {
    if (!Array.isArray(g.params))
      throw new TypeError(
        `${fn}(): paramGroups[${i}].params must be a list of indices, not ${arg.typeName(g.params)}`,
      );
    if (g.params.length !== groups[i].params.length)
      throw new Error(
        "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
      );
    g.params.forEach((id: unknown, j: number) => {
      const k = String(arg.int(id, fn, `paramGroups[${i}].params[${j}]`));
      if (ids.has(k)) throw new Error(`${fn}(): parameter index ${k} appears twice in paramGroups`);
      ids.set(k, groups[i].params[j]);
    });
  });
  const st = o.state === undefined ? {} : o.state;
  if (st === null || typeof st !== "object" || Array.isArray(st) || Tensor.isTensor(st))
    throw new TypeError(`${fn}(): state must be an object, not ${arg.typeName(st)}`);
  const state = new Map<Tensor, ParamState>();
  const hostNames = Object.keys(rule.host);
  const allFlags = Object.fromEntries(rule.flagNames.map((n) => [n, true]));
  const tensorNames = rule.stateNames(allFlags);
  for (const [k, entry] of Object.entries(st as Record<string, unknown>)) {
    const p = ids.get(k);
    if (!p) throw new Error(`${fn}(): state for parameter ${k}, which is in no parameter group`);
    const e = arg.options(entry, `${fn}: state[${k}]`, [...hostNames, ...tensorNames]) as Record<
      string,
      unknown
    >;
    const s: ParamState = { ...rule.host };
    for (const n of hostNames)
      if (e[n] !== undefined) s[n] = hostNumber(e[n], n === "step", fn, `state[${k}].${n}`);
    for (const n of tensorNames) {
      if (e[n] === undefined || e[n] === null) continue;
      s[n] = stateTensor(e[n], p, fn, `state[${k}].${n}`);
    }
    state.set(p, s);
  }
  return { groups: savedGroups, state };
}

// A step count or NAdam's mu product: a number, or a 0-d tensor as PyTorch 1.13 saves them. The
// bias corrections divide by 1 - beta^step, so a step that is not a count (NaN, -1, 1.5) would
// turn every parameter into NaN or Infinity at the next step: refused, as is a non-finite product.
function hostNumber(v: unknown, isStep: boolean, fn: string, name: string): number {
  let x: number;
  if (Tensor.isTensor(v)) {
    if (v.numel() !== 1) throw new Error(`${fn}(): ${name} must hold one number, not ${v.numel()}`);
    x = Number(v.item());
  } else x = arg.number(v, fn, name);
  if (isStep ? !(Number.isSafeInteger(x) && x >= 0) : !Number.isFinite(x))
    throw new Error(
      `${fn}(): ${name} must be ${isStep ? "a step count (an integer >= 0)" : "a finite number"}, not ${x}`,
    );
  return x;
}

// A state tensor shaped like its parameter, converted to the parameter's dtype, in new storage
function stateTensor(v: unknown, p: Tensor, fn: string, name: string): Tensor {
  let t: Tensor;
  if (Tensor.isTensor(v)) t = v;
  else {
    const d = v as Partial<TensorData>;
    if (v === null || typeof v !== "object" || !Array.isArray(d.shape) || !Array.isArray(d.data))
      throw new TypeError(
        `${fn}(): ${name} must be a Tensor or {shape, dtype, data}, not ${arg.typeName(v)}`,
      );
    try {
      t = tensor(d.data, { shape: d.shape, dtype: d.dtype ?? p.dtype });
    } catch (e) {
      throw new Error(`${fn}(): ${name}: ${(e as Error).message}`);
    }
  }
  if (t.shape.join() !== p.shape.join())
    throw new Error(
      `${fn}(): ${name} has shape ${fmtShape(t.shape)}, but its parameter has shape ${fmtShape(p.shape)}`,
    );
  return noGrad(() => t.to(p.dtype).clone());
}
