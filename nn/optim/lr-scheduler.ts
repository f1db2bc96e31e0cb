// Learning-rate schedulers (torch.optim.lr_scheduler, PyTorch 1.13): each step() writes new lrs into
// the optimizer's paramGroups, which the next optimizer step reads at call time (no recompiles).
// Values follow 1.13's recursive get_lr (each lr from the group's current lr), which differs from
// the closed forms in the last bits; the closed forms are used where 1.13 uses them
// (SequentialLR's milestone steps).
import * as arg from "../../runtime/args";
import { Tensor } from "../../runtime/tensor";
import { Optimizer } from "./optimizer";

type AnyOptimizer = Optimizer<object>;
type Options = Record<string, unknown>;
interface Group {
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

const groupsOf = (o: AnyOptimizer) => o.paramGroups as unknown as Group[];
function checkOptimizer(o: unknown): AnyOptimizer {
  if (!(o instanceof Optimizer)) throw new TypeError(`${arg.typeName(o)} is not an Optimizer`);
  return o as AnyOptimizer;
}
const num = (v: unknown, fn: string, name: string, dflt?: number): number => {
  if (v === undefined && dflt !== undefined) return dflt;
  if (v === undefined) throw new TypeError(`${fn}(): missing required option '${name}'`);
  return arg.number(v, fn, name);
};
const positiveInt = (v: unknown, fn: string, name: string, dflt?: number): number => {
  const n = v === undefined && dflt !== undefined ? dflt : arg.int(v, fn, name);
  if (n <= 0) throw new Error(`${fn}(): ${name} must be a positive integer, got ${n}`);
  return n;
};
const lastEpochOf = (v: unknown, fn: string): number => {
  const n = v === undefined ? -1 : arg.int(v, fn, "lastEpoch");
  if (n < -1)
    throw new Error(`${fn}(): lastEpoch must be -1 (a new schedule) or a step count, got ${n}`);
  return n;
};
const numberList = (v: unknown, fn: string, name: string): number[] => {
  if (!Array.isArray(v))
    throw new TypeError(`${fn}(): ${name} must be a list, not ${arg.typeName(v)}`);
  return v.map((x, i) => arg.number(x, fn, `${name}[${i}]`));
};
// bisect.bisect_right
const bisectRight = (xs: number[], x: number) => xs.filter((m) => m <= x).length;

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
    groups.forEach((g, i) => {
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

// ---------------------------------------------------------------- StepLR, MultiStepLR, ...

/** Options of `StepLR`. */
export interface StepLROptions {
  /** Decay every stepSize epochs (required). */
  stepSize: number;
  /** Multiplicative decay. Default 0.1. */
  gamma?: number;
  /** The index of the last epoch when resuming. Default -1. */
  lastEpoch?: number;
}
const stepLR = (o: Options, fn: string) => ({
  stepSize: positiveInt(o.stepSize, fn, "stepSize"),
  gamma: num(o.gamma, fn, "gamma", 0.1),
});
/** Multiplies each lr by gamma every stepSize epochs. */
export class StepLR extends LRScheduler<ReturnType<typeof stepLR>> {
  constructor(optimizer: AnyOptimizer, options: StepLROptions) {
    super(optimizer, options, ["stepSize", "gamma"], stepLR);
    this.initialStep();
  }
  protected lrs(epoch: number): number[] {
    const { stepSize, gamma } = this.settings;
    const lrs = this.currentLrs();
    return epoch === 0 || epoch % stepSize !== 0 ? lrs : lrs.map((lr) => lr * gamma);
  }
  protected closedForm(epoch: number): number[] {
    const { stepSize, gamma } = this.settings;
    return this.baseLrs.map((b) => b * gamma ** Math.floor(epoch / stepSize));
  }
}

/** Options of `MultiStepLR`. */
export interface MultiStepLROptions {
  /** Epochs at which to decay (a repeated epoch decays that many times). */
  milestones: number[];
  /** Multiplicative decay. Default 0.1. */
  gamma?: number;
  /** The index of the last epoch when resuming. Default -1. */
  lastEpoch?: number;
}
const multiStepLR = (o: Options, fn: string) => {
  const milestones = arg.intList(o.milestones, fn, "milestones");
  return {
    milestones: [...milestones].sort((a, b) => a - b),
    gamma: num(o.gamma, fn, "gamma", 0.1),
  };
};
/** Multiplies each lr by gamma at each milestone. */
export class MultiStepLR extends LRScheduler<ReturnType<typeof multiStepLR>> {
  constructor(optimizer: AnyOptimizer, options: MultiStepLROptions) {
    super(optimizer, options, ["milestones", "gamma"], multiStepLR);
    this.initialStep();
  }
  protected lrs(epoch: number): number[] {
    const { milestones, gamma } = this.settings;
    const count = milestones.filter((m) => m === epoch).length;
    const lrs = this.currentLrs();
    return count === 0 ? lrs : lrs.map((lr) => lr * gamma ** count);
  }
  protected closedForm(epoch: number): number[] {
    const { milestones, gamma } = this.settings;
    return this.baseLrs.map((b) => b * gamma ** bisectRight(milestones, epoch));
  }
}

/** Options of `ExponentialLR`. */
export interface ExponentialLROptions {
  /** Multiplicative decay per epoch (required). */
  gamma: number;
  /** The index of the last epoch when resuming. Default -1. */
  lastEpoch?: number;
}
const exponentialLR = (o: Options, fn: string) => ({ gamma: num(o.gamma, fn, "gamma") });
/** Multiplies each lr by gamma every epoch. */
export class ExponentialLR extends LRScheduler<ReturnType<typeof exponentialLR>> {
  constructor(optimizer: AnyOptimizer, options: ExponentialLROptions) {
    super(optimizer, options, ["gamma"], exponentialLR);
    this.initialStep();
  }
  protected lrs(epoch: number): number[] {
    const lrs = this.currentLrs();
    return epoch === 0 ? lrs : lrs.map((lr) => lr * this.settings.gamma);
  }
  protected closedForm(epoch: number): number[] {
    return this.baseLrs.map((b) => b * this.settings.gamma ** epoch);
  }
}

/** Options of `ConstantLR`. */
export interface ConstantLROptions {
  /** The factor applied until totalIters. Default 1/3. */
  factor?: number;
  /** Epochs with the factor. Default 5. */
  totalIters?: number;
  /** The index of the last epoch when resuming. Default -1. */
  lastEpoch?: number;
}
const constantLR = (o: Options, fn: string) => {
  const factor = num(o.factor, fn, "factor", 1 / 3);
  if (!(factor >= 0 && factor <= 1))
    throw new Error("Constant multiplicative factor expected to be between 0 and 1.");
  return { factor, totalIters: positiveInt(o.totalIters, fn, "totalIters", 5) };
};
/** Multiplies each lr by factor until totalIters epochs have passed. */
export class ConstantLR extends LRScheduler<ReturnType<typeof constantLR>> {
  constructor(optimizer: AnyOptimizer, options?: ConstantLROptions) {
    super(optimizer, options, ["factor", "totalIters"], constantLR);
    this.initialStep();
  }
  protected lrs(epoch: number): number[] {
    const { factor, totalIters } = this.settings;
    const lrs = this.currentLrs();
    if (epoch === 0) return lrs.map((lr) => lr * factor);
    return epoch !== totalIters ? lrs : lrs.map((lr) => lr * (1 / factor));
  }
  protected closedForm(epoch: number): number[] {
    const { factor, totalIters } = this.settings;
    return this.baseLrs.map((b) => b * (factor + (epoch >= totalIters ? 1 : 0) * (1 - factor)));
  }
}

/** Options of `LinearLR`. */
export interface LinearLROptions {
  /** The factor at epoch 0. Default 1/3. */
  startFactor?: number;
  /** The factor from totalIters on. Default 1. */
  endFactor?: number;
  /** Epochs of the linear change. Default 5. */
  totalIters?: number;
  /** The index of the last epoch when resuming. Default -1. */
  lastEpoch?: number;
}
const linearLR = (o: Options, fn: string) => {
  const startFactor = num(o.startFactor, fn, "startFactor", 1 / 3),
    endFactor = num(o.endFactor, fn, "endFactor", 1);
  if (!(startFactor >= 0 && startFactor <= 1))
    throw new Error("Starting multiplicative factor expected to be between 0 and 1.");
  if (!(endFactor >= 0 && endFactor <= 1))
    throw new Error("Ending multiplicative factor expected to be between 0 and 1.");
  return { startFactor, endFactor, totalIters: positiveInt(o.totalIters, fn, "totalIters", 5) };
};
/** Changes each lr's factor linearly from startFactor to endFactor over totalIters epochs. */
export class LinearLR extends LRScheduler<ReturnType<typeof linearLR>> {
  constructor(optimizer: AnyOptimizer, options?: LinearLROptions) {
    super(optimizer, options, ["startFactor", "endFactor", "totalIters"], linearLR);
    this.initialStep();
  }
  protected lrs(epoch: number): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this.settings;
    const lrs = this.currentLrs();
    if (epoch === 0) return lrs.map((lr) => lr * s);
    if (epoch > n) return lrs;
    return lrs.map((lr) => lr * (1 + (e - s) / (n * s + (epoch - 1) * (e - s))));
  }
  protected closedForm(epoch: number): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this.settings;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(n, epoch)) / n));
  }
}

