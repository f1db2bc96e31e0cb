// Hand-written reference loops: what an expert writes in plain JavaScript over Float32Array.
// Single pass, forward and gradient fused, four independent accumulators, no allocation per call
// (gradients go into buffers the caller allocated once). They are the practical limit of JS here.

// tanh: V8's Math.tanh costs ~28 ns/element here. This is Eigen's float tanh: an odd rational
// approximation (degree 13/6) on [-7.9, 7.9], evaluated in double, ~5 ns. Within 2.6e-8 of
// Math.tanh on that interval (~1 float32 ulp); inputs beyond it are clamped, which is within
// 2.6e-7 (~2 float32 ulps below 1). Branch-free on purpose: with an exact tail (1 - 2e^-2|x|)
// behind a branch, the W3 loop measured 8.1 ns/element, and 10.6 once an input took the branch.
export function fastTanh(v: number): number {
  const x = v > 7.90531110763549805 ? 7.90531110763549805 : Math.max(v, -7.90531110763549805);
  const x2 = x * x;
  let p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = x2 * p + -8.60467152213735e-11;
  p = x2 * p + 5.12229709037114e-8;
  p = x2 * p + 1.48572235717979e-5;
  p = x2 * p + 6.37261928875436e-4;
  p = x2 * p + 4.89352455891786e-3;
  let q = x2 * 1.19825839466702e-6 + 1.18534705686654e-4;
  q = x2 * q + 2.268434632439e-3;
  q = x2 * q + 4.89352518554385e-3;
  return (x * p) / q;
}

// W1: mean(3 (x+2)^2)
export function w1Hand(x: Float32Array): number {
  const n = x.length;
  let a0 = 0,
    a1 = 0,
    a2 = 0,
    a3 = 0,
    i = 0;
  for (; i + 3 < n; i += 4) {
    const y0 = x[i] + 2,
      y1 = x[i + 1] + 2,
      y2 = x[i + 2] + 2,
      y3 = x[i + 3] + 2;
    a0 += y0 * y0;
    a1 += y1 * y1;
    a2 += y2 * y2;
    a3 += y3 * y3;
  }
  for (; i < n; i++) {
    const y = x[i] + 2;
    a0 += y * y;
  }
  return (3 * (a0 + a1 + a2 + a3)) / n;
}

// W2: the W1 value, and d/dx = 6 (x+2) / N into gx.
export function w2Hand(x: Float32Array, gx: Float32Array): number {
  const n = x.length,
    s = 6 / n;
  let a0 = 0,
    a1 = 0,
    a2 = 0,
    a3 = 0,
    i = 0;
  for (; i + 3 < n; i += 4) {
    const y0 = x[i] + 2,
      y1 = x[i + 1] + 2,
      y2 = x[i + 2] + 2,
      y3 = x[i + 3] + 2;
    a0 += y0 * y0;
    a1 += y1 * y1;
    a2 += y2 * y2;
    a3 += y3 * y3;
    gx[i] = s * y0;
    gx[i + 1] = s * y1;
    gx[i + 2] = s * y2;
    gx[i + 3] = s * y3;
  }
  for (; i < n; i++) {
    const y = x[i] + 2;
    a0 += y * y;
    gx[i] = s * y;
  }
  return (3 * (a0 + a1 + a2 + a3)) / n;
}

// W3: sum(gelu_tanh(x)) and its gradient into gx.
// g = 0.5 x (1 + t), t = tanh(c (x + a x^3)); dg/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 a x^2)
const C = 0.7978845608,
  A = 0.044715,
  A3 = 3 * 0.044715;
