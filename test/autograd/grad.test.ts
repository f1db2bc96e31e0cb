// autograd.grad and backward({ createGraph }): what they return and touch, retainGraph's default,
// and PyTorch 1.13's errors (wording checked against PyTorch by hand, values in golden.test.ts).
import { describe, expect, it } from "vitest";
import { autograd, CompileError, compile, type Tensor, tensor } from "../../index";
import { f64 } from "../support/gradcheck";

describe("autograd.grad", () => {
  it("returns the gradients in input order and leaves every .grad alone", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const w = tensor([3, 4], { requiresGrad: true });
    const y = x.mul(w).sum();
    const [gx, gw] = autograd.grad(y, [x, w]);
    expect(gx!.tolist()).toEqual([3, 4]);
    expect(gw!.tolist()).toEqual([1, 2]);
    expect(x.grad).toBeNull();
    expect(w.grad).toBeNull();
    expect(gx!.requiresGrad).toBe(false);
  });

  it("takes gradients with respect to non-leaf tensors, and gradOutputs for non-scalars", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const h = x.mul(2);
    const y = h.pow(2);
    const [gh, gx] = autograd.grad(y, [h, x], { gradOutputs: tensor([1, 0, 1]) });
    expect(gh!.tolist()).toEqual([4, 0, 12]); // 2h
    expect(gx!.tolist()).toEqual([8, 0, 24]);
  });

  it("retainGraph defaults to createGraph; without either the graph is freed", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.exp().sum();
    autograd.grad(y, x);
    expect(() => autograd.grad(y, x)).toThrow("Trying to backward through the graph a second time");
    const z = x.exp().sum();
    autograd.grad(z, x, { createGraph: true });
    expect(autograd.grad(z, x)[0]!.values()).toEqual(x.exp().values());
  });

  it("createGraph: the gradients have a graph, differentiated again (gradgradcheck in float64)", () => {
    const fns: ((x: Tensor, y: Tensor) => Tensor)[] = [
      (x, y) => x.mul(y).sin().sum(),
      (x, y) => x.matmul(y.T).tanh().pow(2).mean(),
      (x, y) => x.div(y.abs().add(1)).logsumexp(1).sum(),
    ];
    for (const fn of fns) {
      const x = f64([2, 3]),
        y = f64([2, 3]);
      const u = [f64([2, 3]).detach(), f64([2, 3]).detach()];
      // s(x, y) = <grad f, u>; its gradient by double backward against central differences
      const s = (x: Tensor, y: Tensor) => {
        const gs = autograd.grad(fn(x, y), [x, y], { createGraph: true });
        return gs[0]!.mul(u[0]).sum().add(gs[1]!.mul(u[1]).sum());
      };
      const analytic = autograd.grad(s(x, y), [x, y]);
      [x, y].forEach((t, k) => {
        const st = t.storage!;
        for (let i = 0; i < t.numel(); i++) {
          const orig = st[i];
          st[i] = orig + 1e-6;
          const up = s(x, y).item();
          st[i] = orig - 1e-6;
          const down = s(x, y).item();
          st[i] = orig;
          const numeric = (up - down) / 2e-6;
          expect(Math.abs(analytic[k]!.values()[i] - numeric)).toBeLessThan(1e-6);
        }
      });
    }
  });

  it("PyTorch's errors", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const unused = tensor(1.0, { requiresGrad: true });
    const y = () => x.mul(2).sum();
    expect(() => autograd.grad(y(), [x, unused])).toThrow(
      "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.",
    );
    const [gx, gu] = autograd.grad(y(), [x, unused], { allowUnused: true });
    expect(gx!.tolist()).toEqual([2, 2]);
    expect(gu).toBeNull();
    expect(() => autograd.grad(y(), tensor(1.0))).toThrow(
      "One of the differentiated Tensors does not require grad",
    );
    expect(() => autograd.grad(tensor(1.0), x)).toThrow(
      "element 0 of tensors does not require grad and does not have a grad_fn",
    );
    expect(() => autograd.grad(x.mul(2), x)).toThrow(
      "grad can be implicitly created only for scalar outputs",
    );
    expect(() => autograd.grad([y(), y()], x, { gradOutputs: [null] })).toThrow(
      "got 2 tensors and 1 gradients",
    );
    expect(() => autograd.grad(x.mul(2), x, { gradOutputs: tensor([1, 2, 3]) })).toThrow(
      "Mismatch in shape: grad_output[0] has a shape of torch.Size([3]) and output[0] has a shape of torch.Size([2]).",
    );
    expect(() => autograd.grad(y(), x, { createGraph: 1 as unknown as boolean })).toThrow(
      TypeError,
    );
    expect(() => autograd.grad(y(), x, { only: true } as never)).toThrow(TypeError);
    expect(() => compile((x: Tensor) => autograd.grad(x.sum(), x)[0]!)(x)).toThrow(CompileError);
  });
});

describe("backward({ createGraph })", () => {
  it("leaves a .grad with a graph (CopyBackwards), accumulated out of place", () => {
    const x = tensor(2.0, { requiresGrad: true });
    x.pow(3).backward(undefined, { createGraph: true });
    expect(String(x.grad)).toBe("tensor(12., grad_fn=<CopyBackwards>)");
    x.pow(2).backward(undefined, { createGraph: true });
    expect(String(x.grad)).toBe("tensor(16., grad_fn=<AddBackward0>)");
    x.grad!.backward();
    expect(String(x.grad)).toBe("tensor(30., grad_fn=<AddBackward0>)"); // PyTorch: the same
  });
});
