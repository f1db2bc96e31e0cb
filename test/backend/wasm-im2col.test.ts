// The Wasm convolutions' data movement against the JS loops it replaces, value for value: im2col
// gathers (rows of B's panels with and without per-sample alignment, and down panels along k)
// over tap tables with runs, padding and strided taps (every kind of quad, and rows whose length
// is not a multiple of 4), col2im's block scatter-add, and the compiled kernels that copy a Wasm
// op's result out whole; then LeNet-shaped convolutions end to end, Wasm against JS and float64.
import { afterEach, describe, expect, it } from "vitest";
import { jsMovement, tapTable } from "../../backend/js/im2col";
import { quadTable } from "../../backend/wasm/im2col";
import { wasmSettings } from "../../backend/wasm/index";
import { heap } from "../../backend/wasm/module";
import { wasmMovement } from "../../backend/wasm/movement";
import { compile, F, grad, manualSeed, randn, setBackend, type Tensor } from "../../index";
import {
  convReluStep,
  expectChunksMatchFloat64,
  convLayout as layout,
} from "../support/conv-chunks";

afterEach(() => {
  setBackend("wasm");
  wasmSettings.minWork = 4096;
});

const SENTINEL = 0.5;

describe("Wasm im2col gathers, value for value as the JS loop", () => {
  const layouts = [
    { name: "stride 1 (runs)", H: 12, W: 12, k: 5, stride: 1, padding: 0 }, // Q 64
    { name: "padded (zero quads)", H: 9, W: 9, k: 3, stride: 1, padding: 2 }, // Q 121
    { name: "stride 2 (value by value)", H: 11, W: 11, k: 3, stride: 2, padding: 1 }, // Q 36
    { name: "Q = 49 (a tail)", H: 11, W: 11, k: 5, stride: 1, padding: 0 },
    { name: "Q = 3 (no quads)", H: 3, W: 5, k: 3, stride: 1, padding: 0 },
    // the digits CNN's first layer: quads but no runs, so along k the rows skip the quad walk
    { name: "stride 2, 8x8 (no runs)", H: 8, W: 8, k: 3, stride: 2, padding: 1 }, // Q 16
  ];
  const modes = [
    { name: "panel rows, aligned samples", per: 8, small: 1, align: true },
    { name: "panel rows", per: 8, small: 1, align: false },
    { name: "along k, 8 wide", per: 0, small: 8, align: false },
    { name: "along k, 4 wide", per: 0, small: 4, align: false },
  ];
  for (const l of layouts)
    for (const m of modes)
      it(`${l.name}: ${m.name}`, () => {
        const C = 3,
          N = 3;
        const { tab, Q, T } = layout(l.H, l.W, l.k, l.stride, l.padding);
        const plane = l.H * l.W,
          xn = C * plane + 7; // (samples apart by more than their channels)
        const src = Float32Array.from({ length: N * xn }, (_, i) => (i % 97) - 48.25);
        const R = C * T;
        // B's panels: rows r of per-sample (aligned) or running columns; along k: panels of
        // `small` rows, each row one lane of a k step
        const cols = m.align ? Math.ceil(Q / 8) * 8 * N : N * Q;
        const size = m.per ? Math.ceil(cols / 8) * 8 * R : Math.ceil(R / m.small) * m.small * N * Q;
        const big = 8 * R,
          K = N * Q;
        // per, small, big, rows, T, xc, w, rowStep, panelStep
        type Args = [number, number, number, number, number, number, number, number, number];
        const args: Args = m.per
          ? [m.per, 1, big, R, T, plane, R, 8, 0]
          : [0, m.small, 0, R, T, plane, m.small, 1, m.small * K];
        const want = new Float32Array(size).fill(SENTINEL);
        jsMovement.gather(src, 0, xn, N, tab, 0, Q, want, 0, ...args, m.align);
        // Wasm: the source and the table staged as conv.ts stages them
        const srcAt = 16,
          tabAt = srcAt + Math.ceil(src.length / 4) * 4,
          dstAt = tabAt + wasmMovement.tableSize(tab, Q) + 16;
        const Hp = heap(dstAt + size + 64);
        const shift = wasmMovement.source(Hp, srcAt, src, 0, src.length);
        const st = wasmMovement.table(Hp, tabAt, tab, Q);
        Hp.fill(SENTINEL, dstAt, dstAt + size);
        wasmMovement.gather(src, shift, xn, N, tab, st, Q, Hp, dstAt, ...args, m.align);
        const got = heap(0).slice(dstAt, dstAt + size);
        expect(Array.from(got)).toEqual(Array.from(want));
        expect(want.some((v) => v !== SENTINEL)).toBe(true);
        // the layouts meant to take quads have them (runs of the source, padding)
        const quads = Q >= 4 ? Array.from(quadTable(tab, Q)) : [];
        if (l.stride === 1 && Q >= 4) expect(quads.some((o) => o >= 0)).toBe(true);
        if (l.padding === 2) expect(quads).toContain(-1);
        if (l.stride === 2) expect(quads.length > 0 && quads.every((o) => o < 0)).toBe(true);
      });
});

