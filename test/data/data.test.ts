// randperm, Generator, DataLoader and randomSplit against PyTorch 1.13's orders
// (test/golden/make_data_golden.py -> golden/data.json).

import { arange, data, Generator, manualSeed, rand, randperm, type Tensor, tensor } from "jitgrad";
import { describe, expect, it } from "vitest";
import golden from "../golden/data.json";

const M = 1_000_000_007;
function summary(p: number[]) {
  let acc = 0;
  for (let i = 0; i < p.length; i++) acc = (acc + (((i + 1) * p[i]) % M)) % M;
  return { head: p.slice(0, 20), tail: p.slice(-20), checksum: acc };
}
/** The next draws of the global generator: shows how far a call advanced it. */
const nextDraws = () => rand([2]).values();

describe("randperm: PyTorch's permutation for the same seed", () => {
  for (const c of golden.randperm as {
    seed: number;
    n: number;
    dtype?: "float32" | "float64";
    perm?: number[];
    summary?: ReturnType<typeof summary>;
    after: number[];
  }[]) {
    it(`seed ${c.seed}, n ${c.n}${c.dtype ? `, ${c.dtype}` : ""}`, () => {
      manualSeed(c.seed);
      const p = randperm(c.n, c.dtype ? { dtype: c.dtype } : undefined);
      expect(p.dtype).toBe(c.dtype ?? "int32");
      expect(p.shape).toEqual([c.n]);
      if (c.perm) expect(p.values()).toEqual(c.perm);
      else expect(summary(p.values() as number[])).toEqual(c.summary);
      expect(nextDraws()).toEqual(c.after);
    });
  }
  it("refuses bad n, dtype and options, drawing nothing", () => {
    manualSeed(1);
    const expected = nextDraws();
    manualSeed(1);
    expect(() => randperm(-1)).toThrow("Trying to create tensor with negative dimension -1: [-1]");
    expect(() => randperm(2.5)).toThrow(
      "randperm(): argument 'n' (position 1) must be int, not float",
    );
    expect(() => randperm(3, { dtype: "bool" as "int32" })).toThrow(
      `"randperm" not implemented for 'Bool'`,
    );
    expect(() => randperm(2 ** 24 + 2, { dtype: "float32" })).toThrow(
      "n cannot be greater than 2^24+1 for Float type.",
    );
    expect(() => randperm(3, { generator: 5 as unknown as Generator })).toThrow(
      "argument 'generator' must be torch.Generator, not int",
    );
    expect(() => randperm(3, { seed: 1 } as object)).toThrow('unknown option "seed"');
    expect(() => randperm(3, { requiresGrad: true })).toThrow("floating point");
    expect(nextDraws()).toEqual(expected);
    expect(randperm(3, { dtype: "float64", requiresGrad: true }).requiresGrad).toBe(true);
  });
});

describe("Generator: torch.Generator streams", () => {
  for (const c of golden.generator as {
    seed: number | null;
    perms: number[][];
    after: number[];
  }[]) {
    it(`seed ${c.seed ?? "default"}`, () => {
      manualSeed(123);
      const g = new Generator();
      if (c.seed !== null) expect(g.manualSeed(c.seed)).toBe(g);
      expect(g.initialSeed()).toBe(c.seed ?? 67280421310721);
      expect([10, 33].map((n) => randperm(n, { generator: g }).values())).toEqual(c.perms);
      expect(nextDraws()).toEqual(c.after); // the global generator was not touched
    });
  }
  it("interleaves with the global generator without disturbing either", () => {
    const g = new Generator().manualSeed(7);
    manualSeed(123);
    const a = randperm(10, { generator: g }).values();
    const r = rand([3]).values();
    const b = randperm(33, { generator: g }).values();
    const ref = golden.generator.find((c) => c.seed === 7)!;
    expect([a, b]).toEqual(ref.perms);
    manualSeed(123);
    expect(rand([3]).values()).toEqual(r);
  });
});

type LoaderCase = {
  n: number;
  options: {
    batch_size: number;
    shuffle: boolean;
    drop_last?: boolean;
    gen?: number;
    global?: number;
  };
  length: number;
  epochs: number[][][];
  after: number[];
};

