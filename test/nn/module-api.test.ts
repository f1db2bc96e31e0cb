// The Module API and containers: printed trees and qualified names against PyTorch 1.13
// (test/golden/modules.json), Sequential with names, ModuleList, ModuleDict, apply, requiresGrad_,
// train/eval as part of compiled functions' guards, and Linear's grad_fn graph.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { autograd, compile, manualSeed, nn, noGrad, randn, type Tensor } from "../../index";

const golden: { trees: Record<string, string>; names: Record<string, string[]> } = JSON.parse(
  readFileSync(join(import.meta.dirname, "../golden/modules.json"), "utf8"),
);

class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 6, 5);
  conv2 = new nn.Conv2d(6, 16, 5);
  fc1 = new nn.Linear(16 * 5 * 5, 120);
  fc2 = new nn.Linear(120, 84);
  fc3 = new nn.Linear(84, 10);
  forward(x: Tensor): Tensor {
    return x;
  }
}
class Block extends nn.Module {
  features = new nn.Sequential(
    new nn.Conv2d(3, 8, 3, { padding: 1 }),
    new nn.BatchNorm2d(8),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
  );
  heads = new nn.ModuleDict({
    cls: new nn.Linear(8, 10),
    box: new nn.Sequential(new nn.Flatten(), new nn.Linear(8, 4)),
  });
  layers = new nn.ModuleList([
    new nn.LayerNorm(8),
    new nn.Dropout(0.1),
    new nn.GELU({ approximate: "tanh" }),
  ]);
  loss = new nn.CrossEntropyLoss();
  forward(x: Tensor): Tensor {
    return x;
  }
}
const names = (xs: [string, unknown][]) => xs.map(([n]) => n);

describe("printed module trees as PyTorch prints them", () => {
  it("LeNet's Net", () => {
    expect(String(new Net())).toBe(golden.trees.Net);
  });
  it("nested Sequential, ModuleDict, ModuleList and a loss", () => {
    expect(String(new Block())).toBe(golden.trees.Block);
  });
  it("Sequential from [name, module] pairs keeps numeric-looking names in order", () => {
    const s = new nn.Sequential([
      ["conv", new nn.Conv1d(1, 2, 3)],
      ["act", new nn.LeakyReLU({ negativeSlope: 0.1 })],
      ["10", new nn.Identity()],
      ["2", new nn.Softmax(1)],
    ]);
    expect(String(s)).toBe(golden.trees["named Sequential"]);
  });
  it("empty containers", () => {
    const got = [new nn.Sequential(), new nn.ModuleList(), new nn.ModuleDict()].map(String);
    expect(got.join("|")).toBe(golden.trees.empty);
  });
  it("console.log shows the same tree (util.inspect)", async () => {
    const { inspect } = await import("node:util");
    expect(inspect(new Net())).toBe(golden.trees.Net);
  });
});

describe("qualified names as PyTorch's named_* give them", () => {
  const b = new Block();
  it("namedParameters, namedBuffers (PyTorch's running_mean, ...), namedModules, namedChildren", () => {
    expect(names(b.namedParameters())).toEqual(golden.names.parameters);
    expect(names(b.namedBuffers())).toEqual(golden.names.buffers);
    expect(names(b.namedModules())).toEqual(golden.names.modules);
    expect(names(b.namedChildren())).toEqual(golden.names.children);
  });
  it("stateDict keys", () => {
    expect(Object.keys(b.stateDict())).toEqual(golden.names.state);
  });
  it("parameters, modules and children are the named lists' values", () => {
    expect(b.parameters()).toEqual(b.namedParameters().map(([, p]) => p));
    expect(b.modules().length).toBe(golden.names.modules.length);
    expect(b.children()).toEqual([b.features, b.heads, b.layers, b.loss]);
  });
  it("a module shared by two parents is listed once, its parameters too", () => {
    const shared = new nn.Linear(2, 2);
    const s = new nn.Sequential(shared, new nn.ReLU(), shared);
    expect(names(s.namedModules())).toEqual(["", "0", "1"]);
    expect(names(s.namedParameters())).toEqual(["0.weight", "0.bias"]);
  });
});