/** Options of `CosineAnnealingLR`. */
export interface CosineAnnealingLROptions {
  /** Epochs of a half cosine period (PyTorch's T_max; required). */
  tMax: number;
  /** The lowest lr. Default 0. */
  etaMin?: number;
  /** The index of the last epoch when resuming. Default -1. */
  lastEpoch?: number;
}
const cosineLR = (o: Options, fn: string) => ({
  tMax: positiveInt(o.tMax, fn, "tMax"),
  etaMin: num(o.etaMin, fn, "etaMin", 0),
});
/** Anneals each lr from its initial value to etaMin along a cosine over tMax epochs, and back. */
export class CosineAnnealingLR extends LRScheduler<ReturnType<typeof cosineLR>> {
  constructor(optimizer: AnyOptimizer, options: CosineAnnealingLROptions) {
    super(optimizer, options, ["tMax", "etaMin"], cosineLR);
    this.initialStep();
  }
  protected lrs(epoch: number, stepCount: number): number[] {
    const { tMax: T, etaMin: eta } = this.settings;
    const lrs = this.currentLrs();
    if (epoch === 0) return lrs;
    if (stepCount === 1 && epoch > 0) return this.closedForm(epoch);
    if ((epoch - 1 - T) % (2 * T) === 0)
      return lrs.map((lr, i) => lr + ((this.baseLrs[i] - eta) * (1 - Math.cos(Math.PI / T))) / 2);
    return lrs.map(
      (lr) =>
        ((1 + Math.cos((Math.PI * epoch) / T)) / (1 + Math.cos((Math.PI * (epoch - 1)) / T))) *
          (lr - eta) +
        eta,
    );
  }
  protected closedForm(epoch: number): number[] {
    const { tMax: T, etaMin: eta } = this.settings;
    return this.baseLrs.map((b) => eta + ((b - eta) * (1 + Math.cos((Math.PI * epoch) / T))) / 2);
  }
}

