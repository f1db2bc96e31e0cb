// The training worker: the spirals MLP (2-64-64-3) with a compiled loss + backward and a compiled
// Adam step, trained batch by batch; every few steps it reports the loss, the held-out accuracy
// and the decision regions to the page, which stays free to draw.
import { compile, F, manualSeed, nn, optim, type Tensor, tensor } from "jitgrad";
import type { Progress, Setup } from "./protocol";
import { batch, CLASSES, predict, shuffled, spirals } from "./spirals";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

const PER_CLASS = 1000,
  TRAIN = 2400,
  BATCH = 128,
  EPOCHS = 40,
  LR = 0.02,
  GRID = 80,
  REPORT_EVERY = 8; // steps

function train(): void {
  manualSeed(0);
  const data = spirals(PER_CLASS);
  const order = shuffled(data.y.length);
  const trainIdx = order.slice(0, TRAIN);
  const [testX, testY] = batch(data, order.slice(TRAIN));
  const testLabels = testY.values();

  const model = new nn.Sequential(
    new nn.Linear(2, 64),
    new nn.ReLU(),
    new nn.Linear(64, 64),
    new nn.ReLU(),
    new nn.Linear(64, CLASSES),
  );
  const loss = compile((x: Tensor, y: Tensor) => F.crossEntropy(model.forward(x), y));
  const opt = new optim.Adam(model.parameters(), { lr: LR });

  // the grid the decision regions are predicted on, top row first
  const g = new Float32Array(2 * GRID * GRID);
  for (let r = 0; r < GRID; r++)
    for (let c = 0; c < GRID; c++) {
      g[2 * (r * GRID + c)] = -1.1 + (2.2 * (c + 0.5)) / GRID;
      g[2 * (r * GRID + c) + 1] = 1.1 - (2.2 * (r + 0.5)) / GRID;
    }
  const grid = tensor(g, { shape: [GRID * GRID, 2] });

  const [x0, y0] = batch(data, trainIdx.subarray(0, BATCH));
  const lossPlan = loss.explain(x0, y0);
  loss(x0, y0).backward(); // gradients exist, so the optimizer's step can be explained
  const optPlan = opt.explain();
  opt.zeroGrad();
  const setup: Setup = {
    type: "setup",
    points: data.x,
    labels: data.y,
    grid: GRID,
    kernels: `// ---- loss + backward: compile((x, y) => F.crossEntropy(model.forward(x), y))\n${lossPlan.code}\n\n// ---- optimizer: optim.Adam(model.parameters()).step()\n${optPlan.code}`,
    kernelCounts: {
      lossForward: lossPlan.forwardKernels,
      lossBackward: lossPlan.backwardKernels,
      optimizer: optPlan.forwardKernels,
    },
  };
  scope.postMessage(setup);

  const batches = Math.floor(TRAIN / BATCH);
  let step = 0,
    epoch = 0,
    perm = shuffled(TRAIN),
    b = 0,
    sum = 0,
    count = 0,
    since = performance.now();
  // a few steps per task, so the worker also stays responsive to messages
  const tick = () => {
    for (let i = 0; i < REPORT_EVERY; i++) {
      if (b === batches) {
        epoch++;
        b = 0;
        perm = shuffled(TRAIN);
        opt.lr = LR * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * epoch) / EPOCHS)));
      }
      const idx = Array.from(perm.subarray(b * BATCH, (b + 1) * BATCH), (j) => trainIdx[j]);
      opt.zeroGrad();
      const l = loss(...batch(data, idx));
      l.backward();
      opt.step();
      sum += l.item();
      count++;
      step++;
      b++;
    }
    const predicted = predict(model, testX);
    let right = 0;
    for (let i = 0; i < predicted.length; i++) if (predicted[i] === testLabels[i]) right++;
    const now = performance.now();
    const progress: Progress = {
      type: "progress",
      step,
      epoch,
      loss: sum / count,
      testAccuracy: right / predicted.length,
      regions: predict(model, grid),
      stepsPerSecond: (count * 1000) / (now - since),
      done: epoch >= EPOCHS,
    };
    scope.postMessage(progress, [progress.regions.buffer]);
    sum = count = 0;
    since = now;
    if (!progress.done) setTimeout(tick, 0);
  };
  tick();
}

scope.onmessage = (e) => {
  if (e.data === "start") train();
};
