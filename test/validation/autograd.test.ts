// Bad input to autograd: backward(gradient, opts), the .grad setter, requiresGrad.
import { describe, expect, it } from "vitest";
import { enableGrad, manualSeed, noGrad, ones, randn, tensor, zeros } from "../../index";
import { refuses } from "./support";

const bad = (v: unknown) => v as never;

describe("backward(gradient, opts)", () => {
  it("the gradient must be a Tensor (or absent)", () => {
    const x = randn([3], { requiresGrad: true });
    const y = x.mul(2);
    refuses(
      () => y.sum().backward(bad(5)),
      TypeError,
      "gradients can be either Tensors or None, but got int",
      x,
    );
    refuses(
      () => y.backward(bad([1, 1, 1])),
      TypeError,
      "gradients can be either Tensors or None, but got list",
      x,
    );
    refuses(() => y.backward(bad("1")), TypeError, "but got str", x);
    refuses(() => y.backward(bad(new Proxy(ones([3]), {}))), TypeError, "but got object", x);
    refuses(
      () => y.backward(ones([2])),
      Error,
      "Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a shape of torch.Size([3]).",
      x,
    );
    refuses(() => y.backward(), Error, "grad can be implicitly created only for scalar outputs", x);
    expect(x.grad).toBeNull();
    y.backward(ones([3]));
    expect(x.grad!.tolist()).toEqual([2, 2, 2]);
  });
  it("backward(null) is backward() (PyTorch's None)", () => {
    const x = randn([3], { requiresGrad: true });
    x.sum().backward(null);
    expect(x.grad!.tolist()).toEqual([1, 1, 1]);
  });
  it("options: retainGraph a boolean, unknown keys refused, nothing run", () => {
    const x = randn([3], { requiresGrad: true });
    const y = x.exp().sum();
    refuses(
      () => y.backward(undefined, bad({ retainGraph: "yes" })),
      TypeError,
      "backward(): argument 'retainGraph' must be bool, not str",
      x,
    );
    refuses(
      () => y.backward(undefined, bad({ retain_graph: true })),
      TypeError,
      'backward(): unknown option "retain_graph"; the options are retainGraph',
      x,
    );
    refuses(
      () => y.backward(undefined, bad(true)),
      TypeError,
      "backward(): options must be an object, not bool",
      x,
    );
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(x.grad!.values()).toEqual(x.exp().mul(2).values());
  });
  it("an inherited retainGraph (polluted Object.prototype) is not read", () => {
    const x = randn([3], { requiresGrad: true });
    const y = x.exp().sum();
    const proto = Object.prototype as Record<string, unknown>;
    try {
      proto.retainGraph = true;
      y.backward(undefined, {});
    } finally {
      delete proto.retainGraph;
    }
    refuses(() => y.backward(), Error, "Trying to backward through the graph a second time");
  });
});

describe("the .grad setter checks what PyTorch checks", () => {
  it("a tensor of the same shape and dtype, or null", () => {
    const p = zeros([2], { requiresGrad: true });
    refuses(
      () => {
        p.grad = zeros([3]);
      },
      Error,
      "assigned grad has data of a different size",
      p,
    );
    refuses(
      () => {
        p.grad = zeros([2, 1]);
      },
      Error,
      "assigned grad has data of a different size",
      p,
    );
    refuses(
      () => {
        p.grad = zeros([2], { dtype: "float64" });
      },
      Error,
      "assigned grad has data of a different type",
      p,
    );
    refuses(
      () => {
        p.grad = bad(5);
      },
      TypeError,
      "assigned grad expected to be a Tensor or None but got grad of type int",
      p,
    );
    refuses(
      () => {
        p.grad = bad([0, 0]);
      },
      TypeError,
      "but got grad of type list",
      p,
    );
    refuses(
      () => {
        p.grad = bad(new Proxy(zeros([2]), {}));
      },
      TypeError,
      "but got grad of type object",
      p,
    );
    p.grad = tensor([1, 2]);
    expect(p.grad!.tolist()).toEqual([1, 2]);
    p.grad = null;
    expect(p.grad).toBeNull();
    p.grad = bad(undefined);
    expect(p.grad).toBeNull();
  });
  it("gradients accumulate into a checked grad as before", () => {
    const p = ones([2], { requiresGrad: true });
    p.grad = tensor([10, 20]);
    p.mul(3).sum().backward();
    expect(p.grad!.tolist()).toEqual([13, 23]);
  });
});

describe("grad mode and the generator", () => {
  it("noGrad/enableGrad take a function", () => {
    refuses(() => noGrad(bad(5)), TypeError, "noGrad(): expected a function to run, got number");
    refuses(
      () => enableGrad(bad(null)),
      TypeError,
      "enableGrad(): expected a function to run, got null",
    );
    expect(noGrad(() => randn([1], { requiresGrad: true }).mul(2).requiresGrad)).toBe(false);
  });
  it("manualSeed takes an integer", () => {
    refuses(
      () => manualSeed(bad(Symbol("s"))),
      TypeError,
      "manualSeed(): argument 'seed' must be an integer, not symbol",
    );
    refuses(() => manualSeed(bad("1")), TypeError, "must be an integer, not string");
    refuses(() => manualSeed(1.5), RangeError, "manualSeed: expected an integer, got 1.5");
  });
});
