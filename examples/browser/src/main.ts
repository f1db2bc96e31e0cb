// The page: starts the training worker, draws what it reports (decision regions with the data on
// top, the loss curve, the held-out accuracy) and shows the generated kernels of the step. It
// also measures its own responsiveness: how late a 16 ms timer fires while training runs, and how
// long the page's own work (drawing a progress message) holds this thread.
import type { FromWorker, Progress, Setup } from "./protocol";

const COLORS = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
];

// What the test (and a curious user, in the console) can read.
const state = {
  step: 0,
  epoch: 0,
  loss: Number.NaN,
  testAccuracy: 0,
  bestAccuracy: 0,
  stepsPerSecond: 0,
  longestTimerDelayMs: 0,
  timerDelaysMs: [] as number[],
  drawMs: [] as number[],
  kernels: "",
  done: false,
  error: "",
};
(window as unknown as { demo: typeof state }).demo = state;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const regions = $<HTMLCanvasElement>("regions").getContext("2d")!;
const lossCanvas = $<HTMLCanvasElement>("loss").getContext("2d")!;
let setup: Setup | null = null;
const losses: number[] = [];

// the region grid's pixels, and the small canvas it is drawn to before being scaled up; made once
let grid: { image: ImageData; canvas: OffscreenCanvasRenderingContext2D } | null = null;

function drawRegions(p: Progress): void {
  if (!setup) return;
  const n = setup.grid,
    size = regions.canvas.width;
  grid ??= { image: new ImageData(n, n), canvas: new OffscreenCanvas(n, n).getContext("2d")! };
  const pixels = grid.image.data;
  for (let i = 0; i < n * n; i++) {
    const [r, g, b] = COLORS[p.regions[i]];
    pixels[4 * i] = r;
    pixels[4 * i + 1] = g;
    pixels[4 * i + 2] = b;
    pixels[4 * i + 3] = 70;
  }
  grid.canvas.putImageData(grid.image, 0, 0);
  regions.imageSmoothingEnabled = false;
  regions.clearRect(0, 0, size, size);
  regions.drawImage(grid.canvas.canvas, 0, 0, size, size);
  const at = (v: number) => ((v + 1.1) / 2.2) * size;
  for (let i = 0; i < setup.labels.length; i++) {
    const [r, g, b] = COLORS[setup.labels[i]];
    regions.fillStyle = `rgb(${r},${g},${b})`;
    regions.fillRect(at(setup.points[2 * i]) - 1.5, size - at(setup.points[2 * i + 1]) - 1.5, 3, 3);
  }
}

function drawLoss(): void {
  const { width: w, height: h } = lossCanvas.canvas;
  lossCanvas.clearRect(0, 0, w, h);
  if (losses.length < 2) return;
  const max = Math.max(...losses),
    pad = 24;
  lossCanvas.strokeStyle = "#ccc";
  lossCanvas.strokeRect(pad, 8, w - pad - 8, h - pad - 8);
  lossCanvas.fillStyle = "#666";
  lossCanvas.font = "11px system-ui";
  lossCanvas.fillText(max.toFixed(2), 2, 16);
  lossCanvas.fillText("0", 10, h - pad);
  lossCanvas.fillText(`step ${state.step}`, w - 70, h - 6);
  lossCanvas.strokeStyle = "#d62728";
  lossCanvas.lineWidth = 1.5;
  lossCanvas.beginPath();
  losses.forEach((l, i) => {
    const x = pad + (i / (losses.length - 1)) * (w - pad - 8),
      y = 8 + (1 - l / max) * (h - pad - 8);
    if (i) lossCanvas.lineTo(x, y);
    else lossCanvas.moveTo(x, y);
  });
  lossCanvas.stroke();
}

// how late the page's timer fired: 90th percentile and worst (the worst includes the OS's doing)
function lateness(): string {
  const d = [...state.timerDelaysMs].sort((a, b) => a - b);
  if (!d.length) return "-";
  return `${d[Math.floor(0.9 * d.length)].toFixed(0)} ms (p90), ${d[d.length - 1].toFixed(0)} ms (max)`;
}

function showStats(): void {
  const rows: [string, string][] = [
    ["step", String(state.step)],
    ["epoch", String(state.epoch)],
    ["loss", state.loss.toFixed(4)],
    ["held-out accuracy", `${(100 * state.testAccuracy).toFixed(1)}%`],
    ["steps/s (worker)", state.stepsPerSecond.toFixed(0)],
    ["page's 16 ms timer late by", lateness()],
  ];
  $("stats").innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("");
}

// responsiveness: a 16 ms timer on this thread; how late does it fire while the worker trains?
let last = 0,
  timer = 0;
function watchTimer(): void {
  last = performance.now();
  timer = setInterval(() => {
    const now = performance.now();
    state.longestTimerDelayMs = Math.max(state.longestTimerDelayMs, now - last - 16);
    state.timerDelaysMs.push(Math.max(0, now - last - 16));
    last = now;
  }, 16);
}

const worker = new Worker("worker.js");
worker.onerror = (e) => {
  state.error = e.message;
  $("stats").textContent = `worker error: ${e.message}`;
};
worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const start = performance.now();
  onWorkerMessage(e.data);
  if (e.data.type === "progress") state.drawMs.push(performance.now() - start);
};
function onWorkerMessage(m: FromWorker): void {
  if (m.type === "setup") {
    setup = m;
    state.kernels = m.kernels;
    $("kernels").textContent = m.kernels;
    const c = m.kernelCounts;
    $("kernel-counts").textContent =
      `loss: ${c.lossForward} forward + ${c.lossBackward} backward kernels; Adam: ${c.optimizer} kernels over all parameters`;
    watchTimer(); // training starts now
    return;
  }
  Object.assign(state, {
    step: m.step,
    epoch: m.epoch,
    loss: m.loss,
    testAccuracy: m.testAccuracy,
    bestAccuracy: Math.max(state.bestAccuracy, m.testAccuracy),
    stepsPerSecond: m.stepsPerSecond,
    done: m.done,
  });
  losses.push(m.loss);
  drawRegions(m);
  drawLoss();
  showStats();
  if (m.done) clearInterval(timer);
}
worker.postMessage("start");
