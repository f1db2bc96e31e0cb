// ReduceLROnPlateau: reduce the lrs when a metric stops improving (not an epoch scheduler).
import * as arg from "../../../runtime/args";
import { Tensor } from "../../../runtime/tensor";
import {
  type AnyOptimizer,
  checkOptimizer,
  groupsOf,
  num,
  numberList,
  type SchedulerState,
} from "./base";

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
