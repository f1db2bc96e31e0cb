// Optimizers that scale each element by its own gradient history: RMSprop, Adagrad, Adadelta.
import type { Tensor } from "../../runtime/tensor";
import { Optimizer, type OptimizerOptions, type Params } from "./optimizer";
import {
  decayed,
  ema,
  epsOption,
  flagOption,
  lrOption,
  numberOption,
  type Rule,
  stepOnce,
  weightDecayOption,
} from "./rule";

const maximizeAndDecay = ["maximize", "weightDecay"];
const decayFlags = (h: Record<string, unknown>) => ({
  maximize: h.maximize as boolean,
  weightDecay: h.weightDecay !== 0,
});

/** Options of `RMSprop`, as torch.optim.RMSprop's. */
export interface RMSpropOptions extends OptimizerOptions {
  /** The learning rate. Default 1e-2. */
  lr?: number;
  /** Smoothing constant of the squared-gradient average. Default 0.99. */
  alpha?: number;
  /** Added to the denominator. Default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
  /** Momentum factor. Default 0. */
  momentum?: number;
  /** Normalize by the estimated variance (the mean gradient subtracted). Default false. */
  centered?: boolean;
  /** Maximize the objective. Default false. */
  maximize?: boolean;
}
/** An RMSprop parameter group's options. */
export type RMSpropGroup = Required<Omit<RMSpropOptions, "compiled">>;

/**
 * sq = alpha sq + (1 - alpha) g^2;  avg = sqrt(sq) + eps (centered: sqrt(sq - ga^2) + eps with
 * ga = alpha ga + (1 - alpha) g);  momentum: buf = momentum buf + g / avg, p -= lr buf;
 * else p -= lr g / avg.
 */
export const rmspropRule: Rule = {
  name: "RMSprop",
  options: [
    lrOption(1e-2),
    numberOption("alpha", 0.99, "alpha value"),
    epsOption(1e-8),
    weightDecayOption(),
    numberOption("momentum", 0, "momentum value"),
    flagOption("centered"),
    flagOption("maximize"),
  ],
  host: { step: 0 },
  advance: stepOnce,
  flagNames: [...maximizeAndDecay, "centered", "momentum"],
  flags: (h) => ({
    ...decayFlags(h),
    centered: h.centered as boolean,
    momentum: (h.momentum as number) > 0,
  }),
  stateNames: (f) => [
    "squareAvg",
    ...(f.momentum ? ["momentumBuffer"] : []),
    ...(f.centered ? ["gradAvg"] : []),
  ],
  scalarNames: ["lr", "alpha", "alphac", "eps", "weightDecay", "momentum"],
  scalars: (h) => ({
    lr: h.lr as number,
    alpha: h.alpha as number,
    alphac: 1 - (h.alpha as number),
    eps: h.eps as number,
    weightDecay: h.weightDecay as number,
    momentum: h.momentum as number,
  }),
  update(u) {
    const { s, k, f } = u,
      g = decayed(u);
    ema(s.squareAvg, g.mul(g), k.alpha, k.alphac);
    let avg: Tensor;
    if (f.centered) {
      ema(s.gradAvg, g, k.alpha, k.alphac);
      avg = s.squareAvg.sub(s.gradAvg.mul(s.gradAvg)).sqrt();
    } else avg = s.squareAvg.sqrt();
    avg = avg.add(k.eps);
    if (f.momentum) {
      s.momentumBuffer.mul_(k.momentum).add_(g.div(avg));
      u.p.sub_(s.momentumBuffer.mul(k.lr));
    } else u.p.sub_(g.div(avg).mul(k.lr));
  },
};
/** torch.optim.RMSprop. */
export class RMSprop extends Optimizer<RMSpropGroup> {
  constructor(params: Params<RMSpropGroup>, options?: RMSpropOptions) {
    super(params, options, rmspropRule);
  }
}

/** Options of `Adagrad`, as torch.optim.Adagrad's. */
export interface AdagradOptions extends OptimizerOptions {
  /** The learning rate. Default 1e-2. */
  lr?: number;
  /** lr / (1 + (t - 1) lrDecay) at step t. Default 0. */
  lrDecay?: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
  /** The starting value of the squared-gradient sums. Default 0. */
  initialAccumulatorValue?: number;
  /** Added to the denominator. Default 1e-10. */
  eps?: number;
  /** Maximize the objective. Default false. */
  maximize?: boolean;
}
/** An Adagrad parameter group's options. */
export type AdagradGroup = Required<Omit<AdagradOptions, "compiled">>;

