// Optimizers with PyTorch 1.13's update rules (torch.optim.SGD, torch.optim.Adam, non-amsgrad).
// A step updates every parameter with one compiled function (like PyTorch's foreach/fused
// optimizers): it takes the parameters, their grads and the optimizer state as arguments and
// updates them in place (sub_, mul_, add_, copy_) under noGrad; compile() functionalizes those
// updates into a few fused loop kernels and writes the results back. Hyperparameters that change
// from step to step (lr, Adam's bias corrections) are 0-d tensor arguments, so they do not cause
// recompiles; the others are number arguments (a change recompiles once).
import { type Compiled, compile, type Explanation } from "../compiler/compile";
import { afterCall, callTimeScalar, guardEveryCall, tracingStep } from "../compiler/step";
import { torchTypeName } from "../ir/dtype";
import { fmtShape } from "../ir/shape";
import * as arg from "../runtime/args";
import { noGrad } from "../runtime/autograd";
import { zerosLike } from "../runtime/create";
import { Tensor } from "../runtime/tensor";

type Update = (...args: (Tensor | number)[]) => Tensor[];
// Python's str() of a float, for PyTorch's messages: 1 -> "1.0"
const pyFloat = (v: number) => (Number.isInteger(v) ? v.toFixed(1) : String(v));

/** Options common to the optimizers. */
export interface OptimizerOptions {
  /** false: run the same update op by op (eager), for comparison and debugging. Default true. */
  compiled?: boolean;
}

/**
 * Base of the optimizers: holds the parameters; `step()` updates them from their `grad` with one
 * compiled, fused update.
 */
export abstract class Optimizer {
  /** The parameters being optimized. */
  readonly params: Tensor[];
  /** The number of steps taken. */
  stepCount = 0;
  private readonly compiledUpdate: Compiled<(Tensor | number)[], Tensor[]>;

  constructor(
    params: Iterable<Tensor>,
    private readonly update: Update,
    private readonly opts: OptimizerOptions,
  ) {
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
    for (const p of list) {
      if (!Tensor.isTensor(p))
        throw new TypeError(
          `optimizer can only optimize Tensors, but one of the params is ${p === null || p === undefined ? "None" : arg.typeName(p)}`,
        );
      if (!p.isLeaf) throw new Error("can't optimize a non-leaf Tensor");
      // PyTorch 1.13 accepts such a tensor and silently never updates it; earlier PyTorch raised this
      if (!p.requiresGrad) throw new Error("optimizing a parameter that doesn't require gradients");
    }
    if (new Set(list).size !== list.length)
      throw new Error("some parameters appear in more than one parameter group");
    const tensors = list as Tensor[];
    if (opts.compiled !== false) refuseOverlaps(tensors);
    this.params = tensors;
    this.compiledUpdate = compile(update as (...args: (Tensor | number)[]) => Tensor[], {
      cacheLimit: 16,
    });
  }

  /** Calls and compilations of the compiled update (one compile per parameter-set signature). */
  get stats() {
    return this.compiledUpdate.stats;
  }