/** Options of `LambdaLR` and `MultiplicativeLR`. */
export interface LambdaLROptions {
  /** epoch -> a factor, one function for all groups or one per group. */
  lrLambda: LrLambda | LrLambda[];
  /** The index of the last epoch when resuming. Default -1. */
  lastEpoch?: number;
}
type LrLambda = (epoch: number) => number;
// Both lambda schedulers' settings: one function per group (PyTorch's lr_lambdas)
abstract class LambdaScheduler extends LRScheduler<{ lrLambdas: LrLambda[] }> {
  constructor(optimizer: AnyOptimizer, options: LambdaLROptions | LrLambda | LrLambda[]) {
    const n = checkOptimizer(optimizer).paramGroups.length;
    const o =
      typeof options === "function" || Array.isArray(options) ? { lrLambda: options } : options;
    super(optimizer, o, ["lrLambda"], (v, fn) => {
      const f = v.lrLambda;
      const list = Array.isArray(f) ? [...f] : Array.from({ length: n }, () => f);
      if (Array.isArray(f) && list.length !== n)
        throw new Error(`Expected ${n} lr_lambdas, but got ${list.length}`);
      for (const g of list)
        if (typeof g !== "function")
          throw new TypeError(`${fn}(): lrLambda must be a function, not ${arg.typeName(g)}`);
      return { lrLambdas: list as LrLambda[] };
    });
    this.initialStep();
  }
  protected factor(i: number, epoch: number): number {
    const f = this.settings.lrLambdas[i](epoch);
    return arg.number(f, this.constructor.name, "lrLambda(epoch)");
  }
  // the lambdas are code, not state: loading keeps them
  protected loadSettings() {
    return this.settings;
  }
}
/** Sets each lr to its initial lr times lrLambda(epoch) (lambdas are not part of the state). */
export class LambdaLR extends LambdaScheduler {
  protected lrs(epoch: number): number[] {
    return this.baseLrs.map((b, i) => b * this.factor(i, epoch));
  }
}
/** Multiplies each lr by lrLambda(epoch) at every step after the first. */
export class MultiplicativeLR extends LambdaScheduler {
  protected lrs(epoch: number): number[] {
    const lrs = this.currentLrs();
    return epoch > 0 ? lrs.map((lr, i) => lr * this.factor(i, epoch)) : lrs;
  }
}