describe("Wasm col2im, value for value as the JS loop", () => {
  // a transposed convolution's table: input positions [IH, IW] to output [OH, OW] per tap
  const cases = [
    { name: "stride 1 (runs)", I: [10, 10], k: 3, stride: 1, padding: 0 },
    { name: "stride 2, padded", I: [7, 6], k: 3, stride: 2, padding: 1 },
    { name: "I = 25 (a tail)", I: [5, 5], k: 2, stride: 1, padding: 0 },
  ];
  for (const c of cases)
    it(c.name, () => {
      const [IH, IW] = c.I,
        OH = (IH - 1) * c.stride - 2 * c.padding + c.k,
        OW = (IW - 1) * c.stride - 2 * c.padding + c.k;
      const T = c.k * c.k,
        I = IH * IW,
        Og = 3,
        N = 2,
        O = 4;
      const Q = OH * OW;
      const tab = tapTable(
        [c.k, c.k],
        [IH, IW],
        [OH, OW],
        [OW, 1],
        [c.stride, c.stride],
        [c.padding, c.padding],
        [1, 1],
      );
      const M = Og * T,
        colsN = N * I;
      const cols = Float32Array.from({ length: M * colsN }, (_, i) => ((i * 7) % 31) / 8 - 1.9);
      const outSize = N * O * Q;
      const want = new Float32Array(outSize).fill(SENTINEL);
      jsMovement.scatter(cols, 0, N, I, tab, 0, want, 0, O * Q, M, T, colsN, Q);
      const colsAt = 16,
        outAt = colsAt + cols.length + 16,
        tabAt = outAt + outSize + 16;
      const Hp = heap(tabAt + wasmMovement.tableSize(tab, I) + 16);
      Hp.set(cols, colsAt);
      Hp.fill(SENTINEL, outAt, outAt + outSize);
      const st = wasmMovement.table(Hp, tabAt, tab, I);
      wasmMovement.scatter(Hp, colsAt, N, I, tab, st, Hp, outAt, O * Q, M, T, colsN, Q);
      const got = heap(0).slice(outAt, outAt + outSize);
      expect(Array.from(got)).toEqual(Array.from(want));
    });
});

describe("Wasm kernel ops whose epilogue is a bare store", () => {
  it("copy their result out whole: compiled max pooling and its backward equal eager", () => {
    manualSeed(4);
    wasmSettings.minWork = 0;
    const x = randn([3, 5, 12, 10]);
    const pool = (a: Tensor) => F.maxPool2d(a, 2) as Tensor;
    const f = compile(pool);
    expect(f.explain(x).code).toMatch(/copied into/);
    expect(f(x).values()).toEqual(pool(x).values());
    const g = randn([3, 5, 6, 5]);
    const loss = (a: Tensor) => pool(a).mul(g).sum();
    const xr = x.detach().requiresGrad_();
    loss(xr).backward();
    expect(grad(loss)(x).values()).toEqual(xr.grad!.values());
  });
});

describe("LeNet-shaped convolutions on WebAssembly", () => {
  // ragged row panels (6 and 10 output channels), positions per sample a multiple of 4 or not
  // (28x28, 10x10, 7x7), padding, several chunks of samples: forward, input and weight gradients
  // against the JS backend and float64
  const configs = [
    { x: [5, 1, 32, 32], w: [6, 1, 5, 5], o: {} },
    { x: [4, 6, 14, 14], w: [10, 6, 5, 5], o: {} },
    { x: [3, 4, 7, 7], w: [6, 4, 3, 3], o: { padding: 1 } },
  ];
  for (const c of configs)
    it(`x ${c.x} w ${c.w} ${JSON.stringify(c.o)}`, () => {
      manualSeed(9);
      const x = randn(c.x),
        w = randn(c.w),
        b = randn([c.w[0]]);
      expectChunksMatchFloat64(convReluStep(c.o), [x, w, b], [2000]);
    });
});
