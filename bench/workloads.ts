// The workloads W1-W4: for each size, the eager function, the compiled one and the hand-written
// loop, each as a timed closure plus an `outcome()` (value and gradients) used to check that all
// variants compute the same thing before anything is timed.
import * as jitgrad from "../index";
import {
  compile,
  type Explanation,
  manualSeed,
  rand,
  randn,
  type Tensor,
  tensor,
  valueAndGrad,
} from "../index";
import { makeHandMlp, w1Hand, w2Hand, w3Hand } from "./hand";
import { type Peers, w1Peers, w3Peers, w4Peers } from "./peers";
import { type External, hasTorch, smallStep, torchRun } from "./small";

// eagerJs / compiledJs: the same step with setBackend("js") (W4: both backends in one run);
// tfjs / jax: the peer libraries on their Wasm backends (bench/peers.ts), when installed
export type VariantId =
  | "eager"
  | "compiled"
  | "valueAndGrad"
  | "wholeStep"
  | "hand"
  | "torch"
  | "eagerJs"
  | "compiledJs"
  | "tfjs"
  | "jax";
export interface Outcome {
  value: number;
  grads: Float32Array[];
}
export interface Variant {
  id: VariantId;
  label: string;
  fn: () => void; // the timed call
  outcome: () => Outcome; // one call whose results are compared across variants
  code?: () => string; // compiled variants: the generated kernels (explain().code)
  kernels?: () => { forward: number; backward: number };
  external?: () => External; // timed elsewhere (the PyTorch peer): its figures, not fn's
  valueRtol?: number; // the value's tolerance against eager's when not the harness' default
  peer?: boolean; // another library's row (bench/peers.ts)
}
export interface Case {
  workload: string;
  n: number;
  variants: Variant[];
}
export interface Workload {
  id: string;
  title: string;
  note: string;
  sizes: number[];
  make: (n: number, peers?: Peers) => Case; // peers: add their rows to the case
}

export let sink: unknown = null; // results land here so no call is dead code
const keep = (v: unknown) => {
  sink = v;
};
const f32 = (t: Tensor | null): Float32Array => {
  if (!t) throw new Error("missing gradient");
  return Float32Array.from(t.values());
};
const storage = (t: Tensor) => t.storage as Float32Array;
const SEED = 1234;

// ---- the user-level functions ----
export const seedFn = (x: Tensor) => {
  const y = x.add(2);
  const z = y.mul(y).mul(3);
  return z.mean();
};
// tanh-GELU as PyTorch's reference writes it (torch.pow(x, 3.0))
export const geluSum = (x: Tensor) =>
  x
    .mul(0.5)
    .mul(x.add(x.pow(3).mul(0.044715)).mul(0.7978845608).tanh().add(1))
    .sum();
export const mlpSum = (x: Tensor, W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor) =>
  x.matmul(W1.T).add(b1).relu().matmul(W2.T).add(b2).sum();

