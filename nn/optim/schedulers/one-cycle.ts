// OneCycleLR: the 1cycle policy (lr up then down, momentum or beta1 the other way).
import * as arg from "../../../runtime/args";
import {
  type AnyOptimizer,
  checkOptimizer,
  type Group,
  groupsOf,
  LRScheduler,
  num,
  numberList,
  type Options,
  positiveInt,
} from "./base";

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
