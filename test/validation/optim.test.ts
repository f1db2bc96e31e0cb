// Bad input to optimizers: parameters, options, and parameters that share memory.
import { describe, expect, it } from "vitest";
import { nn, optim, type Tensor, tensor, zeros } from "../../index";
import { refuses } from "./support";

const bad = (v: unknown) => v as never;
const param = () => zeros([2], { requiresGrad: true });

describe("parameters", () => {
  it("an iterable of leaf tensors that require grad", () => {
    refuses(
      () => new optim.SGD(bad(5), { lr: 0.1 }),
      TypeError,
      "params argument given to the optimizer should be an iterable of Tensors or dicts, but got int",
    );
    refuses(() => new optim.SGD(bad(param()), { lr: 0.1 }), TypeError, "but got torch.FloatTensor");
    refuses(() => new optim.Adam(bad(null)), TypeError, "but got null");
    refuses(
      () => new optim.SGD(bad([1]), { lr: 0.1 }),
      TypeError,
      "optimizer can only optimize Tensors, but one of the params is int",
    );
    refuses(
      () => new optim.SGD(bad([param(), undefined]), { lr: 0.1 }),
      TypeError,
      "one of the params is None",
    );
    refuses(
      () => new optim.SGD(bad([new Proxy(param(), {})]), { lr: 0.1 }),
      TypeError,
      "one of the params is object",
    );
    refuses(() => new optim.SGD([], { lr: 0.1 }), Error, "optimizer got an empty parameter list");
    refuses(
      () => new optim.SGD([param().mul(2)], { lr: 0.1 }),
      Error,
      "can't optimize a non-leaf Tensor",
    );
  });
});

describe("options", () => {
  it("SGD without options or without lr: PyTorch's error, not a crash", () => {
    const p = param();
    refuses(
      () => new optim.SGD([p], bad(undefined)),
      Error,
      "parameter group didn't specify a value of required optimization parameter lr",
      p,
    );
    refuses(
      () => new optim.SGD([p], bad({})),
      Error,
      "didn't specify a value of required optimization parameter lr",
    );
    refuses(
      () => new optim.SGD([p], bad({ learningRate: 0.1 })),
      TypeError,
      'SGD(): unknown option "learningRate"; the options are lr, momentum, dampening, weightDecay, nesterov, maximize, compiled',
    );
  });
  it("numbers must be numbers and in range (PyTorch's messages)", () => {
    const p = param();
    refuses(() => new optim.SGD([p], { lr: -1 }), Error, "Invalid learning rate: -1", p);
    refuses(() => new optim.SGD([p], { lr: Number.NaN }), Error, "Invalid learning rate: NaN");
    refuses(
      () => new optim.SGD([p], { lr: bad("0.1") }),
      TypeError,
      "SGD(): argument 'lr' must be a number, not str",
    );
    refuses(
      () => new optim.SGD([p], { lr: 0.1, momentum: -1 }),
      Error,
      "Invalid momentum value: -1",
    );
    refuses(
      () => new optim.SGD([p], { lr: 0.1, momentum: bad(null) }),
      TypeError,
      "argument 'momentum' must be a number, not null",
    );
    refuses(
      () => new optim.SGD([p], { lr: 0.1, weightDecay: -1 }),
      Error,
      "Invalid weight_decay value: -1",
    );
    refuses(
      () => new optim.SGD([p], { lr: 0.1, nesterov: bad(1) }),
      TypeError,
      "SGD(): argument 'nesterov' must be bool, not int",
    );
    refuses(
      () => new optim.SGD([p], { lr: 0.1, nesterov: true }),
      Error,
      "Nesterov momentum requires a momentum and zero dampening",
    );
    refuses(
      () => new optim.SGD([p], { lr: 0.1, compiled: bad("no") }),
      TypeError,
      "argument 'compiled' must be bool, not str",
    );
    refuses(() => new optim.Adam([p], { lr: -1 }), Error, "Invalid learning rate: -1");
    refuses(() => new optim.Adam([p], { eps: -1 }), Error, "Invalid epsilon value: -1.0");
    refuses(
      () => new optim.Adam([p], { betas: [1.5, 0.9] }),
      Error,
      "Invalid beta parameter at index 0: 1.5",
    );
    refuses(
      () => new optim.Adam([p], { betas: bad([0.9]) }),
      TypeError,
      "Adam(): betas must be a pair of numbers, not list",
    );
    refuses(
      () => new optim.Adam([p], { betas: bad("0.9,0.99") }),
      TypeError,
      "betas must be a pair of numbers, not str",
    );
    refuses(
      () => new optim.Adam([p], { betas: bad([0.9, "0.99"]) }),
      TypeError,
      "Adam(): argument 'betas[1]' must be a number, not str",
    );
    refuses(
      () => new optim.Adam([p], bad({ beta1: 0.9 })),
      TypeError,
      'Adam(): unknown option "beta1"; the options are lr, betas, eps, weightDecay, amsgrad, maximize, compiled',
    );
  });
  it("inherited options (a polluted Object.prototype) are never read", () => {
    const proto = Object.prototype as Record<string, unknown>;
    try {
      proto.lr = 0.5;
      proto.momentum = 0.9;
      const p = param();
      refuses(() => new optim.SGD([p], bad({})), Error, "required optimization parameter lr", p);
      const opt = new optim.Adam([p], {});
      expect(opt.lr).toBe(1e-3);
    } finally {
      delete proto.lr;
      delete proto.momentum;
    }
  });
  it("betas are copied: changing the caller's array later changes nothing", () => {
    const betas: [number, number] = [0.8, 0.9];
    const opt = new optim.Adam([param()], { betas });
    betas[0] = 5;
    expect(opt.betas).toEqual([0.8, 0.9]);
  });
});

