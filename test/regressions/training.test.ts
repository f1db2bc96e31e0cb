// Defects found reviewing the training toolkit (optimizers, schedulers, data, checkpoints), each
// with the input that showed it. Expected values are PyTorch 1.13's behaviour.
import { describe, expect, it } from "vitest";
import {
  data,
  load,
  loadSafetensors,
  nn,
  optim,
  save,
  saveSafetensors,
  type Tensor,
  tensor,
} from "../../index";

const param = () => tensor([1, 2, 3], { requiresGrad: true, dtype: "float64" });
const withGrad = (p: Tensor) => {
  p.grad = tensor([1, 1, 1], { dtype: "float64" });
  return p;
};

describe("optimizer options read at step time", () => {
  it("a group whose lr was removed or set to undefined is refused, not stepped with the default lr", () => {
    for (const edit of [
      (g: Record<string, unknown>) => delete g.lr,
      (g: Record<string, unknown>) => (g.lr = undefined),
    ]) {
      const p = withGrad(param());
      const o = new optim.SGD([p], { lr: 0.5 });
      edit(o.paramGroups[0] as unknown as Record<string, unknown>);
      expect(() => o.step()).toThrow(/paramGroups\[0\]\.lr/);
      expect(p.tolist()).toEqual([1, 2, 3]);
    }
  });
});

describe("optimizer loadStateDict: step counts", () => {
  it("a step that is NaN, negative or not an integer is refused (was: NaN parameters)", () => {
    for (const bad of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY]) {
      const p = withGrad(param());
      const o = new optim.Adam([p], { lr: 0.5 });
      o.step();
      const sd = o.stateDict();
      const before = o.stateDict();
      sd.state[0].step = bad;
      expect(() => o.loadStateDict(sd)).toThrow(/step/);
      expect(o.stateDict().state[0].step).toBe(before.state[0].step);
    }
  });
});

describe("lr schedulers and groups added after them", () => {
  it("stepTo leaves a group the scheduler does not know untouched (PyTorch's zip)", () => {
    const p = param(),
      q = withGrad(param());
    const o = new optim.SGD([p], { lr: 0.5 });
    const s = new optim.lrScheduler.StepLR(o, { stepSize: 1, gamma: 0.5 });
    o.addParamGroup({ params: [q], lr: 0.1 });
    s.stepTo(2);
    expect(o.paramGroups.map((g) => g.lr)).toEqual([0.125, 0.1]);
    o.step();
    expect(q.tolist()).toEqual([0.9, 1.9, 2.9]);
  });
  it("CosineAnnealingLR's restart step leaves such a group untouched too (was: NaN lr)", () => {
    const p = param(),
      q = param();
    const o = new optim.SGD([p], { lr: 0.5 });
    const s = new optim.lrScheduler.CosineAnnealingLR(o, { tMax: 2 });
    s.step();
    s.step();
    o.addParamGroup({ params: [q], lr: 0.1 });
    s.step(); // epoch 3 = tMax + 1: PyTorch 1.13 gives [0.24999999999999997, 0.1]
    expect(o.paramGroups.map((g) => g.lr)).toEqual([0.24999999999999997, 0.1]);
  });
});

describe("checkpoints", () => {
  const file = (header: string, data = new Uint8Array(0)) => {
    const h = new TextEncoder().encode(header);
    const out = new Uint8Array(8 + h.length + data.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
    out.set(h, 8);
    out.set(data, 8 + h.length);
    return out;
  };
  it("save() of a structure holding a cycle names it (was: Maximum call stack size exceeded)", () => {
    const a: Record<string, unknown> = { epoch: 1, w: tensor([1]) };
    a.self = { back: a };
    expect(() => save(a)).toThrow("save(): self.back refers back to an object that contains it");
    const shared = { x: 1 }; // the same object twice, not inside itself, is no cycle
    expect(load(save({ a: shared, b: shared, w: tensor([1]) })).b).toEqual({ x: 1 });
  });
  it("a safetensors header with more dims than a tensor can have is refused", () => {
    const shape = JSON.stringify(Array(65).fill(1));
    const bytes = file(
      `{"a":{"dtype":"F32","shape":${shape},"data_offsets":[0,4]}}`,
      new Uint8Array(4),
    );
    expect(() => loadSafetensors(bytes)).toThrow('tensor "a" has a bad shape');
  });
});

describe("optimizer groups edited between steps", () => {
  it("a key the optimizer does not read is refused at step (was: ignored, e.g. weight_decay)", () => {
    const p = withGrad(param());
    const o = new optim.SGD([p], { lr: 0.5 });
    (o.paramGroups[0] as unknown as Record<string, unknown>).weight_decay = 0.1;
    expect(() => o.step()).toThrow('unknown option "weight_decay"');
    expect(p.tolist()).toEqual([1, 2, 3]);
  });
});

describe("DataLoader over TensorDataset subclasses", () => {
  it("a subclass's own getItem makes the batches (was: raw rows, the transform skipped)", () => {
    class Shifted extends data.TensorDataset {
      getItem(i: number): Tensor[] {
        return super.getItem(i).map((t) => t.add(100));
      }
    }
    const ds = new Shifted(tensor([0, 1, 2, 3]));
    const batches = [...new data.DataLoader(ds, { batchSize: 2 })] as Tensor[][];
    expect(batches.map((b) => b[0].tolist())).toEqual([
      [100, 101],
      [102, 103],
    ]);
    class Negated extends data.Subset<Tensor[]> {
      getItem(i: number): Tensor[] {
        return super.getItem(i).map((t) => t.neg());
      }
    }
    const sub = new Negated(new data.TensorDataset(tensor([0, 1, 2, 3])), [1, 2]);
    const [batch] = [...new data.DataLoader(sub, { batchSize: 4 })] as Tensor[][];
    expect(batch[0].tolist()).toEqual([-1, -2]);
  });
});

describe("clipGradNorm_", () => {
  it("an errorIfNonfinite argument next to an options object is refused (was: dropped)", () => {
    const p = tensor([1, 2], { requiresGrad: true });
    p.grad = tensor([Number.POSITIVE_INFINITY, 1]);
    expect(() => nn.utils.clipGradNorm_([p], 1, { normType: 2 }, true)).toThrow(
      "errorIfNonfinite given both",
    );
    expect(p.grad.tolist()).toEqual([Number.POSITIVE_INFINITY, 1]);
  });
});

describe("saveSafetensors metadata", () => {
  it("the key load() reads as a checkpoint's structure is refused (was: load() returned it, tensors dropped)", () => {
    const metadata = { "jitgrad.checkpoint": '{"epoch": 3}' };
    expect(() => saveSafetensors({ w: tensor([1, 2]) }, { metadata })).toThrow("is reserved");
  });
});
