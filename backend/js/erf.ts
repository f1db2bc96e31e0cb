// erf for kernels (the `erf` op's formula calls it): FreeBSD msun's s_erf.c (Sun Microsystems,
// freely distributable; the same rational approximations as Go's math.Erf and glibc). Error below
// 1 ulp in double, far below float32's.
//   |x| < 0.84375   erf(x) = x + x * P(x^2)/Q(x^2)
//   0.84375..1.25   erf(x) = sign(x) * (erx + P1(s)/Q1(s)),  s = |x| - 1
//   1.25..6         erf(x) = sign(x) * (1 - exp(-z^2 - 0.5625) exp((z-a)(z+a) + R/S) / a),
//                   a = |x|, z = a rounded to float (so z*z is exact), R/S in 1/a^2, two ranges
//   >= 6            erf(x) = sign(x)
const pp = [
  1.28379167095512558561e-1, -3.2504210724700149937e-1, -2.84817495755985104766e-2,
  -5.77027029648944159157e-3, -2.37630166566501626084e-5,
];
const qq = [
  1, 3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3,
  1.32494738004321644526e-4, -3.9602282787753681232e-6,
];
const pa = [
  -2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1,
  3.18346619901161753674e-1, -1.10894694282396677476e-1, 3.54783043256182359371e-2,
  -2.166375594868790843e-3,
];
const qa = [
  1, 1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2,
  1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.1984499846799107417e-2,
];
const ra = [
  -9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1,
  -6.23753324503260060396e1, -1.62396669462573470355e2, -1.84605092906711035994e2,
  -8.12874355063065934246e1, -9.81432934416914548592,
];
const sa = [
  1, 1.96512716674392571292e1, 1.376577541435190426e2, 4.34565877475229228821e2,
  6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2,
  6.57024977031928170135, -6.04244152148580987438e-2,
];
const rb = [
  -9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1,
  -1.60636384855821916062e2, -6.37566443368389627722e2, -1.02509513161107724954e3,
  -4.83519191608651397019e2,
];
const sb = [
  1, 3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3,
  3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2,
  -2.24409524465858183362e1,
];
const erx = 8.45062911510467529297e-1;

// c[0] + v (c[1] + v (c[2] + ...)), by Horner's rule
function poly(v: number, c: number[]): number {
  let acc = c[c.length - 1];
  for (let i = c.length - 2; i >= 0; i--) acc = c[i] + v * acc;
  return acc;
}

export function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 0.84375) {
    const z = x * x;
    return x + x * (poly(z, pp) / poly(z, qq));
  }
  const sign = x < 0 ? -1 : 1;
  if (a < 1.25) {
    const s = a - 1;
    return sign * (erx + poly(s, pa) / poly(s, qa));
  }
  if (!(a < 6)) return a >= 6 ? sign : x; // NaN stays NaN
  const s = 1 / (a * a),
    z = Math.fround(a);
  const rs = a < 1 / 0.35 ? poly(s, ra) / poly(s, sa) : poly(s, rb) / poly(s, sb);
  return sign * (1 - (Math.exp(-z * z - 0.5625) * Math.exp((z - a) * (z + a) + rs)) / a);
}

// erfc(x) = 1 - erf(x) without the cancellation for large x (msun's erfc, same approximations):
// exp(-x^2) R/S / x directly for x >= 1.25, so erfc(5) = 1.5e-12 keeps its digits.
export function erfc(x: number): number {
  const a = Math.abs(x);
  if (a < 0.84375) {
    const z = x * x,
      y = x * (poly(z, pp) / poly(z, qq));
    if (x < 0.25) return 1 - (x + y);
    return 0.5 - (y + (x - 0.5)); // msun's half - (x*y + (x - half)), y here being x*y there
  }
  if (a < 1.25) {
    const s = a - 1,
      p = poly(s, pa) / poly(s, qa);
    return x >= 0 ? 1 - erx - p : 1 + (erx + p);
  }
  if (!(a < 28)) return Number.isNaN(x) ? x : x > 0 ? 0 : 2;
  if (x < -6) return 2;
  const s = 1 / (a * a),
    z = Math.fround(a);
  const rs = a < 1 / 0.35 ? poly(s, ra) / poly(s, sa) : poly(s, rb) / poly(s, sb);
  const r = (Math.exp(-z * z - 0.5625) * Math.exp((z - a) * (z + a) + rs)) / a;
  return x > 0 ? r : 2 - r;
}

// erfinv as PyTorch's calc_erfinv (ATen's Math.h, after Pavlis' Matlab erfinv): a rational
// approximation (|y| <= 0.7, and in sqrt(-log((1 - |y|) / 2)) beyond), then two Newton steps on
// erf, which take its ~1e-6 relative error to double precision. NaN outside [-1, 1], +-inf at +-1.
const ia = [0.886226899, -1.645349621, 0.914624893, -0.140543331];
const ib = [1, -2.118377725, 1.442710462, -0.329097515, 0.012229801];
const ic = [-1.970840454, -1.624906493, 3.429567803, 1.641345311];
const id = [1, 3.5438892, 1.6370678];
const twoOverSqrtPi = 2 / Math.sqrt(Math.PI);
export function erfinv(y: number): number {
  const a = Math.abs(y);
  if (!(a <= 1)) return Number.NaN;
  if (a === 1) return y * Infinity;
  let x: number;
  if (a <= 0.7) {
    const z = y * y;
    x = (y * poly(z, ia)) / poly(z, ib);
  } else {
    const z = Math.sqrt(-Math.log((1 - a) / 2)),
      num = poly(z, ic);
    x = (y < 0 ? -num : num) / poly(z, id);
  }
  x -= (erf(x) - y) / (twoOverSqrtPi * Math.exp(-x * x));
  x -= (erf(x) - y) / (twoOverSqrtPi * Math.exp(-x * x));
  return x;
}
