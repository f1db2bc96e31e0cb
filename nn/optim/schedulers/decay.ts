// Schedulers that decay each lr by a rule of the epoch: StepLR, MultiStepLR, ExponentialLR,
// ConstantLR, LinearLR, CosineAnnealingLR, LambdaLR, MultiplicativeLR, PolynomialLR. Values follow
// PyTorch 1.13's recursive get_lr (each lr from the group's current lr), which differs from the
// closed forms in the last bits; the closed forms serve stepTo (SequentialLR's milestones).
import * as arg from "../../../runtime/args";
import {
  type AnyOptimizer,
  bisectRight,
  checkOptimizer,
  LRScheduler,
  num,
  type Options,
  positiveInt,
} from "./base";

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
      return this.baseLrs.map((b, i) => lrs[i] + ((b - eta) * (1 - Math.cos(Math.PI / T))) / 2);
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