  /** Sets every parameter's grad to null (PyTorch 2's default, set_to_none=True). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** The parameters that have a gradient, checked before anything is updated. */
  protected withGrads(): number[] {
    const idx: number[] = [];
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      if (p.grad.shape.join() !== p.shape.join()) {
        throw new Error(
          `the gradient of parameter ${i} has shape ${fmtShape(p.grad.shape)}, but the parameter has shape ${fmtShape(p.shape)}`,
        );
      }
      if (p.grad.dtype !== p.dtype)
        throw new Error(
          `the gradient of parameter ${i} is ${p.grad.dtype}, but the parameter is ${p.dtype}`,
        );
      idx.push(i);
    });
    return idx;
  }

  protected run(args: (Tensor | number)[]): void {
    if (tracingStep()) this.guardBaked();
    noGrad(() =>
      this.opts.compiled === false ? this.update(...args) : this.compiledUpdate(...args),
    );
  }

  // ---- inside compile() (a whole training step, compiler/step.ts) ----
  // step() then runs once, while tracing: what changes from step to step is read at every call
  // (scalar), the bookkeeping runs after every call (later), state is created as eager would
  // (state), and every other hyperparameter is baked into the code with a guard (guardBaked).
  /**
   * A 0-d hyperparameter tensor of `read()` in the parameters' dtype (a float32 update sees the
   * float32-rounded value, as PyTorch casts a Python scalar), read again at every call of a
   * compiled step.
   */
  protected scalar(p: Tensor, read: () => number): Tensor {
    return callTimeScalar(read, p.dtype);
  }
  /** Bookkeeping (step counts): now, or after every call of a compiled step. */
  protected later(effect: () => void): void {
    afterCall(effect);
  }
  /** Parameter i's state tensor in `list`, zeros on its first step (stored once that step ran). */
  protected state(list: (Tensor | null)[], i: number): Tensor {
    const have = list[i];
    guardEveryCall(() => list[i] === have);
    if (have) return have;
    const t = zerosLike(this.params[i]);
    afterCall(() => {
      list[i] = t;
    });
    return t;
  }
  // Number and boolean options (momentum, betas, eps, weightDecay, nesterov, ...) are baked into a
  // compiled step; a change retraces. lr and the step counts are read at call time instead.
  private guardBaked(): void {
    const keys = Object.keys(this).filter((k) => {
      const v = (this as Record<string, unknown>)[k];
      return (
        !READ_AT_CALL_TIME.has(k) &&
        (typeof v === "number" ||
          typeof v === "boolean" ||
          (Array.isArray(v) && v.every((x) => typeof x === "number")))
      );
    });
    const self = this as Record<string, unknown>,
      baked = keys.map((k) => (Array.isArray(self[k]) ? [...(self[k] as number[])] : self[k]));
    guardEveryCall(() => {
      for (let k = 0; k < keys.length; k++) {
        const v = self[keys[k]],
          b = baked[k];
        if (!Array.isArray(b)) {
          if (!Object.is(v, b)) return false;
        } else if (
          !Array.isArray(v) ||
          v.length !== b.length ||
          v.some((x, j) => !Object.is(x, b[j]))
        )
          return false;
      }
      return true;
    });
  }
  protected explainRun(args: (Tensor | number)[]): Explanation {
    return noGrad(() => this.compiledUpdate.explain(...args));
  }
  /** The compiled update the next step() would run (its IR, code and kernel counts). */
  abstract explain(): Explanation;
  /** Updates every parameter that has a gradient. */
  abstract step(): void;
}

const READ_AT_CALL_TIME = new Set(["lr", "stepCount", "steps"]);

const compiledOption = (v: unknown, fn: string): OptimizerOptions =>
  v === undefined ? {} : { compiled: arg.bool(v, fn, "compiled") };

// Parameters that share memory (overlapping views of one tensor): PyTorch's optimizers update them
// one after the other, each seeing the others' updates. jitgrad's compiled update reads every
// parameter before writing any, so its result would differ: refused here, at construction
// ({ compiled: false } runs the one-by-one update and accepts them).
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

// ---------------------------------------------------------------- SGD

/** Options of `SGD`, as torch.optim.SGD's. */
export interface SGDOptions extends OptimizerOptions {
  /** The learning rate (required). */
  lr: number;
  /** Momentum factor. Default 0. */
  momentum?: number;
  /** Dampening of the momentum. Default 0. */
  dampening?: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
  /** Nesterov momentum. Default false. */
  nesterov?: boolean;
}

/**
 * torch.optim.SGD: d = g + weightDecay * p; with momentum, buf = d on a parameter's first step,
 * then buf = momentum * buf + (1 - dampening) * d, and d = buf (nesterov: d + momentum * buf);
 * p -= lr * d.
 */
export class SGD extends Optimizer {
  /** The learning rate (may be changed between steps without recompiling). */
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** Each parameter's momentum buffer (null before its first step with momentum). */
  readonly momentumBuffers: (Tensor | null)[];