function input(n: number, requiresGrad = false): Tensor {
  manualSeed(SEED);
  return randn([n], { requiresGrad });
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function explainOf(explain: (...a: any[]) => Explanation, ...args: unknown[]) {
  const e = () => explain(...args);
  return {
    code: () => e().code,
    kernels: () => ({ forward: e().forwardKernels, backward: e().backwardKernels }),
  };
}

// W1: forward only.
function w1(n: number, peers?: Peers): Case {
  const x = input(n),
    xs = storage(x),
    cf = compile(seedFn);
  return {
    workload: "W1",
    n,
    variants: [
      {
        id: "eager",
        label: "eager",
        fn: () => keep(seedFn(x)),
        outcome: () => ({ value: seedFn(x).item(), grads: [] }),
      },
      {
        id: "compiled",
        label: "compiled",
        fn: () => keep(cf(x)),
        outcome: () => ({ value: cf(x).item(), grads: [] }),
        ...explainOf(cf.explain, x),
      },
      {
        id: "hand",
        label: "hand-written",
        fn: () => keep(w1Hand(xs)),
        outcome: () => ({ value: w1Hand(xs), grads: [] }),
      },
      ...(peers ? w1Peers(peers, xs) : []),
    ],
  };
}

// W2 and W3: forward + backward of a scalar function of one vector.
// `onJs`: also the compiled call with setBackend("js") (today's JS kernel beside the Wasm one)
function fwdBwd(
  workload: string,
  f: (x: Tensor) => Tensor,
  hand: (x: Float32Array, g: Float32Array) => number,
  onJs = false,
  peerRows?: (p: Peers, x: Float32Array) => Variant[],
) {
  return (n: number, peers?: Peers): Case => {
    const x = input(n, true),
      plain = input(n),
      xs = storage(plain),
      gx = new Float32Array(n);
    const cf = compile(f),
      vg = valueAndGrad(f);
    const viaBackward = (g: (x: Tensor) => Tensor) => () => {
      x.grad = null;
      const out = g(x);
      out.backward();
      return out;
    };
    const eager = viaBackward(f),
      compiled = viaBackward(cf),
      cfJs = compile(f),
      compiledJs = () => {
        const was = jitgrad.getBackend();
        jitgrad.setBackend("js");
        try {
          return viaBackward(cfJs)();
        } finally {
          jitgrad.setBackend(was);
        }
      };
    const jsVariant = onJs
      ? [
          {
            id: "compiledJs" as const,
            label: "compiled (backward()), JS backend",
            fn: () => keep(compiledJs()),
            outcome: () => ({ value: compiledJs().item(), grads: [f32(x.grad)] }),
          },
        ]
      : [];
    return {
      workload,
      n,
      variants: [
        {
          id: "eager",
          label: "eager (backward())",
          fn: () => keep(eager()),
          outcome: () => ({ value: eager().item(), grads: [f32(x.grad)] }),
        },
        {
          id: "compiled",
          label: "compiled (backward())",
          fn: () => keep(compiled()),
          outcome: () => ({ value: compiled().item(), grads: [f32(x.grad)] }),
          ...explainOf(cf.explain, x),
        },
        ...jsVariant,
        {
          id: "valueAndGrad",
          label: "compiled (valueAndGrad)",
          fn: () => keep(vg(plain)),
          outcome: () => {
            const [v, g] = vg(plain);
            return { value: v.item(), grads: [f32(g as Tensor)] };
          },
          ...explainOf(vg.explain, plain),
        },
        {
          id: "hand",
          label: "hand-written",
          fn: () => keep(hand(xs, gx)),
          outcome: () => ({ value: hand(xs, gx), grads: [gx.slice()] }),
        },
        ...(peers && peerRows ? peerRows(peers, xs) : []),
      ],
    };
  };
}

// ---- W4: the MLP ----
const B = 128,
  D = 784,
  H = 256,
  O = 10,
  LR = 0.01;
/* eslint-disable @typescript-eslint/no-explicit-any */
const api = jitgrad as unknown as Record<string, any>;
export const hasTraining = () => ["nn", "F", "optim"].every((k) => api[k] !== undefined);

function mlpData() {
  manualSeed(SEED);
  const x = randn([B, D]);
  const labels = tensor(
    Int32Array.from(rand([B]).values(), (u) => Math.min(O - 1, Math.floor(u * O))),
    { shape: [B] },
  );
  return { x, labels };
}

// With nn/F/optim (issue 6): a training step, softmax cross-entropy on int32 labels, SGD lr 0.01.
function w4Train(_n: number, peers?: Peers): Case {
  const { nn, F, optim } = api;
  const { x, labels } = mlpData();
  const build = () => {
    manualSeed(SEED + 1);
    const model = new nn.Sequential(new nn.Linear(D, H), new nn.ReLU(), new nn.Linear(H, O));
    return {
      model,
      params: model.parameters() as Tensor[],
      opt: new optim.SGD(model.parameters(), { lr: LR }),
    };
  };
  const e = build(),
    c = build(),
    w = build(),
    ej = build(),
    cj = build(),
    init = build().params.map(f32);
  const lossOf = (m: any) => (xx: Tensor, yy: Tensor) =>
    F.crossEntropy(m.forward(xx), yy) as Tensor;
  const eagerLoss = lossOf(e.model),
    compiledLoss = compile(lossOf(c.model)),
    compiledLossJs = compile(lossOf(cj.model));
  const trainer =
    (s: { params: Tensor[]; opt: any }, loss: (x: Tensor, y: Tensor) => Tensor) => () => {
      s.opt.zeroGrad();
      const l = loss(x, labels);
      l.backward();
      s.opt.step();
      return l;
    };
  const eager = trainer(e, eagerLoss),
    compiled = trainer(c, compiledLoss),
    whole = compile(trainer(w, lossOf(w.model)));
  // the JavaScript backend for one call, then back to the one chosen at startup
  const onJs =
    <T>(f: () => T) =>
    () => {
      const was = jitgrad.getBackend();
      jitgrad.setBackend("js");
      try {
        return f();
      } finally {
        jitgrad.setBackend(was);
      }
    };
  const eagerJs = onJs(trainer(ej, lossOf(ej.model))),
    compiledJs = onJs(trainer(cj, compiledLossJs));
  const hand = makeHandMlp(B, D, H, O, { W1: init[0], b1: init[1], W2: init[2], b2: init[3] });
  const xs = storage(x),
    ls = labels.storage as Int32Array,
    n = hand.net;
  return {
    workload: "W4",
    n: B,
    variants: [
      {
        id: "eager",
        label: "eager step",
        fn: () => keep(eager()),
        outcome: () => ({ value: eager().item(), grads: e.params.map((p) => f32(p.grad)) }),
      },
      {
        id: "compiled",
        label: "compiled step",
        fn: () => keep(compiled()),
        outcome: () => ({ value: compiled().item(), grads: c.params.map((p) => f32(p.grad)) }),
        ...explainOf(compiledLoss.explain, x, labels),
      },
      {
        id: "wholeStep",
        label: "compiled whole step",
        fn: () => keep(whole()),
        outcome: () => ({ value: whole().item(), grads: w.params.map((p) => f32(p.grad)) }),
        ...explainOf(whole.explain),
      },
      {
        id: "eagerJs",
        label: "eager step, JS backend",
        fn: () => keep(eagerJs()),
        outcome: () => ({ value: eagerJs().item(), grads: ej.params.map((p) => f32(p.grad)) }),
      },
      {
        id: "compiledJs",
        label: "compiled step, JS backend",
        fn: () => keep(compiledJs()),
        outcome: () => ({ value: compiledJs().item(), grads: cj.params.map((p) => f32(p.grad)) }),
      },
      {
        id: "hand",
        label: "hand-written (blocked JS loops)",
        fn: () => keep(hand.step(xs, ls, LR)),
        outcome: () => ({
          value: hand.step(xs, ls, LR),
          grads: [n.gW1.slice(), n.gb1.slice(), n.gW2.slice(), n.gb2.slice()],
        }),
      },
      ...(peers ? w4Peers(peers, xs, ls, init, { B, D, H, O, lr: LR }) : []),
    ],
  };
}

// Without them: forward + backward of the same network with a sum loss, plain tensors.
function w4Sum(): Case {
  const { x } = mlpData();
  manualSeed(SEED + 1);
  const W1 = randn([H, D])
      .mul(1 / Math.sqrt(D))
      .requiresGrad_(),
    b1 = randn([H]).mul(0.01).requiresGrad_();
  const W2 = randn([O, H])
      .mul(1 / Math.sqrt(H))
      .requiresGrad_(),
    b2 = randn([O]).mul(0.01).requiresGrad_();
  const params = [W1, b1, W2, b2],
    cf = compile(mlpSum);
  const run = (f: typeof mlpSum) => () => {
    for (const p of params) p.grad = null;
    const l = f(x, W1, b1, W2, b2);
    l.backward();
    return l;
  };
  const eager = run(mlpSum),
    compiled = run(cf);
  const hand = makeHandMlp(B, D, H, O, {
    W1: storage(W1),
    b1: storage(b1),
    W2: storage(W2),
    b2: storage(b2),
  });
  const xs = storage(x),
    n = hand.net;
  const grads = () => params.map((p) => f32(p.grad));
  return {
    workload: "W4",
    n: B,
    variants: [
      {
        id: "eager",
        label: "eager fwd+bwd",
        fn: () => keep(eager()),
        outcome: () => ({ value: eager().item(), grads: grads() }),
      },
      {
        id: "compiled",
        label: "compiled fwd+bwd",
        fn: () => keep(compiled()),
        outcome: () => ({ value: compiled().item(), grads: grads() }),
        ...explainOf(cf.explain, x, W1, b1, W2, b2),
      },
      {
        id: "hand",
        label: "hand-written (blocked JS loops)",
        fn: () => keep(hand.step(xs, null, 0)),
        outcome: () => ({
          value: hand.step(xs, null, 0),
          grads: [n.gW1.slice(), n.gb1.slice(), n.gW2.slice(), n.gb2.slice()],
        }),
      },
    ],
  };
}

// W5 (issue 11): the digits CNN training step: 8x8 inputs, conv 1->16->16->10 (3x3, stride 2,
// padding 1: 8 -> 4 -> 2 -> 1) with relu between, cross-entropy, SGD lr 0.01, batch 64, synthetic
// data. The "hand" variant is the same step written without conv ops: patches by pad + narrow +
// reshape/select (stride 2) + stack, then matmul, run eagerly.
const CB = 64;
// The PyTorch 1.13 peer of a CNN row (bench/torch_cnn_step.py, one thread): the same step from the
// same weights and data; none when /usr/bin/python3 has no torch (the workload's note says so).
function torchCnn(
  workload: "W5" | "W6",
  x: Tensor,
  labels: Tensor,
  init: Tensor[],
  seconds: number,
): Variant[] {
  if (!hasTorch()) return [];
  let peer: ReturnType<typeof torchRun> | null = null;
  const run = () => {
    peer ??= torchRun("torch_cnn_step.py", {
      workload,
      batch: x.shape[0],
      lr: LR,
      seconds,
      x: x.values(),
      xShape: x.shape,
      y: labels.values(),
      params: init.map((p) => p.values()),
      shapes: init.map((p) => p.shape),
    });
    return peer;
  };
  return [
    {
      id: "torch",
      label: "PyTorch 1.13 step (1 thread)",
      fn: () => {},
      outcome: () => run().outcome,
      external: () => run().timing,
    },
  ];
}
const torchNote = () =>
  hasTorch()
    ? "; PyTorch row: torch 1.13, torch.set_num_threads(1), same weights and data"
    : "; PyTorch row skipped: /usr/bin/python3 cannot import torch";
// A CNN row's step compiled whole (issue 15), as a user would write it: the parameters captured,
// optim.SGD's update (the same p -= lr * grad) and zeroGrad in the compiled function.
function wholeCnnStep(
  loss: (xx: Tensor, yy: Tensor, ...p: Tensor[]) => Tensor,
  ps: Tensor[],
): (xx: Tensor, yy: Tensor) => Tensor {
  const opt = new api.optim.SGD(ps, { lr: LR });
  return compile((xx: Tensor, yy: Tensor) => {
    opt.zeroGrad();
    const l = loss(xx, yy, ...ps);
    l.backward();
    opt.step();
    return l;
  });
}
const wholeVariant = (label: string, run: () => Tensor, ps: Tensor[]): Variant => ({
  id: "wholeStep",
  label,
  fn: () => keep(run()),
  outcome: () => ({ value: run().item(), grads: ps.map((p) => f32(p.grad)) }),
});
// a k x k convolution (stride s, padding p) as patches by pad + narrow + reshape/select + stack,
// then one matmul
function convByMatmul(x: Tensor, w: Tensor, b: Tensor, k = 3, s = 2, p = 1): Tensor {
  const [N, C, H, W] = x.shape,
    O = w.shape[0],
    OH = Math.floor((H + 2 * p - k) / s) + 1,
    OW = Math.floor((W + 2 * p - k) / s) + 1;
  const xp = p ? x.pad([0, 0, p, p], [0, 0, p, p]) : x;
  const taps: Tensor[] = [];
  for (let kh = 0; kh < k; kh++)
    for (let kw = 0; kw < k; kw++)
      taps.push(
        xp
          .narrow(2, kh, s * OH)
          .narrow(3, kw, s * OW)
          .reshape([N, C, OH, s, OW, s])
          .select(5, 0)
          .select(3, 0),
      );
  const patches = jitgrad.stack(taps, 2).reshape([N, C * k * k, OH * OW]);
  return w
    .reshape([O, C * k * k])
    .matmul(patches)
    .reshape([N, O, OH, OW])
    .add(b.reshape([1, O, 1, 1]));
}
function w5Cnn(torchSeconds: number): Case {
  const { F } = api;
  manualSeed(SEED);
  const x = randn([CB, 1, 8, 8]);
  const labels = tensor(
    Int32Array.from(rand([CB]).values(), (u) => Math.min(9, Math.floor(u * 10))),
    { shape: [CB] },
  );
  const init = () => {
    manualSeed(SEED + 1);
    const w = (o: number, c: number) =>
      randn([o, c, 3, 3])
        .mul(1 / Math.sqrt(c * 9))
        .requiresGrad_();
    const b = (o: number) => randn([o]).mul(0.01).requiresGrad_();
    return [w(16, 1), b(16), w(16, 16), b(16), w(10, 16), b(10)];
  };
  type Conv = (x: Tensor, w: Tensor, b: Tensor) => Tensor;
  const withConv: Conv = (xx, w, b) => F.conv2d(xx, w, b, { stride: 2, padding: 1 });
  const lossOf =
    (conv: Conv) =>
    (
      xx: Tensor,
      yy: Tensor,
      w1: Tensor,
      b1: Tensor,
      w2: Tensor,
      b2: Tensor,
      w3: Tensor,
      b3: Tensor,
    ) => {
      const h = conv(conv(xx, w1, b1).relu(), w2, b2).relu();
      return F.crossEntropy(conv(h, w3, b3).reshape([CB, 10]), yy) as Tensor;
    };
  const step = (loss: ReturnType<typeof lossOf>, ps: Tensor[]) => () => {
    for (const p of ps) p.grad = null;
    const l = loss(x, labels, ...(ps as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]));
    l.backward();
    jitgrad.noGrad(() => {
      for (const p of ps) p.sub_(p.grad!.mul(LR));
    });
    return l;
  };
  const [pe, pc, ph, pw] = [init(), init(), init(), init()];
  const compiledLoss = compile(lossOf(withConv));
  const eager = step(lossOf(withConv), pe),
    compiled = step(compiledLoss, pc),
    hand = step(lossOf(convByMatmul), ph),
    whole = wholeCnnStep(
      lossOf(withConv) as (xx: Tensor, yy: Tensor, ...p: Tensor[]) => Tensor,
      pw,
    );
  const grads = (ps: Tensor[]) => ps.map((p) => f32(p.grad));
  return {
    workload: "W5",
    n: CB,
    variants: [
      {
        id: "eager",
        label: "eager step (F.conv2d)",
        fn: () => keep(eager()),
        outcome: () => ({ value: eager().item(), grads: grads(pe) }),
      },
      {
        id: "compiled",
        label: "compiled step (F.conv2d)",
        fn: () => keep(compiled()),
        outcome: () => ({ value: compiled().item(), grads: grads(pc) }),
        ...explainOf(compiledLoss.explain, x, labels, ...pc),
      },
      wholeVariant("compiled whole step (F.conv2d, optim.SGD)", () => whole(x, labels), pw),
      {
        id: "hand",
        label: "eager step, convs as pad+narrow+stack+matmul",
        fn: () => keep(hand()),
        outcome: () => ({ value: hand().item(), grads: grads(ph) }),
      },
      ...torchCnn("W5", x, labels, init(), torchSeconds),
    ],
  };
}

