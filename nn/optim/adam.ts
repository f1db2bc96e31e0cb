// The Adam family: Adam and AdamW (with amsgrad), Adamax, NAdam, as PyTorch 1.13 computes them
// (bias corrections in Python doubles on the host, passed as 0-d tensors).
import type { Tensor } from "../../runtime/tensor";
import { groupAccessors, Optimizer, type OptimizerOptions, type Params } from "./optimizer";
import {
  type Betas,
  betasOption,
  decayed,
  ema,
  epsOption,
  flagOption,
  lrOption,
  numberOption,
  type Rule,
  stepOnce,
  type UpdateArgs,
  weightDecayOption,
} from "./rule";

/** Options of `Adam` and `AdamW`, as torch.optim.Adam's. */
export interface AdamOptions extends OptimizerOptions {
  /** The learning rate. Default 1e-3. */
  lr?: number;
  /** Decay rates of the first and second moment estimates. Default [0.9, 0.999]. */
  betas?: Betas;
  /** Added to the denominator for stability. Default 1e-8. */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0); AdamW: decoupled decay (default 1e-2). */
  weightDecay?: number;
  /** Use the maximum of past second moments (AMSGrad). Default false. */
  amsgrad?: boolean;
  /** Maximize the objective. Default false. */
  maximize?: boolean;
}
/** An Adam or AdamW parameter group's options. */
export type AdamGroup = Required<Omit<AdamOptions, "compiled">>;

/**
 * Adam at a parameter's step t (AdamW: p *= 1 - lr * weightDecay first, no L2 term):
 *   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  (amsgrad: v = max(vmax, v))
 *   p -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 */
function makeAdamRule(name: string, decoupled: boolean): Rule {
  return {
    name,
    options: [
      lrOption(1e-3),
      betasOption([0.9, 0.999]),
      epsOption(1e-8),
      weightDecayOption(decoupled ? 1e-2 : 0),
      flagOption("amsgrad"),
      flagOption("maximize"),
    ],
    host: { step: 0 },
    advance: stepOnce,
    flagNames: ["maximize", "weightDecay", "amsgrad"],
    flags: (h) => ({
      maximize: h.maximize as boolean,
      weightDecay: h.weightDecay !== 0,
      amsgrad: h.amsgrad as boolean,
    }),
    stateNames: (f) => ["expAvg", "expAvgSq", ...(f.amsgrad ? ["maxExpAvgSq"] : [])],
    scalarNames: [
      "beta1",
      "beta1c",
      "beta2",
      "beta2c",
      "eps",
      "weightDecay",
      "stepSize",
      "bc2Sqrt",
    ],
    scalars(h, { step }) {
      const [beta1, beta2] = h.betas as Betas,
        lr = h.lr as number,
        wd = h.weightDecay as number;
      return {
        beta1,
        beta1c: 1 - beta1,
        beta2,
        beta2c: 1 - beta2,
        eps: h.eps as number,
        weightDecay: decoupled ? 1 - lr * wd : wd,
        stepSize: lr / (1 - beta1 ** step),
        bc2Sqrt: Math.sqrt(1 - beta2 ** step),
      };
    },
    update(u) {
      const { p, s, k, f } = u;
      let g: Tensor;
      if (decoupled) {
        g = f.maximize ? u.g.neg() : u.g;
        if (f.weightDecay) p.mul_(k.weightDecay);
      } else g = decayed(u);
      ema(s.expAvg, g, k.beta1, k.beta1c);
      ema(s.expAvgSq, g.mul(g), k.beta2, k.beta2c);
      let v = s.expAvgSq;
      if (f.amsgrad) {
        s.maxExpAvgSq.copy_(s.maxExpAvgSq.maximum(v));
        v = s.maxExpAvgSq;
      }
      const denom = v.sqrt().div(k.bc2Sqrt).add(k.eps);
      p.sub_(s.expAvg.div(denom).mul(k.stepSize));
    },
  };
}
export const adamRule = makeAdamRule("Adam", false);
export const adamWRule = makeAdamRule("AdamW", true);

/** torch.optim.Adam (see `makeAdamRule`). */
export class Adam extends Optimizer<AdamGroup> {
  /** The first group's option; setting it sets every group's. */
  declare betas: Betas;
  declare eps: number;
  declare weightDecay: number;
  constructor(params: Params<AdamGroup>, options?: AdamOptions) {
    super(params, options, adamRule);
  }
  private stateOf(name: string): (Tensor | null)[] {
    return this.params.map((p) => (this.state.get(p)?.[name] as Tensor | undefined) ?? null);
  }
  /** Each parameter's first moment estimate m (null before its first step). */
  get expAvg(): (Tensor | null)[] {
    return this.stateOf("expAvg");
  }
  /** Each parameter's second moment estimate v (null before its first step). */
  get expAvgSq(): (Tensor | null)[] {
    return this.stateOf("expAvgSq");
  }
  /** Each parameter's step count t. */
  get steps(): number[] {
    return this.params.map((p) => (this.state.get(p)?.step as number | undefined) ?? 0);
  }
}
groupAccessors(Adam, ["betas", "eps", "weightDecay"]);
/** torch.optim.AdamW: Adam with decoupled weight decay (default 1e-2). */
export class AdamW extends Optimizer<AdamGroup> {
  constructor(params: Params<AdamGroup>, options?: AdamOptions) {
    super(params, options, adamWRule);
  }
}