describe("Sequential", () => {
  it("positional children are named 0, 1, ...; at(), [i], length, iteration, append, slice", () => {
    const a = new nn.Linear(3, 4),
      r = new nn.ReLU(),
      b = new nn.Linear(4, 2);
    const s = new nn.Sequential(a, r);
    expect(s.length).toBe(2);
    expect(s[0]).toBe(a);
    expect(s.at(-1)).toBe(r);
    s.append(b);
    expect(s.length).toBe(3);
    expect(s[2]).toBe(b);
    expect([...s]).toEqual([a, r, b]);
    expect(names(s.namedParameters())).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    const x = randn([5, 3]);
    expect(s.forward(x).values()).toEqual(b.forward(r.forward(a.forward(x))).values());
    const tail = s.slice(1);
    expect(names(tail.namedChildren())).toEqual(["1", "2"]);
    expect(tail[0]).toBe(r);
    expect(() => s.at(3)).toThrow("index 3 is out of range");
  });
  it("named children from an object or [name, module] pairs (PyTorch's OrderedDict)", () => {
    const fromObject = new nn.Sequential({ fc: new nn.Linear(2, 3), act: new nn.Tanh() });
    expect(names(fromObject.namedChildren())).toEqual(["fc", "act"]);
    expect(Object.keys(fromObject.stateDict())).toEqual(["fc.weight", "fc.bias"]);
    expect(fromObject[1]).toBeInstanceOf(nn.Tanh);
    const pairs = new nn.Sequential([
      ["b", new nn.ReLU()],
      ["a", new nn.Linear(2, 2)],
    ]);
    expect(names(pairs.namedParameters())).toEqual(["a.weight", "a.bias"]);
  });
  it("refuses non-modules, bad names and duplicates, naming the problem", () => {
    expect(() => new nn.Sequential({ "a.b": new nn.ReLU() })).toThrow(
      'module name can\'t contain ".", got: a.b',
    );
    expect(() => new nn.Sequential([["", new nn.ReLU()]])).toThrow(
      'module name can\'t be empty string ""',
    );
    expect(
      () =>
        new nn.Sequential([
          ["a", new nn.ReLU()],
          ["a", new nn.Tanh()],
        ]),
    ).toThrow('duplicate module name "a"');
    expect(() => new nn.Sequential({ a: 3 as unknown as nn.Module })).toThrow(
      "the module named a is not a Module (got int)",
    );
    expect(() => new nn.Sequential(new nn.ReLU()).append({} as nn.Module)).toThrow(TypeError);
    // not a plain object: refused rather than read as an empty one
    expect(() => new nn.Sequential(new Set([new nn.ReLU()]) as never)).toThrow(
      "expected an object of modules or a list of [name, module] pairs, got object",
    );
    const fromMap = new nn.Sequential(new Map([["only", new nn.ReLU()]]));
    expect(names(fromMap.namedChildren())).toEqual(["only"]);
  });
  it("children named like Module members do not shadow them", () => {
    const s = new nn.Sequential({ forward: new nn.ReLU(), training: new nn.Tanh() });
    expect(s.training).toBe(true);
    expect(s.forward(randn([2])).shape).toEqual([2]);
    expect(names(s.namedChildren())).toEqual(["forward", "training"]);
  });
});