// W6 (issue 11): LeNet-5 training step on 1x32x32 inputs, batch 32: conv 1->6 5x5, relu, max pool
// 2, conv 6->16 5x5, relu, max pool 2, linear 400->120->84->10 (relu), cross-entropy, SGD lr 0.01.
// "hand": convs as pad+narrow+stack+matmul and pooling as reshape + amax, eagerly.
const LB = 32;
function w6LeNet(torchSeconds: number): Case {
  const { F } = api;
  manualSeed(SEED);
  const x = randn([LB, 1, 32, 32]);
  const labels = tensor(
    Int32Array.from(rand([LB]).values(), (u) => Math.min(9, Math.floor(u * 10))),
    { shape: [LB] },
  );
  const init = () => {
    manualSeed(SEED + 2);
    const param = (shape: number[], fanIn: number) =>
      randn(shape)
        .mul(1 / Math.sqrt(fanIn))
        .requiresGrad_();
    return [
      param([6, 1, 5, 5], 25),
      param([6], 25),
      param([16, 6, 5, 5], 150),
      param([16], 150),
      param([120, 400], 400),
      param([120], 400),
      param([84, 120], 120),
      param([84], 120),
      param([10, 84], 84),
      param([10], 84),
    ];
  };
  type Layers = {
    conv: (x: Tensor, w: Tensor, b: Tensor) => Tensor;
    pool: (x: Tensor) => Tensor;
  };
  const library: Layers = {
    conv: (xx, w, b) => F.conv2d(xx, w, b),
    pool: (xx) => F.maxPool2d(xx, 2),
  };
  const byHand: Layers = {
    conv: (xx, w, b) => convByMatmul(xx, w, b, 5, 1, 0),
    pool: (xx) => {
      const [N, C, H, W] = xx.shape;
      return xx.reshape([N, C, H / 2, 2, W / 2, 2]).amax([3, 5]);
    },
  };
  const lossOf =
    ({ conv, pool }: Layers) =>
    (xx: Tensor, yy: Tensor, ...p: Tensor[]) => {
      const h1 = pool(conv(xx, p[0], p[1]).relu());
      const h2 = pool(conv(h1, p[2], p[3]).relu()).reshape([LB, 400]);
      const f1 = F.linear(h2, p[4], p[5]).relu();
      const f2 = F.linear(f1, p[6], p[7]).relu();
      return F.crossEntropy(F.linear(f2, p[8], p[9]), yy) as Tensor;
    };
  const step = (loss: (xx: Tensor, yy: Tensor, ...p: Tensor[]) => Tensor, ps: Tensor[]) => () => {
    for (const p of ps) p.grad = null;
    const l = loss(x, labels, ...ps);
    l.backward();
    jitgrad.noGrad(() => {
      for (const p of ps) p.sub_(p.grad!.mul(LR));
    });
    return l;
  };
  const [pe, pc, ph, pw] = [init(), init(), init(), init()];
  const compiledLoss = compile(lossOf(library));
  const eager = step(lossOf(library), pe),
    compiled = step(compiledLoss, pc),
    hand = step(lossOf(byHand), ph),
    whole = wholeCnnStep(lossOf(library), pw);
  const grads = (ps: Tensor[]) => ps.map((p) => f32(p.grad));
  return {
    workload: "W6",
    n: LB,
    variants: [
      {
        id: "eager",
        label: "eager step (F.conv2d, F.maxPool2d)",
        fn: () => keep(eager()),
        outcome: () => ({ value: eager().item(), grads: grads(pe) }),
      },
      {
        id: "compiled",
        label: "compiled step (F.conv2d, F.maxPool2d)",
        fn: () => keep(compiled()),
        outcome: () => ({ value: compiled().item(), grads: grads(pc) }),
        ...explainOf(compiledLoss.explain, x, labels, ...pc),
      },
      wholeVariant(
        "compiled whole step (F.conv2d, F.maxPool2d, optim.SGD)",
        () => whole(x, labels),
        pw,
      ),
      {
        id: "hand",
        label: "eager step, convs as pad+narrow+stack+matmul, pools as amax",
        fn: () => keep(hand()),
        outcome: () => ({ value: hand().item(), grads: grads(ph) }),
      },
      ...torchCnn("W6", x, labels, init(), torchSeconds),
    ],
  };
}

