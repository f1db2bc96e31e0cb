// The base of the epoch schedulers (PyTorch's _LRScheduler) and the argument helpers they share.
// A scheduler's step() writes new lrs into the optimizer's paramGroups, which the next optimizer
// step reads at call time (no recompiles).
import * as arg from "../../../runtime/args";
import { Optimizer } from "../optimizer";

export type AnyOptimizer = Optimizer<object>;
export type Options = Record<string, unknown>;
export interface Group {
  lr: number;
  initialLr?: number;
  maxLr?: number;
  minLr?: number;
  maxMomentum?: number;
  baseMomentum?: number;
  momentum?: number;
  betas?: [number, number];
}
/** A scheduler's state: plain numbers, lists and strings (JSON-safe except infinities). */
export type SchedulerState = Record<string, unknown>;

export const groupsOf = (o: AnyOptimizer) => o.paramGroups as unknown as Group[];
export function checkOptimizer(o: unknown): AnyOptimizer {
  if (!(o instanceof Optimizer)) throw new TypeError(`${arg.typeName(o)} is not an Optimizer`);
  return o as AnyOptimizer;
}
export const num = (v: unknown, fn: string, name: string, dflt?: number): number => {
  if (v === undefined && dflt !== undefined) return dflt;
  if (v === undefined) throw new TypeError(`${fn}(): missing required option '${name}'`);
  return arg.number(v, fn, name);
};
export const positiveInt = (v: unknown, fn: string, name: string, dflt?: number): number => {
  const n = v === undefined && dflt !== undefined ? dflt : arg.int(v, fn, name);
  if (n <= 0) throw new Error(`${fn}(): ${name} must be a positive integer, got ${n}`);
  return n;
};
export const lastEpochOf = (v: unknown, fn: string): number => {
  const n = v === undefined ? -1 : arg.int(v, fn, "lastEpoch");
  if (n < -1)
    throw new Error(`${fn}(): lastEpoch must be -1 (a new schedule) or a step count, got ${n}`);
  return n;
};
export const numberList = (v: unknown, fn: string, name: string): number[] => {
  if (!Array.isArray(v))
    throw new TypeError(`${fn}(): ${name} must be a list, not ${arg.typeName(v)}`);
  return v.map((x, i) => arg.number(x, fn, `${name}[${i}]`));
};
// bisect.bisect_right
export const bisectRight = (xs: number[], x: number) => xs.filter((m) => m <= x).length;

/**
 * Base of the epoch-based schedulers (PyTorch's _LRScheduler): `step()` advances `lastEpoch` and
 * sets every group's lr; `getLastLr()` the lrs it set last.
 */
export abstract class LRScheduler<S extends SchedulerState = SchedulerState> {
  readonly optimizer: AnyOptimizer;
  /** Each group's initial lr (`initialLr`, which the scheduler records in the group). */
  baseLrs: number[];
  /** The index of the current epoch (step); -1 before the initial step. */
  lastEpoch: number;
  /** Steps taken, the initial one included (PyTorch's _step_count). */
  stepCount = 0;
  protected lastLr: number[] = [];
  protected settings: S;