export function w3Hand(x: Float32Array, gx: Float32Array): number {
  const n = x.length;
  let a0 = 0,
    a1 = 0,
    a2 = 0,
    a3 = 0,
    i = 0;
  for (; i + 3 < n; i += 4) {
    const x0 = x[i],
      x1 = x[i + 1],
      x2 = x[i + 2],
      x3 = x[i + 3];
    const q0 = x0 * x0,
      q1 = x1 * x1,
      q2 = x2 * x2,
      q3 = x3 * x3;
    const t0 = fastTanh(C * x0 * (1 + A * q0)),
      t1 = fastTanh(C * x1 * (1 + A * q1));
    const t2 = fastTanh(C * x2 * (1 + A * q2)),
      t3 = fastTanh(C * x3 * (1 + A * q3));
    const h0 = 0.5 * x0,
      h1 = 0.5 * x1,
      h2 = 0.5 * x2,
      h3 = 0.5 * x3;
    a0 += h0 * (1 + t0);
    a1 += h1 * (1 + t1);
    a2 += h2 * (1 + t2);
    a3 += h3 * (1 + t3);
    gx[i] = 0.5 * (1 + t0) + h0 * (1 - t0 * t0) * C * (1 + A3 * q0);
    gx[i + 1] = 0.5 * (1 + t1) + h1 * (1 - t1 * t1) * C * (1 + A3 * q1);
    gx[i + 2] = 0.5 * (1 + t2) + h2 * (1 - t2 * t2) * C * (1 + A3 * q2);
    gx[i + 3] = 0.5 * (1 + t3) + h3 * (1 - t3 * t3) * C * (1 + A3 * q3);
  }
  for (; i < n; i++) {
    const x0 = x[i],
      q0 = x0 * x0,
      t0 = fastTanh(C * x0 * (1 + A * q0)),
      h0 = 0.5 * x0;
    a0 += h0 * (1 + t0);
    gx[i] = 0.5 * (1 + t0) + h0 * (1 - t0 * t0) * C * (1 + A3 * q0);
  }
  return a0 + a1 + a2 + a3;
}

// The copy loop: memory-bandwidth reference (reads n floats, writes n floats).
export function copyLoop(src: Float32Array, dst: Float32Array): void {
  const n = src.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    dst[i] = src[i];
    dst[i + 1] = src[i + 1];
    dst[i + 2] = src[i + 2];
    dst[i + 3] = src[i + 3];
  }
  for (; i < n; i++) dst[i] = src[i];
}

// ---- matrices (row-major): 4x4 register-blocked loops, no packing. Straightforward but decent
// JavaScript; runtime/matmul.ts (packed panels) is the tuned library kernel. ----

// C[m,n] = A[m,k] @ B[n,k]^T (+ bias[n]): dot products of contiguous rows, a 4x4 tile of C in
// registers (16 multiply-adds per 8 loads).
export function mmNT(
  A: Float32Array,
  B: Float32Array,
  Cm: Float32Array,
  m: number,
  k: number,
  n: number,
  bias?: Float32Array,
): void {
  const m4 = m - (m % 4),
    n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * k,
      a1 = a0 + k,
      a2 = a1 + k,
      a3 = a2 + k;
    for (let j = 0; j < n4; j += 4) {
      const b0 = j * k,
        b1 = b0 + k,
        b2 = b1 + k,
        b3 = b2 + k;
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = A[a0 + p],
          x1 = A[a1 + p],
          x2 = A[a2 + p],
          x3 = A[a3 + p];
        const w0 = B[b0 + p],
          w1 = B[b1 + p],
          w2 = B[b2 + p],
          w3 = B[b3 + p];
        c00 += x0 * w0;
        c01 += x0 * w1;
        c02 += x0 * w2;
        c03 += x0 * w3;
        c10 += x1 * w0;
        c11 += x1 * w1;
        c12 += x1 * w2;
        c13 += x1 * w3;
        c20 += x2 * w0;
        c21 += x2 * w1;
        c22 += x2 * w2;
        c23 += x2 * w3;
        c30 += x3 * w0;
        c31 += x3 * w1;
        c32 += x3 * w2;
        c33 += x3 * w3;
      }
      const d0 = bias ? bias[j] : 0,
        d1 = bias ? bias[j + 1] : 0,
        d2 = bias ? bias[j + 2] : 0,
        d3 = bias ? bias[j + 3] : 0;
      const o0 = i * n + j,
        o1 = o0 + n,
        o2 = o1 + n,
        o3 = o2 + n;
      Cm[o0] = c00 + d0;
      Cm[o0 + 1] = c01 + d1;
      Cm[o0 + 2] = c02 + d2;
      Cm[o0 + 3] = c03 + d3;
      Cm[o1] = c10 + d0;
      Cm[o1 + 1] = c11 + d1;
      Cm[o1 + 2] = c12 + d2;
      Cm[o1 + 3] = c13 + d3;
      Cm[o2] = c20 + d0;
      Cm[o2 + 1] = c21 + d1;
      Cm[o2 + 2] = c22 + d2;
      Cm[o2 + 3] = c23 + d3;
      Cm[o3] = c30 + d0;
      Cm[o3 + 1] = c31 + d1;
      Cm[o3 + 2] = c32 + d2;
      Cm[o3 + 3] = c33 + d3;
    }
  }
  // edges: rows past m4 and columns past n4, plain dot products with two accumulators
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let s0 = 0,
        s1 = 0,
        p = 0;
      const a = i * k,
        b = j * k;
      for (; p + 1 < k; p += 2) {
        s0 += A[a + p] * B[b + p];
        s1 += A[a + p + 1] * B[b + p + 1];
      }
      if (p < k) s0 += A[a + p] * B[b + p];
      Cm[i * n + j] = s0 + s1 + (bias ? bias[j] : 0);
    }
  }
}