  constructor(params: Iterable<Tensor>, options: SGDOptions) {
    const o = arg.options(options, "SGD", [
      "lr",
      "momentum",
      "dampening",
      "weightDecay",
      "nesterov",
      "compiled",
    ]);
    if (o.lr === undefined)
      throw new Error(
        "parameter group didn't specify a value of required optimization parameter lr",
      );
    const lr = arg.number(o.lr, "SGD", "lr"),
      num = (v: unknown, name: string) => (v === undefined ? 0 : arg.number(v, "SGD", name));
    const momentum = num(o.momentum, "momentum"),
      dampening = num(o.dampening, "dampening"),
      weightDecay = num(o.weightDecay, "weightDecay"),
      nesterov = o.nesterov === undefined ? false : arg.bool(o.nesterov, "SGD", "nesterov"),
      opts = compiledOption(o.compiled, "SGD");
    if (!(lr >= 0)) throw new Error(`Invalid learning rate: ${lr}`);
    if (!(momentum >= 0)) throw new Error(`Invalid momentum value: ${momentum}`);
    if (!(weightDecay >= 0)) throw new Error(`Invalid weight_decay value: ${weightDecay}`);
    if (nesterov && (momentum <= 0 || dampening !== 0))
      throw new Error("Nesterov momentum requires a momentum and zero dampening");
    super(params, sgdUpdate, opts);
    this.lr = lr;
    this.momentum = momentum;
    this.dampening = dampening;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
    this.momentumBuffers = this.params.map(() => null);
  }

  // One call per group of parameters in the same state (momentum buffer new or not).
  private groups(): { first: number; idx: number[] }[] {
    const idx = this.withGrads();
    if (this.momentum === 0) return [{ first: 0, idx }];
    return [0, 1].map((first) => ({
      first,
      idx: idx.filter((i) => (this.momentumBuffers[i] === null) === (first === 1)),
    }));
  }
  private args(first: number, idx: number[]): (Tensor | number)[] {
    const ps = idx.map((i) => this.params[i]);
    const bufs = this.momentum === 0 ? [] : idx.map((i) => this.state(this.momentumBuffers, i));
    return [
      idx.length,
      first,
      this.momentum,
      this.dampening,
      this.weightDecay,
      this.nesterov ? 1 : 0,
      this.scalar(ps[0] ?? this.params[0], () => this.lr),
      ...ps,
      ...ps.map((p) => p.grad!),
      ...bufs,
    ];
  }
  step(): void {
    for (const { first, idx } of this.groups()) if (idx.length) this.run(this.args(first, idx));
    this.later(() => this.stepCount++);
  }
  explain(): Explanation {
    const g = this.groups().find((x) => x.idx.length) ?? { first: 0, idx: [] };
    if (!g.idx.length)
      throw new Error("explain(): no parameter has a gradient yet; call backward() first");
    // momentum buffers made here for explaining only are dropped again
    const had = this.momentumBuffers.slice();
    try {
      return this.explainRun(this.args(g.first, g.idx));
    } finally {
      had.forEach((b, i) => {
        this.momentumBuffers[i] = b;
      });
    }
  }
}

function sgdUpdate(...args: (Tensor | number)[]): Tensor[] {
  const [n, first, momentum, dampening, weightDecay, nesterov] = args as number[];
  const lr = args[6] as Tensor,
    ts = args.slice(7) as Tensor[];
  const ps = ts.slice(0, n),
    gs = ts.slice(n, 2 * n),
    bufs = ts.slice(2 * n, 3 * n);
  ps.forEach((p, i) => {
    let d = gs[i];
    if (weightDecay !== 0) d = d.add(p, weightDecay);
    if (momentum !== 0) {
      const buf = bufs[i];
      if (first) buf.copy_(d);
      else buf.mul_(momentum).add_(d, 1 - dampening);
      d = nesterov ? d.add(buf, momentum) : buf;
    }
    p.sub_(d.mul(lr));
  });
  return [];
}

// ---------------------------------------------------------------- Adam

/** Options of `Adam`, as torch.optim.Adam's (lr 1e-3, betas [0.9, 0.999], eps 1e-8). */
export interface AdamOptions extends OptimizerOptions {
  /** The learning rate. Default 1e-3. */
  lr?: number;
  /** Decay rates of the first and second moment estimates. Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to the denominator for stability. Default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
}

/**
 * torch.optim.Adam (amsgrad=False, maximize=False), per parameter at its step t:
 *   g = g + weightDecay * p
 *   m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2
 *   p -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 */
export class Adam extends Optimizer {
  /** The learning rate (may be changed between steps without recompiling). */
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  /** Each parameter's first moment estimate m (null before its first step). */
  readonly expAvg: (Tensor | null)[];
  /** Each parameter's second moment estimate v (null before its first step). */
  readonly expAvgSq: (Tensor | null)[];
  /** Each parameter's step count t. */
  readonly steps: number[];

