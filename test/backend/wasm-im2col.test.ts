// The Wasm block copy (a conv's product from [o, (n, q)] to [n, o, q]) against the JS loop too.
// The Wasm im2col row gather (backend/wasm/im2col.ts: segments that end at a panel's edge, four
// values an iteration) against the JS loop it mirrors (backend/js/im2col.ts gatherRow), on the same
// source, tables and panel layouts: B panel rows (wrapping every `per` values), A rows walked
// along k (never wrapping), short and long runs, several samples or one expanded run.
import { describe, expect, it } from "vitest";
import { copyBlocks, gatherRow, jsMovement } from "../../backend/js/im2col";
import { copyBlocksWasm, gatherRowWasm, heap } from "../../backend/wasm/module";
import { wasmMovement } from "../../backend/wasm/movement";

describe("Wasm im2col gather", () => {
  // a deterministic pseudo-random source and table (some entries -1: outside the input)
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const cases = [
    { N: 3, Q: 5, per: 8, small: 1, big: 8 * 7 }, // B panel row, samples cross panels
    { N: 1, Q: 37, per: 8, small: 1, big: 8 * 3 }, // one expanded run, a ragged last panel
    { N: 4, Q: 1, per: 8, small: 1, big: 8 * 2 }, // one position a sample
    { N: 2, Q: 9, per: 0, small: 4, big: 0 }, // an A row along k
    { N: 1, Q: 30, per: 0, small: 8, big: 0 }, // a B row along k (convWeight)
    { N: 5, Q: 3, per: 4, small: 1, big: 4 * 5 },
    { N: 2, Q: 0, per: 8, small: 1, big: 8 },
  ];
  for (const c of cases)
    it(`matches the JS loop: ${JSON.stringify(c)}`, () => {
      const xn = 11,
        srcLen = c.N * xn + 16,
        tabLen = c.Q + 3,
        t0 = 3,
        outLen = 2000;
      const src = Float32Array.from({ length: srcLen }, () => next() * 2 - 1);
      const tab = Int32Array.from({ length: tabLen }, () =>
        next() < 0.2 ? -1 : Math.floor(next() * 16),
      );
      const base = 2;
      const want = new Float32Array(outLen).fill(9);
      gatherRow(src, base, xn, c.N, tab, t0, c.Q, want, 5, c.per, c.small, c.big);
      // in Wasm memory: source at 0, table after it, output after that (all 16-byte aligned)
      const S = 0,
        Tb = 4 * Math.ceil(srcLen / 4),
        O = Tb + 4 * Math.ceil(tabLen / 4);
      const H = heap(O + outLen);
      H.set(src, S);
      new Int32Array(H.buffer).set(tab, Tb);
      H.fill(9, O, O + outLen);
      gatherRowWasm()(
        4 * (S + base),
        4 * xn,
        c.N,
        4 * (Tb + t0),
        c.Q,
        4 * (O + 5),
        c.per,
        4 * c.small,
        4 * c.big,
      );
      expect(Array.from(H.subarray(O, O + outLen))).toEqual(Array.from(want));
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

describe("Wasm rows in one call", () => {
  it("gathers and scatters several rows as the JS movement does, row by row", () => {
    // Wasm memory: source at 0, table at 64, the rows' addresses at 128, destination at 256
    const src = Float32Array.from({ length: 64 }, (_, i) => i + 0.25);
    const tab = Int32Array.from({ length: 40 }, (_, i) => (i % 7 === 3 ? -1 : (i * 5) % 23));
    const desc = [3, 0, 0, 9, 10, 8, 17, 20, 16]; // (src base, table start, dst at) per row
    const shifted = (base: number[]) => desc.map((v, i) => v + base[i % 3]);
    const H = heap(512);
    const load = () => {
      H.fill(-1, 0, 512);
      H.set(src);
      new Int32Array(H.buffer).set(tab, 64);
    };
    // gather: 3 rows of 2 samples 2 apart, 5 positions each, into B panels of 8 (3 rows deep)
    const want = new Float32Array(256).fill(-1);
    jsMovement.gatherRows(src, Int32Array.from(desc), 0, 3, 2, 2, tab, 5, want, 8, 1, 8 * 3);
    load();
    const rows = new Int32Array(H.buffer); // (the rows' addresses from element 128)
    rows.set(shifted([0, 64, 256]), 128);
    wasmMovement.gatherRows(H, rows, 128, 3, 2, 2, tab, 5, H, 8, 1, 8 * 3);
    expect(Array.from(H.subarray(256, 512))).toEqual(Array.from(want));
    expect(want.filter((v) => v > 0).length).toBeGreaterThan(20);
    // scatter-add: 3 rows of columns (from the source) into the destination
    const out = new Float32Array(320).fill(-1);
    out.set(src);
    jsMovement.scatterRows(
      out,
      Int32Array.from(desc.map((v, i) => (i % 3 === 2 ? v + 256 : v))),
      0,
      3,
      2,
      5,
      tab,
      7,
    );
    load();
    rows.set(shifted([0, 64, 256]), 128);
    wasmMovement.scatterRows(H, rows, 128, 3, 2, 5, tab, 7);
    expect(Array.from(H.subarray(256, 320))).toEqual(Array.from(out.subarray(256, 320)));
    expect(out.subarray(256, 320).some((v) => v > 0)).toBe(true);
  });
});
