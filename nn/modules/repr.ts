// Python's repr of the values modules print in their extra_repr: floats as Python writes them
// (1.0, 0.1, 1e-05), tuples with their trailing comma, None and booleans capitalized.

/** Python's repr of a float: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, e] = x.toExponential().split("e"),
    exp = Number(e);
  if (exp < -4 || exp >= 16) {
    return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const s = String(x);
  return Number.isInteger(x) ? `${s}.0` : s;
}
/** A number printed as Python prints an int when it is integral, else as a float. */
export const pyNumber = (x: number): string => (Number.isInteger(x) ? String(x) : pyFloat(x));
/** Python's repr of a tuple of ints: (3,) or (2, 3). */
export const pyTuple = (xs: readonly (number | null)[]): string =>
  xs.length === 1 ? `(${pyValue(xs[0])},)` : `(${xs.map(pyValue).join(", ")})`;
/** An int, a tuple (an array), None (null), a bool or a str (unquoted, as format() prints it). */
export function pyValue(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return pyNumber(v);
  if (Array.isArray(v)) return pyTuple(v);
  return String(v);
}