/** Options of `PolynomialLR`. */
export interface PolynomialLROptions {
  /** Epochs of the decay to 0. Default 5. */
  totalIters?: number;
  /** The polynomial's power. Default 1. */
  power?: number;
  /** The index of the last epoch when resuming. Default -1. */
  lastEpoch?: number;
}
const polynomialLR = (o: Options, fn: string) => ({
  totalIters: positiveInt(o.totalIters, fn, "totalIters", 5),
  power: num(o.power, fn, "power", 1),
});
/** Decays each lr to 0 over totalIters epochs along (1 - epoch / totalIters)^power. */
export class PolynomialLR extends LRScheduler<ReturnType<typeof polynomialLR>> {
  constructor(optimizer: AnyOptimizer, options?: PolynomialLROptions) {
    super(optimizer, options, ["totalIters", "power"], polynomialLR);
    this.initialStep();
  }
  protected lrs(epoch: number): number[] {
    const { totalIters: n, power } = this.settings;
    const lrs = this.currentLrs();
    if (epoch === 0 || epoch > n) return lrs;
    const decay = ((1 - epoch / n) / (1 - (epoch - 1) / n)) ** power;
    return lrs.map((lr) => lr * decay);
  }
  protected closedForm(epoch: number): number[] {
    const { totalIters: n, power } = this.settings;
    return this.baseLrs.map((b) => b * (1 - Math.min(n, epoch) / n) ** power);
  }
}

// ---------------------------------------------------------------- OneCycleLR