/** sum += g^2;  p -= lr / (1 + (t - 1) lrDecay) * g / (sqrt(sum) + eps) */
export const adagradRule: Rule = {
  name: "Adagrad",
  options: [
    lrOption(1e-2),
    numberOption("lrDecay", 0, "lr_decay value"),
    weightDecayOption(),
    numberOption("initialAccumulatorValue", 0, "initial_accumulator_value value"),
    epsOption(1e-10),
    flagOption("maximize"),
  ],
  eagerState: true, // as PyTorch, whose Adagrad fills its sums when constructed
  host: { step: 0 },
  advance: stepOnce,
  flagNames: maximizeAndDecay,
  flags: decayFlags,
  stateNames: () => ["sum"],
  init: (h) => h.initialAccumulatorValue as number,
  scalarNames: ["clr", "eps", "weightDecay"],
  scalars: (h, { step }) => ({
    clr: (h.lr as number) / (1 + (step - 1) * (h.lrDecay as number)),
    eps: h.eps as number,
    weightDecay: h.weightDecay as number,
  }),
  update(u) {
    const { s, k } = u,
      g = decayed(u);
    s.sum.add_(g.mul(g));
    u.p.sub_(g.div(s.sum.sqrt().add(k.eps)).mul(k.clr));
  },
};
/** torch.optim.Adagrad. */
export class Adagrad extends Optimizer<AdagradGroup> {
  constructor(params: Params<AdagradGroup>, options?: AdagradOptions) {
    super(params, options, adagradRule);
  }
}

/** Options of `Adadelta`, as torch.optim.Adadelta's. */
export interface AdadeltaOptions extends OptimizerOptions {
  /** Scales the delta. Default 1. */
  lr?: number;
  /** Decay rate of the running averages. Default 0.9. */
  rho?: number;
  /** Added inside the square roots. Default 1e-6. */
  eps?: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
  /** Maximize the objective. Default false. */
  maximize?: boolean;
}
/** An Adadelta parameter group's options. */
export type AdadeltaGroup = Required<Omit<AdadeltaOptions, "compiled">>;

/**
 * sq = rho sq + (1 - rho) g^2;  delta = sqrt(acc + eps) / sqrt(sq + eps) * g;
 * acc = rho acc + (1 - rho) delta^2;  p -= lr delta
 */
export const adadeltaRule: Rule = {
  name: "Adadelta",
  options: [
    lrOption(1),
    {
      name: "rho",
      kind: "number",
      default: 0.9,
      invalid: (v: number) => (v >= 0 && v <= 1 ? undefined : `Invalid rho value: ${v}`),
    },
    epsOption(1e-6),
    weightDecayOption(),
    flagOption("maximize"),
  ],
  host: { step: 0 },
  advance: stepOnce,
  flagNames: maximizeAndDecay,
  flags: decayFlags,
  stateNames: () => ["squareAvg", "accDelta"],
  scalarNames: ["lr", "rho", "rhoc", "eps", "weightDecay"],
  scalars: (h) => ({
    lr: h.lr as number,
    rho: h.rho as number,
    rhoc: 1 - (h.rho as number),
    eps: h.eps as number,
    weightDecay: h.weightDecay as number,
  }),
  update(u) {
    const { s, k } = u,
      g = decayed(u);
    ema(s.squareAvg, g.mul(g), k.rho, k.rhoc);
    const delta = s.accDelta.add(k.eps).sqrt().div(s.squareAvg.add(k.eps).sqrt()).mul(g);
    ema(s.accDelta, delta.mul(delta), k.rho, k.rhoc);
    u.p.sub_(delta.mul(k.lr));
  },
};
/** torch.optim.Adadelta. */
export class Adadelta extends Optimizer<AdadeltaGroup> {
  constructor(params: Params<AdadeltaGroup>, options?: AdadeltaOptions) {
    super(params, options, adadeltaRule);
  }
}