describe("parameters that share memory", () => {
  // base [1, 2, 3, 4]; a = base[0:3], b = base[1:4], both leaves requiring grad, grads of ones
  const setup = () => {
    const base = tensor([1, 2, 3, 4]);
    const a = base.narrow(0, 0, 3).requiresGrad_(),
      b = base.narrow(0, 1, 3).requiresGrad_();
    a.grad = tensor([1, 1, 1]);
    b.grad = tensor([1, 1, 1]);
    return { base, a, b };
  };
  it("the compiled update refuses overlapping views at construction (it would read both before writing)", () => {
    const { base, a, b } = setup();
    refuses(
      () => new optim.SGD([a, b], { lr: 0.1, weightDecay: 0.5 }),
      Error,
      "parameters 0 and 1 share memory (overlapping views of one tensor)",
      base,
      a,
      b,
    );
    refuses(
      () => new optim.Adam([a, base.narrow(0, 0, 3).requiresGrad_()]),
      Error,
      "parameters 0 and 1 share memory",
    );
  });
  it("{ compiled: false } updates them one after the other, as PyTorch (golden from torch 1.13)", () => {
    const round = (t: Tensor) => t.values().map((v) => Math.round(v * 1e6) / 1e6);
    let { base, a, b } = setup();
    new optim.SGD([a, b], { lr: 0.1, weightDecay: 0.5, compiled: false }).step();
    expect(round(base)).toEqual([0.85, 1.61, 2.5125, 3.7]);
    ({ base, a, b } = setup());
    new optim.Adam([a, b], { lr: 0.1, compiled: false }).step();
    expect(round(base)).toEqual([0.9, 1.8, 2.8, 3.9]);
  });
  it("views that do not overlap are accepted", () => {
    const base = tensor([1, 2, 3, 4]);
    const a = base.narrow(0, 0, 2).requiresGrad_(),
      b = base.narrow(0, 2, 2).requiresGrad_();
    a.grad = tensor([1, 1]);
    b.grad = tensor([2, 2]);
    new optim.SGD([a, b], { lr: 0.5 }).step();
    expect(base.tolist()).toEqual([0.5, 1.5, 2, 3]);
  });
});

describe("a step with bad state set after construction", () => {
  it("lr changed to a string is refused at the next step, nothing updated", () => {
    const p = param();
    p.grad = tensor([1, 1]);
    const opt = new optim.SGD([p], { lr: 0.1 });
    opt.lr = bad("0.1");
    refuses(
      () => opt.step(),
      TypeError,
      "SGD.step(): argument 'paramGroups[0].lr' must be a number, not str",
      p,
    );
  });
});

describe("the other optimizers, groups, state dicts, schedulers, clipping", () => {
  const withGrad = () => {
    const p = param();
    p.grad = tensor([1, -1]);
    return p;
  };
  it("options of every optimizer and group, checked at construction and at each step", () => {
    const p = withGrad();
    refuses(() => new optim.RMSprop([p], { alpha: -1 }), Error, "Invalid alpha value: -1", p);
    refuses(
      () => new optim.Adagrad([p], { lrDecay: bad("x") }),
      TypeError,
      "Adagrad(): argument 'lrDecay' must be a number, not str",
      p,
    );
    refuses(
      () => new optim.SGD([{ params: [p], lr: 0.1, momentum: -1 }], {}),
      Error,
      "Invalid momentum value: -1",
      p,
    );
    refuses(
      () => new optim.Adam([p]).addParamGroup({ params: [param().mul(2)] }),
      Error,
      "can't optimize a non-leaf Tensor",
      p,
    );
    const opt = new optim.NAdam([p]);
    opt.paramGroups[0].lr = -1;
    refuses(() => opt.step(), Error, "Invalid learning rate: -1", p);
    refuses(
      () => opt.loadStateDict({ state: {}, paramGroups: [{ params: [0, 1], lr: 0.1 }] }),
      Error,
      "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
      p,
    );
  });
  it("schedulers and clipping", () => {
    const p = withGrad();
    const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
    refuses(
      () => new optim.lrScheduler.StepLR(opt, { stepSize: 0 }),
      Error,
      "StepLR(): stepSize must be a positive integer, got 0",
      p,
    );
    refuses(
      () =>
        new optim.lrScheduler.OneCycleLR(opt, {
          maxLr: 1,
          totalSteps: 10,
          annealStrategy: bad("exp"),
        }),
      Error,
      "anneal_strategy must by one of 'cos' or 'linear', instead got exp",
      p,
    );
    refuses(
      () => new optim.lrScheduler.ReduceLROnPlateau(opt, { minLr: [0.1, 0.2] }),
      Error,
      "expected 1 min_lrs, got 2",
      p,
    );
    refuses(
      () => nn.utils.clipGradNorm_([p], -1),
      Error,
      "clipGradNorm_(): maxNorm must be a non-negative number, got -1",
      p,
    );
    refuses(
      () => nn.utils.clipGradValue_(p, bad("1")),
      TypeError,
      "clipGradValue_(): argument 'clipValue' (position 2) must be a number, not str",
      p,
    );
  });
});
