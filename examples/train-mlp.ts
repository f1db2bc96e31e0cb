// Train an MLP to tell three interleaved spirals apart, with a compiled loss + backward and a
// compiled Adam step. The data set is generated here (with jitgrad's torch-exact generator, so a
// run is reproducible), split into training and held-out points.
//
//   npm run example:mlp              compiled training step
//   npm run example:mlp -- --eager   the same training, op by op
//
// At the end it times one training step (loss, backward, optimizer) compiled and eager.
import { performance } from "node:perf_hooks";
import {
  compile,
  F,
  manualSeed,
  nn,
  noGrad,
  optim,
  rand,
  randn,
  type Tensor,
  tensor,
} from "jitgrad";

const eager = process.argv.includes("--eager");
const CLASSES = 3,
  PER_CLASS = 1200,
  TRAIN = 3072,
  BATCH = 128,
  EPOCHS = 25,
  LR = 0.01;

// ---------------------------------------------------------------- data
// Class k: points along an arm r = t, angle = 8 t + 2 pi k / 3 (t in [0.05, 1]: about 1.3 turns), jittered.
function spirals(): { x: Float32Array; y: Int32Array } {
  const n = CLASSES * PER_CLASS;
  const t = rand([n]).values(),
    jitter = randn([n, 2]).values();
  const x = new Float32Array(2 * n),
    y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % CLASSES,
      r = 0.05 + 0.95 * t[i];
    const angle = 8 * r + (2 * Math.PI * k) / CLASSES;
    x[2 * i] = r * Math.cos(angle) + 0.025 * jitter[2 * i];
    x[2 * i + 1] = r * Math.sin(angle) + 0.025 * jitter[2 * i + 1];
    y[i] = k;
  }
  return { x, y };
}

// Rows `idx` of the data set as a batch: x [n, 2] float32, y [n] int32 labels.
function batch(data: { x: Float32Array; y: Int32Array }, idx: ArrayLike<number>): [Tensor, Tensor] {
  const xs = new Float32Array(2 * idx.length),
    ys = new Int32Array(idx.length);
  for (let j = 0; j < idx.length; j++) {
    xs[2 * j] = data.x[2 * idx[j]];
    xs[2 * j + 1] = data.x[2 * idx[j] + 1];
    ys[j] = data.y[idx[j]];
  }
  return [tensor(xs, { shape: [idx.length, 2] }), tensor(ys)];
}

function accuracy(model: nn.Module, [x, y]: [Tensor, Tensor]): number {
  const logits = noGrad(() => model.forward(x)).values(),
    labels = y.values();
  let right = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = logits.slice(i * CLASSES, (i + 1) * CLASSES);
    if (row.indexOf(Math.max(...row)) === labels[i]) right++;
  }
  return right / labels.length;
}

// Fisher-Yates with the global generator.
function shuffled(n: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i),
    u = rand([n]).values();
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[i] * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function progress(epoch: number, done: number, total: number, loss: number, width = 30): string {
  const full = Math.round((done / total) * width);
  return `epoch ${String(epoch).padStart(2)}/${EPOCHS} [${"█".repeat(full)}${"·".repeat(width - full)}] ${done}/${total}  loss ${loss.toFixed(4)}`;
}
const percent = (v: number, digits = 1) => `${(100 * v).toFixed(digits)}%`;

// ---------------------------------------------------------------- model and training step
const makeModel = () =>
  new nn.Sequential(
    new nn.Linear(2, 64),
    new nn.ReLU(),
    new nn.Linear(64, 64),
    new nn.ReLU(),
    new nn.Linear(64, CLASSES),
  );