// C[m,n] = A[m,k] @ B[k,n]: a 4x4 tile of C in registers; loads of A rows and of B row segments.
export function mmNN(
  A: Float32Array,
  B: Float32Array,
  Cm: Float32Array,
  m: number,
  k: number,
  n: number,
): void {
  const m4 = m - (m % 4),
    n4 = n - (n % 4);
  for (let j = 0; j < n4; j += 4) {
    // column strips outer: the strip of B stays in cache across rows
    for (let i = 0; i < m4; i += 4) {
      const a0 = i * k,
        a1 = a0 + k,
        a2 = a1 + k,
        a3 = a2 + k;
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let p = 0, b = j; p < k; p++, b += n) {
        const x0 = A[a0 + p],
          x1 = A[a1 + p],
          x2 = A[a2 + p],
          x3 = A[a3 + p];
        const w0 = B[b],
          w1 = B[b + 1],
          w2 = B[b + 2],
          w3 = B[b + 3];
        c00 += x0 * w0;
        c01 += x0 * w1;
        c02 += x0 * w2;
        c03 += x0 * w3;
        c10 += x1 * w0;
        c11 += x1 * w1;
        c12 += x1 * w2;
        c13 += x1 * w3;
        c20 += x2 * w0;
        c21 += x2 * w1;
        c22 += x2 * w2;
        c23 += x2 * w3;
        c30 += x3 * w0;
        c31 += x3 * w1;
        c32 += x3 * w2;
        c33 += x3 * w3;
      }
      const o0 = i * n + j,
        o1 = o0 + n,
        o2 = o1 + n,
        o3 = o2 + n;
      Cm[o0] = c00;
      Cm[o0 + 1] = c01;
      Cm[o0 + 2] = c02;
      Cm[o0 + 3] = c03;
      Cm[o1] = c10;
      Cm[o1 + 1] = c11;
      Cm[o1 + 2] = c12;
      Cm[o1 + 3] = c13;
      Cm[o2] = c20;
      Cm[o2 + 1] = c21;
      Cm[o2 + 2] = c22;
      Cm[o2 + 3] = c23;
      Cm[o3] = c30;
      Cm[o3 + 1] = c31;
      Cm[o3 + 2] = c32;
      Cm[o3 + 3] = c33;
    }
  }
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[i * k + p] * B[p * n + j];
      Cm[i * n + j] = s;
    }
  }
}

// C[n,k] = G[m,n]^T @ X[m,k] (weight gradients): a 4x4 tile of C in registers while walking the
// m rows of both G and X (contiguous 4-wide loads from each row).
export function mmTN(
  G: Float32Array,
  X: Float32Array,
  Cm: Float32Array,
  m: number,
  n: number,
  k: number,
): void {
  const n4 = n - (n % 4),
    k4 = k - (k % 4);
  for (let j = 0; j < n4; j += 4) {
    for (let p = 0; p < k4; p += 4) {
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0,
        c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0,
        c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let i = 0, g = j, x = p; i < m; i++, g += n, x += k) {
        const g0 = G[g],
          g1 = G[g + 1],
          g2 = G[g + 2],
          g3 = G[g + 3];
        const x0 = X[x],
          x1 = X[x + 1],
          x2 = X[x + 2],
          x3 = X[x + 3];
        c00 += g0 * x0;
        c01 += g0 * x1;
        c02 += g0 * x2;
        c03 += g0 * x3;
        c10 += g1 * x0;
        c11 += g1 * x1;
        c12 += g1 * x2;
        c13 += g1 * x3;
        c20 += g2 * x0;
        c21 += g2 * x1;
        c22 += g2 * x2;
        c23 += g2 * x3;
        c30 += g3 * x0;
        c31 += g3 * x1;
        c32 += g3 * x2;
        c33 += g3 * x3;
      }
      const o0 = j * k + p,
        o1 = o0 + k,
        o2 = o1 + k,
        o3 = o2 + k;
      Cm[o0] = c00;
      Cm[o0 + 1] = c01;
      Cm[o0 + 2] = c02;
      Cm[o0 + 3] = c03;
      Cm[o1] = c10;
      Cm[o1 + 1] = c11;
      Cm[o1 + 2] = c12;
      Cm[o1 + 3] = c13;
      Cm[o2] = c20;
      Cm[o2 + 1] = c21;
      Cm[o2 + 2] = c22;
      Cm[o2 + 3] = c23;
      Cm[o3] = c30;
      Cm[o3 + 1] = c31;
      Cm[o3 + 2] = c32;
      Cm[o3 + 3] = c33;
    }
  }
  for (let j = 0; j < n; j++) {
    for (let p = j < n4 ? k4 : 0; p < k; p++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += G[i * n + j] * X[i * k + p];
      Cm[j * k + p] = s;
    }
  }
}