  constructor(params: Iterable<Tensor>, options?: AdamOptions) {
    const o = arg.options(options, "Adam", ["lr", "betas", "eps", "weightDecay", "compiled"]);
    const num = (v: unknown, name: string, fallback: number) =>
      v === undefined ? fallback : arg.number(v, "Adam", name);
    const lr = num(o.lr, "lr", 1e-3),
      eps = num(o.eps, "eps", 1e-8),
      weightDecay = num(o.weightDecay, "weightDecay", 0),
      opts = compiledOption(o.compiled, "Adam");
    let betas: [number, number] = [0.9, 0.999];
    if (o.betas !== undefined) {
      const b = Array.isArray(o.betas) ? [...o.betas] : null;
      if (b?.length !== 2)
        throw new TypeError(
          `Adam(): betas must be a pair of numbers, not ${arg.typeName(o.betas)}`,
        );
      betas = [arg.number(b[0], "Adam", "betas[0]"), arg.number(b[1], "Adam", "betas[1]")];
    }
    if (!(lr >= 0)) throw new Error(`Invalid learning rate: ${lr}`);
    if (!(eps >= 0)) throw new Error(`Invalid epsilon value: ${pyFloat(eps)}`);
    if (!(betas[0] >= 0 && betas[0] < 1))
      throw new Error(`Invalid beta parameter at index 0: ${pyFloat(betas[0])}`);
    if (!(betas[1] >= 0 && betas[1] < 1))
      throw new Error(`Invalid beta parameter at index 1: ${pyFloat(betas[1])}`);
    if (!(weightDecay >= 0)) throw new Error(`Invalid weight_decay value: ${weightDecay}`);
    super(params, adamUpdate, opts);
    this.lr = lr;
    this.betas = [betas[0], betas[1]];
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.expAvg = this.params.map(() => null);
    this.expAvgSq = this.params.map(() => null);
    this.steps = this.params.map(() => 0);
  }

  // Parameters at the same step share bias corrections: one call per step count (usually one).
  private groups(): number[][] {
    const byStep = new Map<number, number[]>();
    for (const i of this.withGrads())
      byStep.set(this.steps[i], [...(byStep.get(this.steps[i]) ?? []), i]);
    return [...byStep.values()];
  }
  private args(idx: number[]): (Tensor | number)[] {
    const ps = idx.map((i) => this.params[i]),
      t = () => this.steps[idx[0]] + 1;
    const [beta1, beta2] = this.betas;
    return [
      idx.length,
      beta1,
      beta2,
      this.eps,
      this.weightDecay,
      // Python doubles, as torch: step size and the square root of the second bias correction
      this.scalar(ps[0], () => this.lr / (1 - this.betas[0] ** t())),
      this.scalar(ps[0], () => Math.sqrt(1 - this.betas[1] ** t())),
      ...ps,
      ...ps.map((p) => p.grad!),
      ...idx.map((i) => this.state(this.expAvg, i)),
      ...idx.map((i) => this.state(this.expAvgSq, i)),
    ];
  }
  step(): void {
    for (const idx of this.groups()) {
      this.run(this.args(idx));
      this.later(() => {
        for (const i of idx) this.steps[i]++;
      });
    }
    this.later(() => this.stepCount++);
  }
  explain(): Explanation {
    const idx = this.groups()[0];
    if (!idx) throw new Error("explain(): no parameter has a gradient yet; call backward() first");
    return this.explainRun(this.args(idx));
  }
}

function adamUpdate(...args: (Tensor | number)[]): Tensor[] {
  const [n, beta1, beta2, eps, weightDecay] = args as number[];
  const stepSize = args[5] as Tensor,
    bc2Sqrt = args[6] as Tensor,
    ts = args.slice(7) as Tensor[];
  const ps = ts.slice(0, n),
    gs = ts.slice(n, 2 * n),
    ms = ts.slice(2 * n, 3 * n),
    vs = ts.slice(3 * n, 4 * n);
  ps.forEach((p, i) => {
    const g = weightDecay !== 0 ? gs[i].add(p, weightDecay) : gs[i];
    ms[i].mul_(beta1).add_(g, 1 - beta1);
    vs[i].mul_(beta2).add_(g.mul(g), 1 - beta2); // addcmul_(g, g, value=1 - beta2)
    const denom = vs[i].sqrt().div(bc2Sqrt).add(eps);
    p.sub_(ms[i].mul(stepSize).div(denom)); // addcdiv_(m, denom, value=-step_size)
  });
  return [];
}