/** Options of `Adamax`, as torch.optim.Adamax's. */
export interface AdamaxOptions extends OptimizerOptions {
  /** The learning rate. Default 2e-3. */
  lr?: number;
  /** Decay rates of the first moment and the infinity norm. Default [0.9, 0.999]. */
  betas?: Betas;
  /** Added to |g| for stability. Default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
  /** Maximize the objective. Default false. */
  maximize?: boolean;
}
/** An Adamax parameter group's options. */
export type AdamaxGroup = Required<Omit<AdamaxOptions, "compiled">>;

/** m = beta1 m + (1 - beta1) g;  u = max(beta2 u, |g| + eps);  p -= lr / (1 - beta1^t) * m / u */
export const adamaxRule: Rule = {
  name: "Adamax",
  options: [
    lrOption(2e-3),
    betasOption([0.9, 0.999]),
    epsOption(1e-8),
    weightDecayOption(),
    flagOption("maximize"),
  ],
  host: { step: 0 },
  advance: stepOnce,
  flagNames: ["maximize", "weightDecay"],
  flags: (h) => ({ maximize: h.maximize as boolean, weightDecay: h.weightDecay !== 0 }),
  stateNames: () => ["expAvg", "expInf"],
  scalarNames: ["beta1", "beta1c", "beta2", "eps", "weightDecay", "clr"],
  scalars(h, { step }) {
    const [beta1, beta2] = h.betas as Betas;
    return {
      beta1,
      beta1c: 1 - beta1,
      beta2,
      eps: h.eps as number,
      weightDecay: h.weightDecay as number,
      clr: (h.lr as number) / (1 - beta1 ** step),
    };
  },
  update(u) {
    const { s, k } = u,
      g = decayed(u);
    ema(s.expAvg, g, k.beta1, k.beta1c);
    s.expInf.copy_(s.expInf.mul(k.beta2).maximum(g.abs().add(k.eps)));
    u.p.sub_(s.expAvg.div(s.expInf).mul(k.clr));
  },
};
/** torch.optim.Adamax. */
export class Adamax extends Optimizer<AdamaxGroup> {
  constructor(params: Params<AdamaxGroup>, options?: AdamaxOptions) {
    super(params, options, adamaxRule);
  }
}

/** Options of `NAdam`, as torch.optim.NAdam's (1.13 has no maximize). */
export interface NAdamOptions extends OptimizerOptions {
  /** The learning rate. Default 2e-3. */
  lr?: number;
  /** Decay rates of the moment estimates. Default [0.9, 0.999]. */
  betas?: Betas;
  /** Added to the denominator. Default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
  /** Momentum decay psi. Default 4e-3. */
  momentumDecay?: number;
}
/** An NAdam parameter group's options. */
export type NAdamGroup = Required<Omit<NAdamOptions, "compiled">>;

// NAdam's momentum schedule mu_t = beta1 (1 - 0.5 * 0.96^(t psi)); its running product is a float32
// tensor in PyTorch 1.13 whatever the parameters' dtype, so it is rounded to float32 here too
const muAt = (h: Record<string, unknown>, t: number) =>
  (h.betas as Betas)[0] * (1 - 0.5 * 0.96 ** (t * (h.momentumDecay as number)));
const f32mul = (a: number, b: number) => Math.fround(a * Math.fround(b));

/**
 * m, v as Adam's;  denom = sqrt(v / (1 - beta2^t)) + eps;
 * p -= lr (1 - mu_t) / (1 - prod mu) * g / denom + lr mu_{t+1} / (1 - prod mu * mu_t mu_{t+1}) * m / denom
 */
export const nadamRule: Rule = {
  name: "NAdam",
  options: [
    lrOption(2e-3),
    betasOption([0.9, 0.999]),
    epsOption(1e-8),
    weightDecayOption(),
    numberOption("momentumDecay", 4e-3, "momentum_decay value"),
  ],
  host: { step: 0, muProduct: 1 },
  advance(h, s) {
    const step = (s.step as number) + 1;
    return { step, muProduct: f32mul(s.muProduct as number, muAt(h, step)) };
  },
  flagNames: ["weightDecay"],
  flags: (h) => ({ weightDecay: h.weightDecay !== 0 }),
  stateNames: () => ["expAvg", "expAvgSq"],
  scalarNames: ["beta1", "beta1c", "beta2", "beta2c", "eps", "weightDecay", "bc2", "c1", "c2"],
  scalars(h, { step, muProduct }) {
    const [beta1, beta2] = h.betas as Betas,
      lr = h.lr as number;
    const mu = muAt(h, step),
      muNext = muAt(h, step + 1);
    const muProductNext = f32mul(f32mul(muProduct, mu), muNext);
    return {
      beta1,
      beta1c: 1 - beta1,
      beta2,
      beta2c: 1 - beta2,
      eps: h.eps as number,
      weightDecay: h.weightDecay as number,
      bc2: 1 - beta2 ** step,
      c1: (lr * (1 - mu)) / (1 - muProduct),
      c2: (lr * muNext) / (1 - muProductNext),
    };
  },
  update(u: UpdateArgs) {
    const { s, k } = u,
      g = decayed(u);
    ema(s.expAvg, g, k.beta1, k.beta1c);
    ema(s.expAvgSq, g.mul(g), k.beta2, k.beta2c);
    const denom = s.expAvgSq.div(k.bc2).sqrt().add(k.eps);
    u.p.sub_(g.div(denom).mul(k.c1));
    u.p.sub_(s.expAvg.div(denom).mul(k.c2));
  },
};
/** torch.optim.NAdam. */
export class NAdam extends Optimizer<NAdamGroup> {
  constructor(params: Params<NAdamGroup>, options?: NAdamOptions) {
    super(params, options, nadamRule);
  }
}