describe("ModuleList and ModuleDict", () => {
  it("ModuleList: append, extend, insert, set, pop renumber the children", () => {
    const [a, b, c, d] = [new nn.ReLU(), new nn.Tanh(), new nn.Sigmoid(), new nn.Linear(1, 1)];
    const l = new nn.ModuleList([a]);
    l.append(b).extend([c]);
    l.insert(0, d);
    expect([...l]).toEqual([d, a, b, c]);
    expect(names(l.namedParameters())).toEqual(["0.weight", "0.bias"]);
    l.set(-1, d);
    expect(l[3]).toBe(d);
    expect(l.pop(0)).toBe(d);
    expect([...l]).toEqual([a, b, d]);
    expect(names(l.namedChildren())).toEqual(["0", "1", "2"]);
    expect(names(l.namedParameters())).toEqual(["2.weight", "2.bias"]);
    expect(l.length).toBe(3);
    expect(() => l.forward()).toThrow(
      'Module [ModuleList] is missing the required "forward" function',
    );
  });
  it("ModuleDict: get, set, has, pop, update, keys, values, items in insertion order", () => {
    const d = new nn.ModuleDict([
      ["enc", new nn.Linear(2, 3)],
      ["dec", new nn.Linear(3, 2)],
    ]);
    expect(d.keys()).toEqual(["enc", "dec"]);
    expect(d.get("enc")).toBeInstanceOf(nn.Linear);
    expect(d.get("constructor")).toBeUndefined(); // a Map: never a prototype lookup
    expect(d.has("toString")).toBe(false);
    d.set("act", new nn.ReLU()).update({ enc: new nn.Tanh() });
    expect(d.keys()).toEqual(["enc", "dec", "act"]);
    expect(d.get("enc")).toBeInstanceOf(nn.Tanh);
    expect(names(d.namedParameters())).toEqual(["dec.weight", "dec.bias"]);
    expect(d.pop("dec")).toBeInstanceOf(nn.Linear);
    expect(d.length).toBe(2);
    expect(d.items().map(([k]) => k)).toEqual(["enc", "act"]);
    expect(d.values().length).toBe(2);
    expect(() => d.pop("dec")).toThrow("KeyError: 'dec'");
    expect(() => d.set("a.b", new nn.ReLU())).toThrow('module name can\'t contain "."');
    expect(() => d.forward()).toThrow("missing the required");
  });
});

describe("apply, requiresGrad_, train/eval, zeroGrad", () => {
  it("apply visits children first, then the module (custom initialization)", () => {
    const b = new Block(),
      seen: string[] = [];
    b.apply((m) => seen.push(m.constructor.name));
    expect(seen.slice(0, 5)).toEqual(["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Sequential"]);
    expect(seen.at(-1)).toBe("Block");
    b.apply((m) => {
      if (m instanceof nn.Linear) nn.init.zeros_(m.weight);
    });
    expect((b.heads.get("cls") as nn.Linear).weight.values().every((v) => v === 0)).toBe(true);
    expect(() => b.apply(3 as unknown as () => void)).toThrow(TypeError);
  });
  it("requiresGrad_(false) freezes every parameter, requiresGrad_() unfreezes", () => {
    const n = new Net();
    n.requiresGrad_(false);
    expect(n.parameters().every((p) => !p.requiresGrad)).toBe(true);
    n.requiresGrad_();
    expect(n.parameters().every((p) => p.requiresGrad)).toBe(true);
  });
  it("train/eval reach modules inside containers", () => {
    const b = new Block();
    b.eval();
    expect(b.modules().every((m) => !m.training)).toBe(true);
    b.train();
    expect(b.modules().every((m) => m.training)).toBe(true);
  });
});

describe("a compiled function follows the modules' training flags", () => {
  // two identical models: one run through compile(), one eagerly, through the same mode changes
  function models() {
    manualSeed(5);
    const a = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.ReLU());
    manualSeed(5);
    const b = new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.ReLU());
    return [a, b];
  }
  it("traced in training mode (batch statistics), then eval() (running statistics): retraced", () => {
    const [m, ref] = models();
    const f = compile((x: Tensor) => m.forward(x));
    const xs = [randn([6, 3]), randn([6, 3]), randn([5, 3])];
    const check = (x: Tensor) => {
      const got = f(x).values(),
        want = ref.forward(x).values();
      got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
    };
    check(xs[0]);
    m.eval();
    ref.eval();
    check(xs[1]); // eval: running statistics, no update
    expect(f.stats.compiles).toBe(2);
    m.train();
    ref.train();
    check(xs[2].narrow(0, 0, 5)); // a new shape: a third trace
    check(xs[0]); // training mode again: the first trace, from the cache
    expect(f.stats.compiles).toBe(3);
    const got = m.stateDict(),
      want = ref.stateDict();
    for (const k of Object.keys(want))
      got[k].data.forEach((v, i) => expect(Math.abs(v - want[k].data[i])).toBeLessThan(1e-5));
    expect(got["1.num_batches_tracked"].data).toEqual([3]);
  });
  it("with gradients: the running statistics are updated by the compiled training step", () => {
    const [m, ref] = models();
    const f = compile((x: Tensor) => m.forward(x).sum());
    const x = randn([6, 3]);
    f(x).backward();
    ref.forward(x).sum().backward();
    const want = ref.stateDict();
    for (const [k, s] of Object.entries(m.stateDict()))
      s.data.forEach((v, i) => expect(Math.abs(v - want[k].data[i])).toBeLessThan(1e-5));
    const refParams = new Map(ref.namedParameters());
    for (const [k, p] of m.namedParameters())
      p.grad!.values().forEach((v, i) =>
        expect(Math.abs(v - refParams.get(k)!.grad!.values()[i])).toBeLessThan(1e-4),
      );
    m.eval();
    ref.eval();
    const y = noGrad(() => f(x)).item(),
      yRef = noGrad(() => ref.forward(x).sum()).item();
    expect(Math.abs(y - yRef)).toBeLessThan(1e-4);
  });
});