export function workloads(sizes: { w1: number[]; w3: number[] }, torchSeconds = 3): Workload[] {
  const train = hasTraining();
  return [
    {
      id: "W1",
      title: "W1 seed forward: y = x + 2; z = y*y*3; out = z.mean()",
      note: "",
      sizes: sizes.w1,
      make: w1,
    },
    {
      id: "W2",
      title: "W2 seed forward+backward: W1 and d out/d x",
      note: "",
      sizes: sizes.w1,
      make: fwdBwd("W2", seedFn, w2Hand),
    },
    {
      id: "W3",
      title:
        "W3 tanh-GELU forward+backward: out = sum(0.5x(1+tanh(0.79788(x+0.044715x^3)))), d out/d x",
      note: "hand-written uses a branch-free rational tanh (within 2 float32 ulps, ~5x faster than Math.tanh)",
      sizes: sizes.w3,
      make: fwdBwd("W3", geluSum, w3Hand, true, w3Peers),
    },
    train
      ? {
          id: "W4",
          title:
            "W4 MLP training step: batch 128, 784->256 relu ->10, crossEntropy(int32 labels), backward, SGD lr 0.01",
          note: "nn/F/optim from index.ts",
          sizes: [B],
          make: w4Train,
        }
      : {
          id: "W4",
          title:
            "W4 MLP forward+backward (sum loss; nn/F/optim not in index.ts yet): batch 128, 784->256 relu ->10",
          note: "plain tensors: x.matmul(W1.T).add(b1).relu().matmul(W2.T).add(b2).sum()",
          sizes: [B],
          make: w4Sum,
        },
    ...(train
      ? [
          {
            id: "W5",
            title:
              "W5 digits CNN training step: batch 64, 8x8, conv 1->16->16->10 (3x3, stride 2, pad 1) relu, crossEntropy, SGD lr 0.01",
            get note() {
              return `hand = the same step eagerly with convs as pad+narrow+stack+matmul (no conv ops)${torchNote()}`;
            },
            sizes: [CB],
            make: () => w5Cnn(torchSeconds),
          },
          {
            id: "W6",
            title:
              "W6 LeNet-5 training step: batch 32, 1x32x32, conv 6 5x5, relu, max pool 2, conv 16 5x5, relu, max pool 2, linear 400->120->84->10, crossEntropy, SGD lr 0.01",
            get note() {
              return `hand = the same step eagerly with convs as pad+narrow+stack+matmul and pools as reshape+amax${torchNote()}`;
            },
            sizes: [LB],
            make: () => w6LeNet(torchSeconds),
          },
          {
            id: "S1",
            title:
              "S1 small MLP training step: batch 64, 64->128 relu ->10, crossEntropy, Adam lr 1e-3",
            note: "synthetic data; PyTorch row: torch 1.13, torch.set_num_threads(1), same weights and data",
            sizes: [64],
            make: smallStep("S1", [64, 128, 10], torchSeconds),
          },
          {
            id: "S2",
            title:
              "S2 digits softmax regression step: batch 64, 8x8 inputs (64->10), crossEntropy, Adam lr 1e-3",
            note: "synthetic data of the digits' shape; PyTorch row as S1",
            sizes: [64],
            make: smallStep("S2", [64, 10], torchSeconds),
          },
        ]
      : []),
  ];
}