/** Options of `OneCycleLR` (PyTorch's, camelCase). */
export interface OneCycleLROptions {
  /** The peak lr, one for all groups or one per group (required). */
  maxLr: number | number[];
  /** Steps in the cycle; or give epochs and stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr. Default 0.3. */
  pctStart?: number;
  /** "cos" (default) or "linear". */
  annealStrategy?: "cos" | "linear";
  /** Cycle momentum (or Adam's beta1) inversely to the lr. Default true. */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  /** initial lr = maxLr / divFactor. Default 25. */
  divFactor?: number;
  /** min lr = initial lr / finalDivFactor. Default 1e4. */
  finalDivFactor?: number;
  /** A third phase annihilating the lr (fastai's schedule). Default false. */
  threePhase?: boolean;
  /** The index of the last step when resuming. Default -1. */
  lastEpoch?: number;
}
interface Phase {
  endStep: number;
  startLr: keyof Group;
  endLr: keyof Group;
  startMomentum: keyof Group;
  endMomentum: keyof Group;
}
const oneCycleKeys = [
  "maxLr",
  "totalSteps",
  "epochs",
  "stepsPerEpoch",
  "pctStart",
  "annealStrategy",
  "cycleMomentum",
  "baseMomentum",
  "maxMomentum",
  "divFactor",
  "finalDivFactor",
  "threePhase",
] as const;
function oneCycle(o: Options, fn: string, nGroups: number) {
  const perGroup = (x: unknown, name: string): number[] => {
    if (!Array.isArray(x)) return Array.from({ length: nGroups }, () => num(x, fn, name));
    if (x.length !== nGroups)
      throw new Error(`expected ${nGroups} values for ${name}, got ${x.length}`);
    return numberList(x, fn, name);
  };
  let totalSteps: number;
  if (o.totalSteps === undefined && (o.epochs === undefined || o.stepsPerEpoch === undefined))
    throw new Error("You must define either total_steps OR (epochs AND steps_per_epoch)");
  if (o.totalSteps !== undefined) totalSteps = positiveInt(o.totalSteps, fn, "totalSteps");
  else
    totalSteps =
      positiveInt(o.epochs, fn, "epochs") * positiveInt(o.stepsPerEpoch, fn, "stepsPerEpoch");
  const pctStart = num(o.pctStart, fn, "pctStart", 0.3);
  if (!(pctStart >= 0 && pctStart <= 1))
    throw new Error(`Expected float between 0 and 1 pct_start, but got ${pctStart}`);
  const anneal = o.annealStrategy === undefined ? "cos" : o.annealStrategy;
  if (anneal !== "cos" && anneal !== "linear")
    throw new Error(
      `anneal_strategy must by one of 'cos' or 'linear', instead got ${typeof anneal === "string" ? anneal : arg.typeName(anneal)}`,
    );
  const threePhase = o.threePhase === undefined ? false : arg.bool(o.threePhase, fn, "threePhase");
  const cycleMomentum =
    o.cycleMomentum === undefined ? true : arg.bool(o.cycleMomentum, fn, "cycleMomentum");
  return {
    maxLr: perGroup(o.maxLr, "max_lr"),
    totalSteps,
    pctStart,
    annealStrategy: anneal as "cos" | "linear",
    cycleMomentum,
    baseMomentum: perGroup(o.baseMomentum ?? 0.85, "base_momentum"),
    maxMomentum: perGroup(o.maxMomentum ?? 0.95, "max_momentum"),
    divFactor: num(o.divFactor, fn, "divFactor", 25),
    finalDivFactor: num(o.finalDivFactor, fn, "finalDivFactor", 1e4),
    threePhase,
  };
}
/**
 * The 1cycle policy: the lr rises from maxLr / divFactor to maxLr over pctStart of the steps, then
 * falls to initial / finalDivFactor (momentum or beta1 moving the other way). Step it after every
 * batch.
 */
