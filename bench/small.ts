// Small-model training steps (issue 15), where the cost is per-call overhead, not arithmetic:
//   S1: MLP 64->128 ReLU ->10, cross-entropy, Adam (lr 1e-3), batch 64
//   S2: softmax regression on 8x8 digits-shaped inputs (64->10), cross-entropy, Adam, batch 64
// Synthetic data of the digits' shape (the digits themselves are not in the repo). Variants: eager
// (op by op, Adam { compiled: false }), compiled (compiled loss + backward() + Adam's compiled
// update), the compiled whole step (compile over zeroGrad, loss, backward(), step()), and PyTorch
// 1.13 on one thread (bench/torch_step.py, from the same weights and data; its
// first step's loss and gradients are checked against eager's like every other variant).
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compile, F, manualSeed, nn, optim, rand, randn, type Tensor, tensor } from "../index";
import type { Case, Outcome, Variant } from "./workloads";

export let smallSink: unknown = null;
const f32 = (t: Tensor | null) => {
  if (!t) throw new Error("missing gradient");
  return Float32Array.from(t.values());
};
const BATCH = 64,
  LR = 1e-3,
  SEED = 4321;

export interface External {
  mean: number;
  rme: number;
  samples: number;
  median: number;
  min: number;
  hz: number;
}
// Whether /usr/bin/python3 has torch (the PyTorch rows need it).
let torchOk: boolean | null = null;
export function hasTorch(): boolean {
  if (torchOk === null) {
    const r = spawnSync("/usr/bin/python3", ["-c", "import torch"], { stdio: "ignore" });
    torchOk = r.status === 0;
  }
  return torchOk;
}

// Runs a PyTorch peer script (bench/<script>) on `spec` as JSON: its first step's loss and
// gradients, and its own timing of further steps on one thread.
export function torchRun(
  script: string,
  spec: Record<string, unknown>,
): { outcome: Outcome; timing: External } {
  const path = join(dirname(fileURLToPath(import.meta.url)), script);
  const r = spawnSync("/usr/bin/python3", [path], {
    input: JSON.stringify(spec),
    encoding: "utf8",
    maxBuffer: 1 << 26,
    env: { ...process.env, OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
  });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  const o = JSON.parse(r.stdout);
  return {
    outcome: { value: o.value, grads: o.grads.map((g: number[]) => Float32Array.from(g)) },
    timing: {
      mean: o.mean,
      rme: o.rme,
      samples: o.samples,
      median: o.median,
      min: o.min,
      hz: 1 / o.mean,
    },
  };
}
const torchPeer = (sizes: number[], x: Tensor, y: Tensor, init: Float32Array[], seconds: number) =>
  torchRun("torch_step.py", {
    sizes,
    batch: BATCH,
    lr: LR,
    seconds,
    x: x.values(),
    y: y.values(),
    params: init.map((p) => Array.from(p)),
  });

// A model of Linear layers with ReLU between, its parameters and an Adam optimizer.
function build(sizes: number[], compiledAdam: boolean) {
  manualSeed(SEED + 1);
  const layers: nn.Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new nn.Linear(sizes[i], sizes[i + 1]));
    if (i + 2 < sizes.length) layers.push(new nn.ReLU());
  }
  const model = new nn.Sequential(...layers),
    params = model.parameters();
  const opt = new optim.Adam(params, { lr: LR, compiled: compiledAdam });
  return { model, params, opt };
}
type Built = ReturnType<typeof build>;

export function smallStep(id: string, sizes: number[], torchSeconds: number): () => Case {
  return () => {
    manualSeed(SEED);
    const x = randn([BATCH, sizes[0]]);
    const y = tensor(
      Int32Array.from(rand([BATCH]).values(), (u) => Math.min(9, Math.floor(u * 10))),
      { shape: [BATCH] },
    );
    const lossOf = (m: Built["model"]) => (xx: Tensor, yy: Tensor) =>
      F.crossEntropy(m.forward(xx), yy);
    const e = build(sizes, false),
      c = build(sizes, true),
      w = build(sizes, true);
    const init = build(sizes, false).params.map(f32);
    const compiledLoss = compile(lossOf(c.model));
    const stepWith = (s: Built, loss: (x: Tensor, y: Tensor) => Tensor) => () => {
      s.opt.zeroGrad();
      const l = loss(x, y);
      l.backward();
      s.opt.step();
      return l;
    };
    const eager = stepWith(e, lossOf(e.model)),
      compiled = stepWith(c, compiledLoss),
      whole = compile(stepWith(w, lossOf(w.model)));
    const grads = (s: Built) => s.params.map((p) => f32(p.grad));
    const variants: Variant[] = [
      {
        id: "eager",
        label: "eager step (Adam compiled: false)",
        fn: () => {
          smallSink = eager();
        },
        outcome: () => ({ value: eager().item(), grads: grads(e) }),
      },
      {
        id: "compiled",
        label: "compiled loss + backward() + step()",
        fn: () => {
          smallSink = compiled();
        },
        outcome: () => ({ value: compiled().item(), grads: grads(c) }),
        code: () => compiledLoss.explain(x, y).code,
        kernels: () => {
          const ex = compiledLoss.explain(x, y);
          return { forward: ex.forwardKernels, backward: ex.backwardKernels };
        },
      },
      {
        id: "wholeStep",
        label: "compiled whole step",
        fn: () => {
          smallSink = whole();
        },
        outcome: () => ({ value: whole().item(), grads: grads(w) }),
        code: () => whole.explain().code,
        kernels: () => ({ forward: whole.explain().forwardKernels, backward: 0 }),
      },
    ];
    if (hasTorch()) {
      let peer: ReturnType<typeof torchPeer> | null = null;
      const run = () => {
        peer ??= torchPeer(sizes, x, y, init, torchSeconds);
        return peer;
      };
      variants.push({
        id: "torch",
        label: "PyTorch 1.13 step (1 thread)",
        fn: () => {},
        outcome: () => run().outcome,
        external: () => run().timing,
      });
    }
    return { workload: id, n: BATCH, variants };
  };
}
