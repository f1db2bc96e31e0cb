// PyTorch-identical tensor repr: a port of torch/_tensor_str.py (PyTorch 1.13) at its
// default print options. test/eager/format.test.ts checks it against PyTorch's own output.

export type DType = "float32" | "float64" | "int32" | "bool";

const PRECISION = 4;
const LINEWIDTH = 80;
const THRESHOLD = 1000;
const EDGEITEMS = 3;
const PREFIX = "tensor(";

interface Formatter {
  width: number;
  format(v: number): string;
}

/**
 * repr(tensor) as PyTorch prints it. `values` is the flat row-major data (bool as 0/1),
 * `extras` are trailing suffixes such as "requires_grad=True" or "grad_fn=<AddBackward0>".
 * jitgrad's int32 stands in for torch's default int64, so it is printed as int64 is.
 */
export function formatTensor(
  values: ArrayLike<number>,
  shape: readonly number[],
  dtype: DType,
  extras: readonly string[] = [],
): string {
  const numel = shape.reduce((a, b) => a * b, 1);
  const suffixes: string[] = [];
  let body: string;
  if (numel === 0) {
    // Nothing to infer the dtype or shape from, so PyTorch spells both out.
    if (shape.length !== 1) suffixes.push(`size=(${shape.join(", ")})`);
    if (dtype !== "float32") suffixes.push(`dtype=${TORCH_DTYPE[dtype]}`);
    body = "[]";
  } else {
    if (dtype === "float64") suffixes.push(`dtype=${TORCH_DTYPE[dtype]}`);
    const summarize = numel > THRESHOLD;
    // The column width is computed only over the elements that will be shown.
    const fmt = makeFormatter(shownValues(values, shape, summarize), dtype);
    body = layout(values, shape, 0, PREFIX.length, summarize, fmt);
  }
  return addSuffixes(PREFIX + body, [...suffixes, ...extras], PREFIX.length);
}

const TORCH_DTYPE: Record<DType, string> = {
  float32: "torch.float32",
  float64: "torch.float64",
  int32: "torch.int64",
  bool: "torch.bool",
};

// ---------------------------------------------------------------- summarization

/** Indices shown along a dimension of size n; -1 marks the "..." gap. */
function shownIndices(n: number, summarize: boolean): number[] {
  if (summarize && n > 2 * EDGEITEMS) {
    const head = Array.from({ length: EDGEITEMS }, (_, i) => i);
    return [...head, -1, ...head.map((i) => n - EDGEITEMS + i)];
  }
  return Array.from({ length: n }, (_, i) => i);
}

/** The elements PyTorch's get_summarized_data keeps (order is irrelevant). */
function shownValues(
  values: ArrayLike<number>,
  shape: readonly number[],
  summarize: boolean,
): number[] {
  const out: number[] = [];
  const walk = (dim: number, offset: number, stride: number): void => {
    if (dim === shape.length) {
      out.push(values[offset]);
      return;
    }
    const inner = stride / shape[dim];
    for (const i of shownIndices(shape[dim], summarize))
      if (i >= 0) walk(dim + 1, offset + i * inner, inner);
  };
  walk(
    0,
    0,
    shape.reduce((a, b) => a * b, 1),
  );
  return out;
}

// ---------------------------------------------------------------- choosing a formatter

/** Mirrors _Formatter: int mode ("1."), fixed ("1.0000") or scientific ("1.0000e+00"). */
function makeFormatter(shown: number[], dtype: DType): Formatter {
  let one: (v: number) => string;
  if (dtype === "bool") one = (v) => (v ? "True" : "False");
  else if (dtype === "int32") one = (v) => String(v);
  else {
    const vals = shown.filter((v) => Number.isFinite(v) && v !== 0);
    let min = Infinity;
    let max = 0;
    for (const v of vals) {
      min = Math.min(min, Math.abs(v));
      max = Math.max(max, Math.abs(v));
    }
    const intMode = vals.every((v) => v === Math.ceil(v));
    // Tiny values only force sci mode when they have a fractional part to show.
    const sci = vals.length > 0 && (max / min > 1000 || max > 1e8 || (!intMode && min < 1e-4));
    if (sci) one = (v) => exponential(v, PRECISION);
    else if (intMode) one = (v) => fixed(v, 0) + (Number.isFinite(v) ? "." : "");
    else one = (v) => fixed(v, PRECISION);
    shown = vals; // width ignores zeros, nan and inf (they may overflow the column)
  }
  let width = 1;
  for (const v of shown) width = Math.max(width, one(v).length);
  return { width, format: (v) => one(v).padStart(width) };
}

