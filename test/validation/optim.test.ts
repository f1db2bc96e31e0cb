// Bad input to optimizers: parameters, options, and parameters that share memory.
import { describe, expect, it } from "vitest";
import { optim, type Tensor, tensor, zeros } from "../../index";
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
