// torch.optim.SGD: momentum with dampening, Nesterov, weight decay, maximize.
import { Tensor } from "../../runtime/tensor";
import { groupAccessors, Optimizer, type OptimizerOptions, type Params } from "./optimizer";
import { decayed, flagOption, lrOption, numberOption, type Rule, weightDecayOption } from "./rule";

/** Options of `SGD`, as torch.optim.SGD's. */
export interface SGDOptions extends OptimizerOptions {
  /** The learning rate (required, here or in every group). */
  lr?: number;
  /** Momentum factor. Default 0. */
  momentum?: number;
  /** Dampening of the momentum. Default 0. */
  dampening?: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
  /** Nesterov momentum. Default false. */
  nesterov?: boolean;
  /** Maximize the objective (step along the gradient). Default false. */
  maximize?: boolean;
}
/** An SGD parameter group's options. */
export type SGDGroup = Required<Omit<SGDOptions, "compiled">>;

/**
 * d = g + weightDecay * p (g negated when maximizing); with momentum, buf = d on a parameter's first
 * step, then buf = momentum * buf + (1 - dampening) * d, and d = buf (nesterov: d + momentum *
 * buf); p -= lr * d.
 */
export const sgdRule: Rule = {
  name: "SGD",
  options: [
    lrOption(),
    numberOption("momentum", 0, "momentum value"),
    { name: "dampening", kind: "number", default: 0 },
    weightDecayOption(),
    flagOption("nesterov"),
    flagOption("maximize"),
  ],
  check(h) {
    if (h.nesterov && ((h.momentum as number) <= 0 || h.dampening !== 0))
      throw new Error("Nesterov momentum requires a momentum and zero dampening");
  },
  host: {},
  advance: () => ({}),
  flagNames: ["maximize", "weightDecay", "momentum", "first", "nesterov"],
  flags: (h, s) => ({
    maximize: h.maximize as boolean,
    weightDecay: h.weightDecay !== 0,
    momentum: h.momentum !== 0,
    first: !(s.momentumBuffer instanceof Tensor),
    nesterov: h.nesterov as boolean,
  }),
  stateNames: (f) => (f.momentum ? ["momentumBuffer"] : []),
  scalarNames: ["lr", "momentum", "undamped", "weightDecay"],
  scalars: (h) => ({
    lr: h.lr as number,
    momentum: h.momentum as number,
    undamped: 1 - (h.dampening as number),
    weightDecay: h.weightDecay as number,
  }),
  update(u) {
    const { s, k, f } = u;
    let d = decayed(u);
    if (f.momentum) {
      const buf = s.momentumBuffer;
      if (f.first) buf.copy_(d);
      else buf.mul_(k.momentum).add_(d.mul(k.undamped));
      d = f.nesterov ? d.add(buf.mul(k.momentum)) : buf;
    }
    u.p.sub_(d.mul(k.lr));
  },
};

/** torch.optim.SGD (see `sgdRule` for the update). */
export class SGD extends Optimizer<SGDGroup> {
  /** The first group's option; setting it sets every group's. */
  declare momentum: number;
  declare dampening: number;
  declare weightDecay: number;
  declare nesterov: boolean;
  constructor(params: Params<SGDGroup>, options: SGDOptions) {
    super(params, options, sgdRule);
  }
  /** Each parameter's momentum buffer (null before its first step with momentum). */
  get momentumBuffers(): (Tensor | null)[] {
    return this.params.map((p) => {
      const b = this.state.get(p)?.momentumBuffer;
      return b instanceof Tensor ? b : null;
    });
  }
}
groupAccessors(SGD, ["momentum", "dampening", "weightDecay", "nesterov"]);
