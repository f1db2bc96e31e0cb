// One convolution call's data movement bookkeeping (conv.ts `convolve`): where the operands' spans
// and tables are staged after the GEMM's scratch, and the queue of rows that one movement call runs
// (a JS-to-Wasm call a row cost more than the row's values on small layers). A class, not closures
// made per call: a dozen small closures a call, each named by the bundler's helper, were 2% of the
// digits CNN's step.
import type { Strided } from "../backend";
import type { Panels, Scratch } from "./conv";
import { jsMovement, type Movement } from "./im2col";

const up4 = (n: number) => Math.ceil(n / 4) * 4;
// (the queue on the JS movement, grown as needed)
let jsRows = new Int32Array(0);
// Wasm memory as int32s, one view per buffer (memory growth replaces the buffer)
let heapInts: Int32Array | undefined;

export class Staging {
  free = 0; // the next free float after the scratch (set by the caller, then bumped)
  rows: Int32Array<ArrayBufferLike> = jsRows;
  rowsAt = 0; // where the queue starts in `rows` (in Wasm memory when staged)
  private queued = 0;
  constructor(
    readonly mv: Movement,
    private readonly ins: Strided[],
    private readonly spans: [number, number][],
  ) {}
  // floats the staged span of operand v and these tables take (0: read in place)
  staged(v: number, tabs: Int32Array[]): number {
    if (!this.mv.staged) return 0;
    let n = up4(this.spans[v][1] - this.spans[v][0]);
    for (const t of tabs) n += up4(t.length);
    return n;
  }
  // floats a queue of `max` rows takes
  reserve(max: number): number {
    return this.mv.staged ? up4(3 * max) : 0;
  }
  // operand v's span and the tables into Wasm memory (staged): the shift to add to indices into
  // the operand, then each table's start
  stage(s: Scratch, v: number, tabs: Int32Array[]): number[] {
    const [lo, hi] = this.spans[v];
    const at = [this.mv.source(s.C, this.free, this.ins[v].storage!, lo, hi)];
    this.free += up4(hi - lo);
    for (const t of tabs) {
      at.push(this.mv.table(s.C, this.free, t));
      this.free += up4(t.length);
    }
    return at;
  }
  // a queue of up to `max` rows: in Wasm memory when staged, else a JS array
  queue(s: Scratch, max: number): void {
    if (this.mv.staged) {
      this.rowsAt = s.C.byteOffset / 4 + this.free;
      this.free += up4(3 * max);
      if (heapInts?.buffer !== s.C.buffer) heapInts = new Int32Array(s.C.buffer);
      this.rows = heapInts;
    } else {
      if (jsRows.length < 3 * max) jsRows = new Int32Array(3 * max);
      this.rows = jsRows;
      this.rowsAt = 0;
    }
    this.queued = this.rowsAt;
  }
  // (queued: the next free index in rows)
  push(a: number, b: number, c: number): void {
    const r = this.rows;
    r[this.queued++] = a;
    r[this.queued++] = b;
    r[this.queued++] = c;
  }
  // the queued rows' count, the queue emptied
  take(): number {
    const n = (this.queued - this.rowsAt) / 3;
    this.queued = this.rowsAt;
    return n;
  }
}

// The movement a call uses: `movement`, which stages the operands' spans next to the product,
// unless one is much wider than its elements (a view into a larger tensor): then the JS loops,
// reading them in place.
export function movementFor(
  movement: Movement,
  ins: Strided[],
  spans: [number, number][],
  numel: (shape: readonly number[]) => number,
): Movement {
  return movement.staged &&
    ins.every((v, i) => spans[i][1] - spans[i][0] <= 2 * numel(v.shape) + 64)
    ? movement
    : jsMovement;
}

// Rows of W (offsets from `base`, staged) as A's panels of mr rows, `depth` long along k, in Wasm:
// per panel, its k evenly spaced columns (`step` apart) walked as the gather's samples and the
// panel's row offsets (rowTab, staged at `tabAt`; -1 past the last row: zeros) as its table.
// Packing in JS was 4% of the digits CNN's step.
export function packRows(
  st: Staging,
  src: ArrayLike<number>,
  base: number,
  rowTab: Int32Array,
  tabAt: number,
  step: number,
  count: number,
  k: number,
  mr: number,
  dst: Panels,
  at: number,
  depth: number,
): void {
  for (let i0 = 0; i0 < count; i0 += mr) st.push(base, tabAt + i0, at + i0 * depth);
  st.mv.gatherRows(src, st.rows, st.rowsAt, st.take(), step, k, rowTab, mr, dst, 0, 1, 0);
}