describe("DataLoader: PyTorch's batches and random draws", () => {
  for (const c of golden.loader as LoaderCase[]) {
    const o = c.options;
    for (const ds of ["TensorDataset", "Subset", "array"] as const) {
      it(`${JSON.stringify(o)} over a ${ds}`, () => {
        manualSeed(o.global ?? 77);
        const x = arange(c.n);
        const tds = new data.TensorDataset(x, x.mul(10));
        const dataset =
          ds === "TensorDataset"
            ? tds
            : ds === "Subset"
              ? new data.Subset(tds, [...Array(c.n).keys()])
              : Array.from({ length: c.n }, (_, i) => [i, i * 10]);
        const loader = new data.DataLoader(dataset as data.Dataset<[Tensor, Tensor]>, {
          batchSize: o.batch_size,
          shuffle: o.shuffle,
          dropLast: o.drop_last,
          generator: o.gen === undefined ? undefined : new Generator().manualSeed(o.gen),
        });
        expect(loader.length).toBe(c.length);
        const epochs = [0, 1, 2].map(() =>
          [...loader].map(([xb, yb]) => {
            expect(xb.dtype).toBe("int32");
            expect(yb.values()).toEqual(xb.values().map((v) => (v as number) * 10));
            return xb.values();
          }),
        );
        expect(epochs).toEqual(c.epochs);
        expect(nextDraws()).toEqual(c.after);
      });
    }
  }
  it("an epoch left early draws no more than PyTorch's", () => {
    const c = golden.partial;
    manualSeed(5);
    const x = arange(10);
    const loader = new data.DataLoader(new data.TensorDataset(x, x), {
      batchSize: 3,
      shuffle: true,
      generator: new Generator().manualSeed(c.seed),
    });
    const first: number[][] = [];
    for (const [xb] of loader) {
      first.push(xb.values() as number[]);
      if (first.length === 2) break;
    }
    expect(first).toEqual(c.first);
    expect([[...loader].map(([xb]) => xb.values())]).toEqual(c.next);
    expect(nextDraws()).toEqual(c.after);
  });
  it("collateFn gets the items; the default collates numbers, arrays and objects", () => {
    const items = [
      { x: tensor([1, 2]), label: 3, w: 0.5, ok: true, name: "a" },
      { x: tensor([3, 4]), label: 4, w: 1, ok: false, name: "b" },
    ];
    const [batch] = [...new data.DataLoader(items, { batchSize: 2 })];
    expect(batch.x.shape).toEqual([2, 2]);
    expect(batch.x.values()).toEqual([1, 2, 3, 4]);
    expect(batch.label.dtype).toBe("int32");
    expect(batch.w.dtype).toBe("float64");
    expect(batch.w.values()).toEqual([0.5, 1]);
    expect(batch.ok.dtype).toBe("bool");
    expect(batch.name).toEqual(["a", "b"]);
    const custom = new data.DataLoader([1, 2, 3, 4, 5], {
      batchSize: 2,
      collateFn: (xs: number[]) => xs.join("+"),
    });
    expect([...custom]).toEqual(["1+2", "3+4", "5"]);
    expect(() => [...new data.DataLoader([[1], [1, 2]], { batchSize: 2 })]).toThrow(
      "each element in list of batch should be of equal size",
    );
  });
  it("a Dataset subclass, iterated with for...of", () => {
    class Squares extends data.Dataset<[number, number]> {
      readonly length = 5;
      getItem(i: number): [number, number] {
        return [i, i * i];
      }
    }
    const seen: number[] = [];
    for (const [i, sq] of new data.DataLoader(new Squares(), { batchSize: 2 })) {
      expect(sq.values()).toEqual(i.values().map((v) => (v as number) ** 2));
      seen.push(...(i.values() as number[]));
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });
  it("refuses bad options", () => {
    const ds = [1, 2, 3];
    expect(() => new data.DataLoader(ds, { batchSize: 0 })).toThrow(
      "batch_size should be a positive integer value, but got batch_size=0",
    );
    expect(() => new data.DataLoader(ds, { numWorkers: 2 } as object)).toThrow(
      'unknown option "numWorkers"',
    );
    expect(() => new data.DataLoader(ds, { shuffle: 1 as unknown as boolean })).toThrow(
      "argument 'shuffle' must be bool",
    );
    expect(() => new data.DataLoader([], { shuffle: true })).toThrow(
      "num_samples should be a positive integer value, but got num_samples=0",
    );
    expect(() => new data.DataLoader({} as data.Dataset)).toThrow("must be a Dataset or an array");
  });
});

describe("TensorDataset and Subset", () => {
  it("items, negative indices and PyTorch's errors", () => {
    const ds = new data.TensorDataset(arange(6).reshape([3, 2]), tensor([7, 8, 9]));
    expect(ds.length).toBe(3);
    const [a, b] = ds.getItem(-1);
    expect(a.values()).toEqual([4, 5]);
    expect(b.item()).toBe(9);
    expect(() => ds.getItem(3)).toThrow("out of range");
    expect(() => new data.TensorDataset(arange(3), arange(4))).toThrow(
      "Size mismatch between tensors",
    );
    const sub = new data.Subset(ds, [2, 0]);
    expect(sub.length).toBe(2);
    expect(sub.getItem(0)[1].item()).toBe(9);
  });
});

describe("randomSplit: PyTorch's subsets", () => {
  for (const c of golden.split as {
    size: number;
    lengths: number[];
    seed: number | null;
    parts: number[][];
    after: number[];
  }[]) {
    it(`${c.size} items into ${JSON.stringify(c.lengths)}, seed ${c.seed ?? "global"}`, () => {
      manualSeed(99);
      const items = Array.from({ length: c.size }, (_, i) => i);
      const parts = data.randomSplit(
        items,
        c.lengths,
        c.seed === null ? undefined : { generator: new Generator().manualSeed(c.seed) },
      );
      expect(parts.map((p) => p.indices)).toEqual(c.parts);
      expect(parts.map((p) => Array.from({ length: p.length }, (_, i) => p.getItem(i)))).toEqual(
        c.parts,
      );
      expect(nextDraws()).toEqual(c.after);
    });
  }
  it("refuses lengths that do not add up", () => {
    expect(() => data.randomSplit([1, 2, 3], [1, 1])).toThrow(
      "Sum of input lengths does not equal the length of the input dataset!",
    );
    expect(() => data.randomSplit([1, 2, 3], [1.5, 1.5])).toThrow("non-negative integers");
    expect(() => data.randomSplit([1, 2, 3], [1.2, -0.2])).toThrow(
      "Fraction at index 0 is not between 0 and 1",
    );
  });
});