// W4: the MLP (x[B,784] -> Linear(784,256) -> relu -> Linear(256,10)), forward and backward of
// either a sum loss (grads only) or mean softmax cross-entropy on int labels followed by an SGD step.
export interface Mlp {
  W1: Float32Array;
  b1: Float32Array;
  W2: Float32Array;
  b2: Float32Array;
  gW1: Float32Array;
  gb1: Float32Array;
  gW2: Float32Array;
  gb2: Float32Array;
}
export function makeHandMlp(
  B: number,
  D: number,
  H: number,
  O: number,
  p: { W1: Float32Array; b1: Float32Array; W2: Float32Array; b2: Float32Array },
) {
  const net: Mlp = {
    W1: p.W1.slice(),
    b1: p.b1.slice(),
    W2: p.W2.slice(),
    b2: p.b2.slice(),
    gW1: new Float32Array(H * D),
    gb1: new Float32Array(H),
    gW2: new Float32Array(O * H),
    gb2: new Float32Array(O),
  };
  const h = new Float32Array(B * H),
    y = new Float32Array(B * O),
    dy = new Float32Array(B * O),
    dh = new Float32Array(B * H);
  const step = (x: Float32Array, labels: Int32Array | null, lr: number): number => {
    const { W1, b1, W2, b2, gW1, gb1, gW2, gb2 } = net;
    mmNT(x, W1, h, B, D, H, b1);
    for (let i = 0; i < B * H; i++) if (h[i] < 0) h[i] = 0;
    mmNT(h, W2, y, B, H, O, b2);
    let loss = 0;
    if (labels) {
      // mean cross-entropy; dy = (softmax(y) - onehot) / B
      for (let r = 0; r < B; r++) {
        const o = r * O;
        let mx = -Infinity;
        for (let j = 0; j < O; j++) if (y[o + j] > mx) mx = y[o + j];
        let s = 0;
        for (let j = 0; j < O; j++) {
          const e = Math.exp(y[o + j] - mx);
          dy[o + j] = e;
          s += e;
        }
        loss += Math.log(s) + mx - y[o + labels[r]];
        const inv = 1 / (s * B);
        for (let j = 0; j < O; j++) dy[o + j] *= inv;
        dy[o + labels[r]] -= 1 / B;
      }
      loss /= B;
    } else {
      for (let i = 0; i < B * O; i++) {
        loss += y[i];
        dy[i] = 1;
      }
    }
    gb2.fill(0);
    for (let r = 0; r < B; r++) for (let j = 0; j < O; j++) gb2[j] += dy[r * O + j];
    mmTN(dy, h, gW2, B, O, H);
    mmNN(dy, W2, dh, B, O, H);
    gb1.fill(0);
    for (let r = 0; r < B; r++) {
      const o = r * H;
      for (let j = 0; j < H; j++) {
        if (h[o + j] <= 0) dh[o + j] = 0;
        gb1[j] += dh[o + j];
      }
    }
    mmTN(dh, x, gW1, B, H, D);
    if (lr) {
      for (let i = 0; i < W1.length; i++) W1[i] -= lr * gW1[i];
      for (let i = 0; i < b1.length; i++) b1[i] -= lr * gb1[i];
      for (let i = 0; i < W2.length; i++) W2[i] -= lr * gW2[i];
      for (let i = 0; i < b2.length; i++) b2[i] -= lr * gb2[i];
    }
    return loss;
  };
  return { net, step };
}