// ---------------------------------------------------------------- formatting one value

/** Python's "{:.Nf}": the exact binary value rounded half-to-even; keeps -0's sign. */
function fixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const s = scaledAbs(x, digits)
    .toString()
    .padStart(digits + 1, "0");
  const cut = s.length - digits;
  return sign(x) + s.slice(0, cut) + (digits > 0 ? `.${s.slice(cut)}` : "");
}

/** Python's "{:.Ne}", e.g. "4.0960e+02" (JS would give "4.0960e+2" and round ties up). */
function exponential(x: number, digits: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const lo = 10n ** BigInt(digits);
  let e = x === 0 ? 0 : Math.floor(Math.log10(Math.abs(x)));
  let n = scaledAbs(x, digits - e);
  // log10 may be off by one near powers of ten, and rounding may carry into a new digit.
  while (x !== 0 && n >= lo * 10n) n = scaledAbs(x, digits - ++e);
  while (x !== 0 && n < lo) n = scaledAbs(x, digits - --e);
  const s = n.toString().padStart(digits + 1, "0"); // zero scales to 0n
  const exp = String(Math.abs(e)).padStart(2, "0");
  return `${sign(x)}${s[0]}${digits > 0 ? `.${s.slice(1)}` : ""}e${e < 0 ? "-" : "+"}${exp}`;
}

function nonFinite(x: number): string {
  return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
}

function sign(x: number): string {
  return x < 0 || Object.is(x, -0) ? "-" : "";
}

/** round(|x| * 10^p), ties to even, computed exactly on x's binary value with BigInt. */
function scaledAbs(x: number, p: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const frac = bits & ((1n << 52n) - 1n);
  // |x| = mant * 2^exp (subnormals have no implicit leading bit)
  const mant = biased === 0 ? frac : frac | (1n << 52n);
  const exp = biased === 0 ? -1074 : biased - 1075;
  let num = exp >= 0 ? mant << BigInt(exp) : mant;
  let den = exp >= 0 ? 1n : 1n << BigInt(-exp);
  if (p >= 0) num *= 10n ** BigInt(p);
  else den *= 10n ** BigInt(-p);
  const q = num / den;
  const twiceRem = (num % den) * 2n;
  return twiceRem > den || (twiceRem === den && q % 2n === 1n) ? q + 1n : q;
}

// ---------------------------------------------------------------- nested layout

/** Mirrors _tensor_str_with_formatter / _vector_str. `indent` is the column of this "[". */
function layout(
  values: ArrayLike<number>,
  shape: readonly number[],
  offset: number,
  indent: number,
  summarize: boolean,
  fmt: Formatter,
): string {
  if (shape.length === 0) return fmt.format(values[offset]);
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  const idx = shownIndices(shape[0], summarize);
  if (shape.length === 1) {
    const items = idx.map((i) => (i < 0 ? " ..." : fmt.format(values[offset + i])));
    // Each element costs its width plus ", "; the " ..." marker counts as one element.
    const perLine = Math.max(1, Math.floor((LINEWIDTH - indent) / (fmt.width + 2)));
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine)
      lines.push(items.slice(i, i + perLine).join(", "));
    return `[${lines.join(`,\n${" ".repeat(indent + 1)}`)}]`;
  }
  const rows = idx.map((i) =>
    i < 0 ? "..." : layout(values, shape.slice(1), offset + i * inner, indent + 1, summarize, fmt),
  );
  // Deeper dimensions are separated by more blank lines.
  return `[${rows.join(`,${"\n".repeat(shape.length - 1)}${" ".repeat(indent + 1)}`)}]`;
}

/** Mirrors _add_suffixes: a suffix goes on its own line when the current one would pass 80 columns. */
function addSuffixes(text: string, suffixes: readonly string[], indent: number): string {
  // PyTorch's count runs 2 past the real last-line length; copied so wrapping matches.
  let lastLen = text.length - text.lastIndexOf("\n") + 1;
  for (const suffix of suffixes) {
    if (lastLen + suffix.length + 2 > LINEWIDTH) {
      text += `,\n${" ".repeat(indent)}${suffix}`;
      lastLen = indent + suffix.length;
    } else {
      text += `, ${suffix}`;
      lastLen += suffix.length + 2;
    }
  }
  return `${text})`;
}
