// Three interleaved spirals (as examples/train-mlp.ts makes them) and the helpers the trainer needs.
import { type nn, noGrad, rand, randn, type Tensor, tensor } from "jitgrad";

export const CLASSES = 3;

export interface Data {
  x: Float32Array; // [n, 2]
  y: Int32Array; // [n]
}

// Class k: points along an arm r = t, angle = 8 t + 2 pi k / 3, jittered.
export function spirals(perClass: number): Data {
  const n = CLASSES * perClass;
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

// Rows `idx` of the data as a batch: x [n, 2] float32, y [n] int32 labels.
export function batch(data: Data, idx: ArrayLike<number>): [Tensor, Tensor] {
  const xs = new Float32Array(2 * idx.length),
    ys = new Int32Array(idx.length);
  for (let j = 0; j < idx.length; j++) {
    xs[2 * j] = data.x[2 * idx[j]];
    xs[2 * j + 1] = data.x[2 * idx[j] + 1];
    ys[j] = data.y[idx[j]];
  }
  return [tensor(xs, { shape: [idx.length, 2] }), tensor(ys)];
}

// The predicted class of each row of x.
export function predict(model: nn.Module, x: Tensor): Uint8Array {
  const logits = noGrad(() => model.forward(x)).values();
  const out = new Uint8Array(x.shape[0]);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let k = 1; k < CLASSES; k++)
      if (logits[i * CLASSES + k] > logits[i * CLASSES + best]) best = k;
    out[i] = best;
  }
  return out;
}

// A permutation of 0..n-1 drawn from the global generator (Fisher-Yates).
export function shuffled(n: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i),
    u = rand([n]).values();
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[i] * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