export class OneCycleLR extends LRScheduler<ReturnType<typeof oneCycle>> {
  constructor(optimizer: AnyOptimizer, options: OneCycleLROptions) {
    const n = checkOptimizer(optimizer).paramGroups.length;
    super(optimizer, options, oneCycleKeys, (o, fn) => oneCycle(o, fn, n));
    this.initialStep();
  }
  protected prepare(groups: Group[], lastEpoch: number): void {
    const s = this.settings,
      defaults = this.optimizer.defaults as Record<string, unknown>;
    if (s.cycleMomentum && !("momentum" in defaults) && !("betas" in defaults))
      throw new Error("optimizer must support momentum with `cycle_momentum` option enabled");
    if (lastEpoch !== -1) return;
    groups.forEach((g, i) => {
      g.initialLr = s.maxLr[i] / s.divFactor;
      g.maxLr = s.maxLr[i];
      g.minLr = g.initialLr / s.finalDivFactor;
      if (!s.cycleMomentum) return;
      if (g.betas) g.betas = [s.maxMomentum[i], g.betas[1]];
      else g.momentum = s.maxMomentum[i];
      g.maxMomentum = s.maxMomentum[i];
      g.baseMomentum = s.baseMomentum[i];
    });
  }
  private phases(): Phase[] {
    const { pctStart: p, totalSteps: n, threePhase } = this.settings;
    const up: Phase = {
      endStep: p * n - 1,
      startLr: "initialLr",
      endLr: "maxLr",
      startMomentum: "maxMomentum",
      endMomentum: "baseMomentum",
    };
    if (!threePhase)
      return [
        up,
        {
          endStep: n - 1,
          startLr: "maxLr",
          endLr: "minLr",
          startMomentum: "baseMomentum",
          endMomentum: "maxMomentum",
        },
      ];
    return [
      up,
      {
        endStep: 2 * p * n - 2,
        startLr: "maxLr",
        endLr: "initialLr",
        startMomentum: "baseMomentum",
        endMomentum: "maxMomentum",
      },
      {
        endStep: n - 1,
        startLr: "initialLr",
        endLr: "minLr",
        startMomentum: "maxMomentum",
        endMomentum: "maxMomentum",
      },
    ];
  }
  // [lr, momentum] per group at a step
  private at(step: number): [number, number][] {
    const { totalSteps, annealStrategy } = this.settings;
    if (step > totalSteps)
      throw new Error(
        `Tried to step ${step + 1} times. The specified number of total steps is ${totalSteps}`,
      );
    const anneal =
      annealStrategy === "cos"
        ? (a: number, b: number, pct: number) => b + ((a - b) / 2) * (Math.cos(Math.PI * pct) + 1)
        : (a: number, b: number, pct: number) => (b - a) * pct + a;
    const phases = this.phases();
    return groupsOf(this.optimizer).map((g) => {
      let start = 0;
      for (const [i, ph] of phases.entries()) {
        if (step <= ph.endStep || i === phases.length - 1) {
          const pct = (step - start) / (ph.endStep - start);
          const v = (k: keyof Group) => g[k] as number;
          return [
            anneal(v(ph.startLr), v(ph.endLr), pct),
            anneal(v(ph.startMomentum), v(ph.endMomentum), pct),
          ];
        }
        start = ph.endStep;
      }
      throw new Error("unreachable: the last phase always matches");
    });
  }
  protected lrs(epoch: number): number[] {
    return this.at(epoch).map(([lr]) => lr);
  }
  protected momenta(epoch: number): number[] | null {
    return this.settings.cycleMomentum ? this.at(epoch).map(([, m]) => m) : null;
  }
}

// ---------------------------------------------------------------- SequentialLR

/** Options of `SequentialLR`. */
export interface SequentialLROptions {
  /** The schedulers, each used until the next milestone. */
  schedulers: LRScheduler[];
  /** The epochs at which to switch to the next scheduler (one fewer than schedulers). */
  milestones: number[];
  /** The index of the last epoch when resuming. Default -1. */
  lastEpoch?: number;
}
/** Runs schedulers one after the other, switching at the milestones. */
export class SequentialLR {
  readonly optimizer: AnyOptimizer;
  lastEpoch: number;
  private readonly schedulers: LRScheduler[];
  private readonly milestones: number[];
  private lastLr: number[];
  constructor(optimizer: AnyOptimizer, options: SequentialLROptions) {
    const opt = checkOptimizer(optimizer),
      fn = "SequentialLR";
    const o = arg.options(options, fn, ["schedulers", "milestones", "lastEpoch"]);
    if (!Array.isArray(o.schedulers) || o.schedulers.length === 0)
      throw new TypeError(`${fn}(): schedulers must be a non-empty list of schedulers`);
    const schedulers = [...o.schedulers] as LRScheduler[];
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler))
        throw new TypeError(`${fn}(): schedulers[${i}] is ${arg.typeName(s)}, not a scheduler`);
      if (s.optimizer !== opt)
        throw new Error(
          `Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index ${i} to be different than the optimizer passed in.`,
        );
    });
    const milestones = arg.intList(o.milestones, fn, "milestones");
    if (milestones.length !== schedulers.length - 1)
      throw new Error(
        `Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${milestones.length}`,
      );
    this.optimizer = opt;
    this.schedulers = schedulers;
    this.milestones = milestones;
    this.lastEpoch = lastEpochOf(o.lastEpoch, fn) + 1;
    // as PyTorch: back to the initial lrs, the other schedulers' initial steps undone
    for (const g of groupsOf(opt)) g.lr = g.initialLr ?? g.lr;
    for (const s of schedulers) s.lastEpoch -= 1;
    const first = schedulers[0] as unknown as { initialStep(): void };
    first.initialStep();
    this.lastLr = schedulers[0].getLastLr();
  }
  /** Advances one epoch with the scheduler of that epoch. */
  step(...args: never[]): void {
    if (args.length) throw new TypeError("SequentialLR.step() takes no arguments");
    const epoch = this.lastEpoch + 1;
    const idx = bisectRight(this.milestones, epoch),
      s = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === epoch) s.stepTo(0);
    else s.step();
    this.lastEpoch = epoch;
    this.lastLr = s.getLastLr();
  }
  /** The lrs set by the last step. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }
  /** lastEpoch, lastLr and each scheduler's state. */
  stateDict(): SchedulerState {
    return {
      lastEpoch: this.lastEpoch,
      lastLr: [...this.lastLr],
      milestones: [...this.milestones],
      schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }
  /** Restores a state from `stateDict()`. */
  loadStateDict(state: SchedulerState): void {
    const fn = "SequentialLR.loadStateDict";
    const o = arg.options(state, fn, ["lastEpoch", "lastLr", "milestones", "schedulers"]);
    const list = o.schedulers;
    if (!Array.isArray(list) || list.length !== this.schedulers.length)
      throw new Error(`${fn}(): expected the states of ${this.schedulers.length} schedulers`);
    const lastEpoch = arg.int(o.lastEpoch, fn, "lastEpoch"),
      lastLr = numberList(o.lastLr, fn, "lastLr");
    // each scheduler checks its own state; a refusal part-way leaves the earlier ones loaded, so
    // check them all on copies first
    const before = this.schedulers.map((s) => s.stateDict());
    try {
      this.schedulers.forEach((s, i) => s.loadStateDict(list[i]));
    } catch (e) {
      this.schedulers.forEach((s, i) => s.loadStateDict(before[i]));
      throw e;
    }
    this.lastEpoch = lastEpoch;
    this.lastLr = lastLr;
  }
}