// One training step: the loss (compiled: forward and backward fused into loop kernels, parameters
// captured), backward, and the optimizer update (compiled unless --eager).
function trainer(model: nn.Module, compiled: boolean) {
  const lossOf = (x: Tensor, y: Tensor) => F.crossEntropy(model.forward(x), y);
  const compiledLoss = compiled ? compile(lossOf) : null,
    loss = compiledLoss ?? lossOf;
  const lossCompiles = () => compiledLoss?.stats.compiles ?? 0;
  const opt = new optim.Adam(model.parameters(), { lr: LR, compiled });
  const step = (x: Tensor, y: Tensor): number => {
    opt.zeroGrad();
    const l = loss(x, y);
    l.backward();
    opt.step();
    return l.item();
  };
  return { step, opt, lossCompiles };
}

function main(): void {
  manualSeed(0);
  const data = spirals();
  const order = shuffled(data.y.length);
  const trainIdx = order.slice(0, TRAIN),
    testSet = batch(data, order.slice(TRAIN));
  const trainSet = batch(data, trainIdx);
  console.log(
    `three spirals: ${TRAIN} training points, ${data.y.length - TRAIN} held out; ` +
      `MLP 2-64-64-3, Adam, batch ${BATCH}, ${eager ? "eager" : "compiled"} training step`,
  );

  const model = makeModel();
  const { step, opt, lossCompiles } = trainer(model, !eager);
  const batches = Math.floor(TRAIN / BATCH); // whole batches only: one shape, one compiled program
  const start = performance.now();
  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    // cosine learning-rate decay; lr is a tensor argument of the compiled update, so no recompiles
    opt.lr = LR * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * (epoch - 1)) / EPOCHS)));
    const t0 = performance.now(),
      perm = shuffled(TRAIN);
    let sum = 0;
    for (let b = 0; b < batches; b++) {
      const idx = Array.from(perm.subarray(b * BATCH, (b + 1) * BATCH), (i) => trainIdx[i]);
      sum += step(...batch(data, idx));
      if (process.stdout.isTTY)
        process.stdout.write(`\r${progress(epoch, b + 1, batches, sum / (b + 1))}`);
    }
    const line =
      `${progress(epoch, batches, batches, sum / batches)}  train acc ${percent(accuracy(model, trainSet))}` +
      `  test acc ${percent(accuracy(model, testSet))}  ${((performance.now() - t0) / 1000).toFixed(2)} s`;
    console.log(process.stdout.isTTY ? `\r${line}` : line);
  }
  const testAcc = accuracy(model, testSet);
  if (!eager) {
    console.log(
      `compiled programs: loss+backward ${lossCompiles()}, optimizer update ${opt.stats.compiles} (for ${EPOCHS * batches} steps)`,
    );
  }
  console.log(
    `\nheld-out accuracy ${percent(testAcc, 2)} after ${EPOCHS} epochs (${((performance.now() - start) / 1000).toFixed(1)} s)`,
  );

  // ---- compiled vs eager time per training step, on the same batch from the same weights:
  // alternating rounds, best round of each (the machine may be busy with other work)
  const [xb, yb] = batch(data, trainIdx.subarray(0, BATCH));
  const steps = [true, false].map((compiled) => {
    const m = makeModel();
    m.loadStateDict(model.stateDict());
    const { step: s } = trainer(m, compiled);
    for (let i = 0; i < 20; i++) s(xb, yb); // warm up (and compile)
    return s;
  });
  const best = [Infinity, Infinity];
  for (let round = 0; round < 6; round++) {
    steps.forEach((s, k) => {
      const n = 40,
        t0 = performance.now();
      for (let i = 0; i < n; i++) s(xb, yb);
      best[k] = Math.min(best[k], (performance.now() - t0) / n);
    });
  }
  const [tc, te] = best;
  console.log(
    `time per training step (batch ${BATCH}, loss + backward + Adam): compiled ${(tc * 1000).toFixed(0)} µs, eager ${(te * 1000).toFixed(0)} µs (${(te / tc).toFixed(1)}x)`,
  );
  if (testAcc < 0.97) {
    console.error("held-out accuracy is below 97%");
    process.exitCode = 1;
  }
}

main();
