// The small-layer conv path (backend/js/conv.ts, convolutions with few output positions a sample):
// patch rows gathered through tap tables expanded over the samples (one run a row, no per-sample
// loop), value for value as the JS loop over the samples; then the Wasm block copy that moves the
// chunk's product from [o, (n, q)] to [n, o, q], against the JS loop.
import { afterEach, describe, expect, it } from "vitest";
import { copyBlocks, jsMovement } from "../../backend/js/im2col";
import { wasmSettings } from "../../backend/wasm/index";
import { copyBlocksWasm, heap } from "../../backend/wasm/module";
import { wasmMovement } from "../../backend/wasm/movement";
import { manualSeed, randn, setBackend } from "../../index";
import { convLayout, convReluStep, expectChunksMatchFloat64 } from "../support/conv-chunks";

afterEach(() => {
  setBackend("wasm");
  wasmSettings.minWork = 4096;
});

const SENTINEL = 0.5;

describe("Wasm im2col gather over tables expanded over samples", () => {
  // [H, W, k, stride, padding, N]: 4x4, 2x2 and 1x1 outputs (the digits CNN's layers), a tail
  for (const [H, W, k, stride, padding, N] of [
    [8, 8, 3, 2, 1, 6],
    [4, 4, 3, 2, 1, 5],
    [2, 2, 3, 2, 1, 7],
    [5, 3, 2, 1, 0, 3],
  ])
    it(`matches the per-sample JS gather: ${H}x${W}, k ${k}, stride ${stride}, ${N} samples`, () => {
      const { tab, Q, T } = convLayout(H, W, k, stride, padding);
      const C = 2,
        plane = H * W,
        xn = C * plane + 3;
      // the table expanded as conv.ts's overSamples: row t is (n, q) -> n * xn + tab[t * Q + q]
      const flat = new Int32Array(T * N * Q);
      for (let t = 0, i = 0; t < T; t++)
        for (let n = 0; n < N; n++)
          for (let q = 0; q < Q; q++, i++) {
            const o = tab[t * Q + q];
            flat[i] = o < 0 ? -1 : n * xn + o;
          }
      const src = Float32Array.from({ length: N * xn }, (_, i) => (i % 89) - 40.75);
      const R = C * T,
        cols = N * Q,
        size = Math.ceil(cols / 8) * 8 * R;
      const want = new Float32Array(size).fill(SENTINEL);
      jsMovement.gather(
        src,
        0,
        xn,
        N,
        tab,
        0,
        Q,
        want,
        0,
        8,
        1,
        8 * R,
        R,
        T,
        plane,
        R,
        8,
        0,
        false,
      );
      const srcAt = 16,
        tabAt = srcAt + Math.ceil(src.length / 4) * 4,
        dstAt = tabAt + wasmMovement.tableSize(flat, cols) + 16;
      const Hp = heap(dstAt + size + 64);
      const shift = wasmMovement.source(Hp, srcAt, src, 0, src.length);
      const st = wasmMovement.table(Hp, tabAt, flat, cols);
      Hp.fill(SENTINEL, dstAt, dstAt + size);
      wasmMovement.gather(
        src,
        shift,
        0,
        1,
        flat,
        st,
        cols,
        Hp,
        dstAt,
        8,
        1,
        8 * R,
        R,
        T,
        plane,
        R,
        8,
        0,
        false,
      );
      expect(Array.from(heap(0).slice(dstAt, dstAt + size))).toEqual(Array.from(want));
      expect(want.filter((v) => v !== SENTINEL && v !== 0).length).toBeGreaterThan(cols);
    });
});

describe("Wasm block copy", () => {
  // [rows, N, Q]: Q a multiple of 4, not one, one
  for (const [rows, N, Q] of [
    [3, 5, 8],
    [4, 3, 7],
    [5, 6, 1],
  ])
    it(`moves [o, (n, q)] to [n, o, q] as the JS loop: ${rows}x${N}x${Q}`, () => {
      const size = rows * N * Q,
        from = 4,
        to = 4 + size + 5;
      const want = Float32Array.from({ length: to + size + 3 }, (_, i) => i * 0.5 - 7);
      const H = heap(want.length);
      H.set(want);
      copyBlocks(want, from, N * Q, Q, to, Q, rows * Q, rows, N, Q);
      copyBlocksWasm()(4 * from, 4 * N * Q, 4 * Q, 4 * to, 4 * Q, 4 * rows * Q, rows, N, Q);
      expect(Array.from(H.subarray(0, want.length))).toEqual(Array.from(want));
      // (a real move: the destination holds the source's values in the new order)
      expect(want[to + Q]).toBe(want[from + N * Q]);
    });
});

describe("convolutions with few positions a sample on WebAssembly", () => {
  // the digits CNN's layers (4x4, 2x2, 1x1 outputs), a 5x5 one, 3 groups; chunks of samples whose
  // last is shorter (the tables expanded for it apart)
  const s2 = { stride: 2, padding: 1 };
  const configs = [
    { x: [7, 3, 8, 8], w: [5, 3, 3, 3], o: s2 },
    { x: [8, 4, 4, 4], w: [6, 4, 3, 3], o: s2 },
    { x: [9, 2, 2, 2], w: [3, 2, 3, 3], o: s2 },
    { x: [6, 3, 7, 7], w: [4, 3, 3, 3], o: { padding: 0 } },
    { x: [5, 6, 4, 4], w: [9, 2, 3, 3], o: { ...s2, groups: 3 } },
  ];
  for (const c of configs)
    it(`x ${c.x} w ${c.w} ${JSON.stringify(c.o)}`, () => {
      manualSeed(4);
      const x = randn(c.x),
        w = randn(c.w),
        b = randn([c.w[0]]);
      expectChunksMatchFloat64(convReluStep(c.o, true), [x, w, b], [1000, 100]);
    });
});