describe("a compiled training step that updates running statistics, differentiated twice", () => {
  it("createGraph replays the joint graph: first and second derivatives equal eager ones", () => {
    const build = () => {
      manualSeed(9);
      return new nn.Sequential(new nn.Linear(3, 4), new nn.BatchNorm1d(4), new nn.Tanh());
    };
    const m = build(),
      ref = build();
    const f = compile((x: Tensor) => m.forward(x).pow(2).sum());
    const x0 = randn([5, 3]);
    const grads = (out: Tensor, x: Tensor) => {
      const [g] = autograd.grad(out, x, { createGraph: true });
      const [gg] = autograd.grad(g!.pow(2).sum(), x);
      return [g!.values(), gg!.values()];
    };
    const xa = x0.clone().requiresGrad_(),
      xb = x0.clone().requiresGrad_();
    const got = grads(f(xa), xa),
      want = grads(ref.forward(xb).pow(2).sum(), xb);
    got.forEach((vs, k) =>
      vs.forEach((v, i) =>
        expect(Math.abs(v - want[k][i])).toBeLessThan(1e-3 * (1 + Math.abs(want[k][i]))),
      ),
    );
    expect(m.stateDict()["1.num_batches_tracked"].data).toEqual([1]);
    const rm = m.stateDict()["1.running_mean"].data,
      rmRef = ref.stateDict()["1.running_mean"].data;
    rm.forEach((v, i) => expect(Math.abs(v - rmRef[i])).toBeLessThan(1e-6));
  });
});

describe("Linear's autograd graph as PyTorch records it", () => {
  it("AddmmBackward0's next functions: bias, input, TBackward0 (of the weight)", () => {
    const l = new nn.Linear(3, 2);
    const x = randn([4, 3], { requiresGrad: true });
    const [bias, input, t] = l.forward(x).gradFn!.nextFunctions.map(([n]) => n);
    expect(l.forward(x).gradFn!.name).toBe("AddmmBackward0");
    expect(bias!.name).toBe("AccumulateGrad");
    expect((bias as unknown as { variable: Tensor }).variable).toBe(l.bias);
    expect((input as unknown as { variable: Tensor }).variable).toBe(x);
    expect(t!.name).toBe("TBackward0");
    expect((t!.nextFunctions[0][0] as unknown as { variable: Tensor }).variable).toBe(l.weight);
    expect(l.forward(randn([4, 3])).gradFn!.nextFunctions[1]).toEqual([null, 0]);
  });
  it("a 3-D input: ViewBackward0 of AddmmBackward0 of (bias, ViewBackward0, TBackward0)", () => {
    const l = new nn.Linear(3, 2);
    const y = l.forward(randn([2, 4, 3], { requiresGrad: true }));
    expect(y.shape).toEqual([2, 4, 2]);
    expect(y.gradFn!.name).toBe("ViewBackward0");
    const addmm = y.gradFn!.nextFunctions[0][0]!;
    expect(addmm.name).toBe("AddmmBackward0");
    expect(addmm.nextFunctions.map(([n]) => n!.name)).toEqual([
      "AccumulateGrad",
      "ViewBackward0",
      "TBackward0",
    ]);
  });
});