  protected constructor(
    optimizer: unknown,
    options: unknown,
    keys: readonly string[],
    private readonly parse: (o: Options, fn: string) => S,
  ) {
    const opt = checkOptimizer(optimizer);
    const fn = this.constructor.name;
    const o = arg.options(options, fn, [...keys, "lastEpoch"]) as Options;
    const lastEpoch = lastEpochOf(o.lastEpoch, fn);
    this.optimizer = opt;
    const settings = parse(o, fn);
    const groups = groupsOf(opt);
    if (lastEpoch !== -1)
      groups.forEach((g, i) => {
        if (g.initialLr === undefined)
          throw new Error(
            `param 'initialLr' is not specified in paramGroups[${i}] when resuming an optimizer`,
          );
      });
    this.settings = settings;
    this.prepare(groups, lastEpoch);
    for (const g of groups) g.initialLr ??= g.lr;
    this.baseLrs = groups.map((g) => g.initialLr as number);
    this.lastEpoch = lastEpoch;
  }
  /** Group settings a scheduler records before its first step (OneCycleLR's). */
  protected prepare(_groups: Group[], _lastEpoch: number): void {}
  // PyTorch's _initial_step: called at the end of each subclass constructor
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** The lrs of `epoch` from the groups' current lrs (PyTorch's recursive get_lr). */
  protected abstract lrs(epoch: number, stepCount: number): number[];
  /** The lrs of `epoch` from the base lrs alone (PyTorch's _get_closed_form_lr), where defined. */
  protected closedForm(epoch: number, stepCount: number): number[] {
    return this.lrs(epoch, stepCount);
  }
  /** Momentum (or beta1) per group to set with the lrs (OneCycleLR). */
  protected momenta(_epoch: number): number[] | null {
    return null;
  }

  /** Advances one epoch and sets each group's lr. */
  step(...args: never[]): void {
    // PyTorch's deprecated step(epoch) would be silently ignored here: refused instead
    if (args.length)
      throw new TypeError(
        `${this.constructor.name}.step() takes no epoch (deprecated in PyTorch); use stepTo(epoch) for the closed-form lrs of an epoch`,
      );
    this.apply(this.lastEpoch + 1, false);
  }
  /**
   * Sets the lrs of a given epoch from the closed form (PyTorch's deprecated `step(epoch)`, which
   * SequentialLR uses at its milestones).
   */
  stepTo(epoch: number): void {
    this.apply(arg.int(epoch, `${this.constructor.name}.stepTo`, "epoch"), true);
  }
  // computed completely before anything is written: a refused step changes nothing
  private apply(epoch: number, closed: boolean): void {
    const count = this.stepCount + 1;
    const lrs = closed ? this.closedForm(epoch, count) : this.lrs(epoch, count);
    const momenta = this.momenta(epoch);
    const groups = groupsOf(this.optimizer);
    // PyTorch zips the groups with the values: a group added after the scheduler was made has no
    // base lr, so the closed forms give it nothing and it keeps its own lr (never undefined)
    groups.slice(0, lrs.length).forEach((g, i) => {
      g.lr = lrs[i];
      if (momenta) {
        if (g.betas) g.betas = [momenta[i], g.betas[1]];
        else g.momentum = momenta[i];
      }
    });
    this.stepCount = count;
    this.lastEpoch = epoch;
    this.lastLr = groups.map((g) => g.lr);
  }
  /** The lrs set by the last step. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }
  protected currentLrs(): number[] {
    return groupsOf(this.optimizer).map((g) => g.lr);
  }

  /** The scheduler's state: its settings, baseLrs, lastEpoch, stepCount, lastLr. */
  stateDict(): SchedulerState {
    const own = Object.entries(this.settings).filter(([, v]) => typeof v !== "function");
    return {
      ...Object.fromEntries(own.map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])),
      baseLrs: [...this.baseLrs],
      lastEpoch: this.lastEpoch,
      stepCount: this.stepCount,
      lastLr: [...this.lastLr],
    };
  }
  /** Restores a state from `stateDict()`, checked completely before anything changes. */
  loadStateDict(state: SchedulerState): void {
    const fn = `${this.constructor.name}.loadStateDict`;
    const saved = Object.keys(this.stateDict());
    const o = arg.options(state, fn, saved) as Record<string, unknown>;
    for (const k of saved) if (o[k] === undefined) throw new Error(`${fn}(): missing "${k}"`);
    const n = this.baseLrs.length;
    const lists = (["baseLrs", "lastLr"] as const).map((k) => {
      const l = numberList(o[k], fn, k);
      if (l.length !== n) throw new Error(`${fn}(): ${k} has ${l.length} values for ${n} groups`);
      return l;
    });
    const lastEpoch = arg.int(o.lastEpoch, fn, "lastEpoch"),
      stepCount = arg.int(o.stepCount, fn, "stepCount");
    const settings = this.loadSettings(o, fn);
    [this.baseLrs, this.lastLr] = lists;
    this.lastEpoch = lastEpoch;
    this.stepCount = stepCount;
    this.settings = settings;
  }
  /** Settings from a saved state, checked as the constructor checks them. */
  protected loadSettings(o: Options, fn: string): S {
    return this.parse(o, fn);
  }
}
