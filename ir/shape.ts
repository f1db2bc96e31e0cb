// Shapes, strides and broadcasting: the rules every op's shape function is built from.
export type Shape = readonly number[];

export const numel = (shape: Shape) => shape.reduce((a, b) => a * b, 1);

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

export const sameShape = (a: Shape, b: Shape) =>
  a.length === b.length && a.every((n, i) => n === b[i]);
export const fmtShape = (s: Shape) => `[${s.join(", ")}]`;

// PyTorch's broadcasting, with its error wording.
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1,
      y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new Error(
        `The size of tensor a (${x}) must match the size of tensor b (${y}) at non-singleton dimension ${i}`,
      );
    }
    out[i] = x === 1 ? y : x;
  }
  return out;
}

// Normalizes a possibly negative dim, with PyTorch's error when it is out of range.
export function normDim(dim: number, ndim: number): number {
  const lo = -Math.max(ndim, 1),
    hi = Math.max(ndim, 1) - 1;
  if (!Number.isInteger(dim) || dim < lo || dim > hi) {
    throw new Error(
      `Dimension out of range (expected to be in range of [${lo}, ${hi}], but got ${dim})`,
    );
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

export function normDims(dims: number | readonly number[] | undefined, ndim: number): number[] {
  if (dims === undefined) return [...Array(ndim).keys()];
  const list = (typeof dims === "number" ? [dims] : dims).map((d) => normDim(d, ndim));
  if (ndim === 0) return [];
  const seen = new Set<number>();
  for (const d of list) {
    if (seen.has(d)) throw new Error(`dim ${d} appears multiple times in the list of dims`);
    seen.add(d);
  }
  return list.sort((a, b) => a - b);
}

// The shape of a reduction's result over `dims`.
export const reducedShape = (shape: Shape, dims: readonly number[], keepdim: boolean) =>
  keepdim
    ? shape.map((n, d) => (dims.includes(d) ? 1 : n))
    : shape.filter((_, d) => !dims.includes(d));

// Resolves one -1 in a requested shape, with PyTorch's errors.
export function inferShape(requested: Shape, total: number): number[] {
  const free = requested.filter((n) => n === -1).length;
  if (free > 1) throw new Error("only one dimension can be inferred");
  const known = requested.reduce((a, n) => (n === -1 ? a : a * n), 1);
  if (free === 1 && total === 0 && known === 0)
    throw new Error(
      `cannot reshape tensor of 0 elements into shape ${fmtShape(requested)} because the unspecified dimension size -1 can be any value and is ambiguous`,
    );
  const out = requested.map((n) => {
    if (n < -1 || !Number.isInteger(n)) throw new Error(`invalid shape dimension ${n}`);
    return n === -1 ? (known === 0 ? 0 : total / known) : n;
  });
  if (numel(out) !== total || out.some((n) => !Number.isInteger(n))) {
    throw new Error(`shape '${fmtShape(requested)}' is invalid for input of size ${total}`);
  }
  return out;
}

// The dims along which a gradient of shape `from` must be summed to fit an operand of shape `to`
// (leading dims the operand lacks, and dims where it has size 1). Broadcasting's gradient lives here.
export function broadcastDims(from: Shape, to: Shape): { dims: number[]; lead: number } {
  const lead = from.length - to.length;
  const dims: number[] = [];
  for (let d = 0; d < from.length; d++)
    if (d < lead || (to[d - lead] === 1 && from[d] !== 1)) dims.push(d);
  return { dims, lead };
}

// Strides of a view of `shape` as `target`, or null when no strides exist and a copy is needed
// (PyTorch's computeStride: walk contiguous chunks of the old shape from the innermost dim).
export function reshapeStrides(
  shape: Shape,
  strides: readonly number[],
  target: Shape,
): number[] | null {
  if (shape.length === 0 || numel(shape) === 0) return contiguousStrides(target);
  const out = new Array<number>(target.length);
  let viewD = target.length - 1,
    base = strides[strides.length - 1],
    chunk = 1,
    viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    chunk *= shape[d];
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== chunk * base)) {
      while (viewD >= 0 && (viewNumel < chunk || target[viewD] === 1)) {
        out[viewD] = viewNumel * base;
        viewNumel *= target[viewD--];
      }
      if (viewNumel !== chunk) return null;
      if (d > 0) {
        base = strides[d - 1];
        chunk = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? out : null;
}
