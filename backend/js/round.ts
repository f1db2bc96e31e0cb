// Rounding to the nearest integer with halves to even, as PyTorch's round (C's nearbyint): JS's
// Math.round sends halves up, so a half that landed on an odd integer steps back down by one.
// -0 and values in (-0.5, -0] keep their negative zero, as in PyTorch.
export function roundEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