// ---------------------------------------------------------------- ReduceLROnPlateau

/** Options of `ReduceLROnPlateau` (PyTorch's, camelCase). */
export interface ReduceLROnPlateauOptions {
  /** "min" (default): reduce when the metric stops decreasing; "max": stops increasing. */
  mode?: "min" | "max";
  /** new lr = lr * factor. Default 0.1. */
  factor?: number;
  /** Epochs without improvement before reducing. Default 10. */
  patience?: number;
  /** The least change that counts as an improvement. Default 1e-4. */
  threshold?: number;
  /** "rel" (default): relative to the best; "abs". */
  thresholdMode?: "rel" | "abs";
  /** Epochs to wait after a reduction. Default 0. */
  cooldown?: number;
  /** The lowest lr, one for all groups or one per group. Default 0. */
  minLr?: number | number[];
  /** Reductions smaller than eps are skipped. Default 1e-8. */
  eps?: number;
}
const plateauKeys = [
  "mode",
  "factor",
  "patience",
  "threshold",
  "thresholdMode",
  "cooldown",
  "minLr",
  "eps",
] as const;
function plateau(v: unknown, fn: string, nGroups: number) {
  const o = arg.options(v, fn, plateauKeys);
  const factor = num(o.factor, fn, "factor", 0.1);
  if (!(factor < 1)) throw new Error("Factor should be < 1.0.");
  let minLrs: number[];
  if (Array.isArray(o.minLr)) {
    if (o.minLr.length !== nGroups)
      throw new Error(`expected ${nGroups} min_lrs, got ${o.minLr.length}`);
    minLrs = numberList(o.minLr, fn, "minLr");
  } else minLrs = Array.from({ length: nGroups }, () => num(o.minLr, fn, "minLr", 0));
  const mode = o.mode === undefined ? "min" : o.mode;
  if (mode !== "min" && mode !== "max") throw new Error(`mode ${String(mode)} is unknown!`);
  const thresholdMode = o.thresholdMode === undefined ? "rel" : o.thresholdMode;
  if (thresholdMode !== "rel" && thresholdMode !== "abs")
    throw new Error(`threshold mode ${String(thresholdMode)} is unknown!`);
  const count = (x: unknown, name: string, dflt: number) => {
    const n = x === undefined ? dflt : arg.int(x, fn, name);
    if (n < 0) throw new Error(`${fn}(): ${name} must be >= 0, got ${n}`);
    return n;
  };
  return {
    mode: mode as "min" | "max",
    factor,
    patience: count(o.patience, "patience", 10),
    threshold: num(o.threshold, fn, "threshold", 1e-4),
    thresholdMode: thresholdMode as "rel" | "abs",
    cooldown: count(o.cooldown, "cooldown", 0),
    minLr: minLrs,
    eps: num(o.eps, fn, "eps", 1e-8),
  };
}
/** Reduces each lr by factor when a metric has stopped improving for patience epochs. */
export class ReduceLROnPlateau {
  readonly optimizer: AnyOptimizer;
  lastEpoch = 0;
  /** The best metric so far (Infinity or -Infinity before the first). */
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  private settings: ReturnType<typeof plateau>;
  private lastLr: number[];
  constructor(optimizer: AnyOptimizer, options?: ReduceLROnPlateauOptions) {
    const opt = checkOptimizer(optimizer);
    this.settings = plateau(options, "ReduceLROnPlateau", opt.paramGroups.length);
    this.optimizer = opt;
    this.best = this.worse();
    this.lastLr = groupsOf(opt).map((g) => g.lr);
  }
  private worse(): number {
    return this.settings.mode === "min" ? Infinity : -Infinity;
  }
  private isBetter(a: number, best: number): boolean {
    const { mode, thresholdMode: tm, threshold: t } = this.settings;
    if (mode === "min") return tm === "rel" ? a < best * (1 - t) : a < best - t;
    return tm === "rel" ? a > best * (t + 1) : a > best + t;
  }
  /** Records one epoch's metric (a number or a one-element tensor), reducing lrs if it is time. */
  step(metrics: number | Tensor, ...args: never[]): void {
    if (args.length)
      throw new TypeError("ReduceLROnPlateau.step() takes the metric only (epoch is deprecated)");
    const current = Tensor.isTensor(metrics)
      ? (metrics.item() as number)
      : arg.number(metrics, "ReduceLROnPlateau.step", "metrics");
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else this.numBadEpochs += 1;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs in cooldown are ignored
    }
    if (this.numBadEpochs > this.settings.patience) {
      groupsOf(this.optimizer).forEach((g, i) => {
        const newLr = Math.max(g.lr * this.settings.factor, this.settings.minLr[i]);
        if (g.lr - newLr > this.settings.eps) g.lr = newLr;
      });
      this.cooldownCounter = this.settings.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = groupsOf(this.optimizer).map((g) => g.lr);
  }
  /** The groups' lrs after the last step. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }
  /** Settings and counters (`best` is null while no metric was seen, so JSON keeps it). */
  stateDict(): SchedulerState {
    return {
      ...this.settings,
      minLr: [...this.settings.minLr],
      best: Number.isFinite(this.best) ? this.best : null,
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastEpoch: this.lastEpoch,
      lastLr: [...this.lastLr],
    };
  }
  /** Restores a state from `stateDict()`, checked before anything changes. */
  loadStateDict(state: SchedulerState): void {
    const fn = "ReduceLROnPlateau.loadStateDict";
    const keys = [...plateauKeys, "best", "numBadEpochs", "cooldownCounter", "lastEpoch", "lastLr"];
    const o = arg.options(state, fn, keys) as Record<string, unknown>;
    const settings = plateau(
      Object.fromEntries(plateauKeys.map((k) => [k, o[k]])),
      fn,
      this.lastLr.length,
    );
    const ints = (["numBadEpochs", "cooldownCounter", "lastEpoch"] as const).map((k) =>
      arg.int(o[k], fn, k),
    );
    const best = o.best === null ? null : arg.number(o.best, fn, "best");
    const lastLr = numberList(o.lastLr, fn, "lastLr");
    this.settings = settings;
    [this.numBadEpochs, this.cooldownCounter, this.lastEpoch] = ints;
    this.best = best === null ? this.worse() : best;
    this.lastLr = lastLr;
  }
}
