// float32 tanh for kernels (the JS backend renders float32 `tanh` as tanhf).
// tanh as a 13/6 rational function (Eigen's float tanh coefficients) on [-7.9, 7.9]; beyond, the
// exact 1 - 2/(e^2x + 1) (rare, so its branch is predicted), and +-1 past 9.01 where float32 tanh is
// +-1. Several times faster than V8's Math.tanh; within 3 float32 ulps of it (4e6 random points).
export function tanhf(v: number): number {
  if (v > 7.90531110763549805 || v < -7.90531110763549805)
    return v > 9.01 ? 1 : v < -9.01 ? -1 : 1 - 2 / (Math.exp(2 * v) + 1);
  const x2 = v * v;
  const p =
    v *
    (4.89352455891786e-3 +
      x2 *
        (6.37261928875436e-4 +
          x2 *
            (1.48572235717979e-5 +
              x2 *
                (5.12229709037114e-8 +
                  x2 *
                    (-8.60467152213735e-11 +
                      x2 * (2.00018790482477e-13 + x2 * -2.76076847742355e-16))))));
  const q =
    4.89352518554385e-3 +
    x2 * (2.268434632439e-3 + x2 * (1.18534705686654e-4 + x2 * 1.19825839466702e-6));
  return p / q;
}
