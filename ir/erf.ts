// The scalar formula of the `erf` primitive: FreeBSD msun's s_erf.c (Sun Microsystems, freely
// distributable; the same rational approximations as Go's math.Erf and glibc), written as one
// expression arrow function so kernels can inline it. Error below 1 ulp in double, far below float32's.
//   |x| < 0.84375       erf(x) = x + x * P(x^2)/Q(x^2)
//   0.84375..1.25       erf(x) = sign(x) * (erx + P1(s)/Q1(s)),  s = |x| - 1
//   1.25..6             erf(x) = sign(x) * (1 - exp(-z^2 - 0.5625) exp((z-a)(z+a) + R/S) / a),
//                       a = |x|, z = a rounded to float (so z*z is exact), R/S in 1/a^2, two ranges
//   >= 6                erf(x) = sign(x)
// Inner parameters are named erf_* so they cannot capture the kernel temps substituted for x.
const poly = (v: string, cs: number[]) => cs.reduceRight((acc, c, i) => (i === cs.length - 1 ? `${c}` : `${c} + ${v} * (${acc})`), "");

const pp = [1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02, -5.77027029648944159157e-03, -2.37630166566501626084e-05];
const qq = [1, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03, 1.32494738004321644526e-04, -3.96022827877536812320e-06];
const pa = [-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01, 3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02, -2.16637559486879084300e-03];
const qa = [1, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02, 1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02];
const ra = [-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01, -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02, -8.12874355063065934246e+01, -9.81432934416914548592e+00];
const sa = [1, 1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02, 6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02, 6.57024977031928170135e+00, -6.04244152148580987438e-02];
const rb = [-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01, -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03, -4.83519191608651397019e+02];
const sb = [1, 3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03, 3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02, -2.24409524465858183362e+01];
const erx = 8.45062911510467529297e-01;

const tail = `((erf_s, erf_z) => 1 - Math.exp(-erf_z * erf_z - 0.5625) * Math.exp((erf_z - erf_a) * (erf_z + erf_a) + ` +
  `(erf_a < ${1 / 0.35} ? (${poly("erf_s", ra)}) / (${poly("erf_s", sa)}) : (${poly("erf_s", rb)}) / (${poly("erf_s", sb)}))) / erf_a)` +
  `(1 / (erf_a * erf_a), Math.fround(erf_a))`;

export const ERF_JS = `(x) => ((erf_x) => ((erf_a) => erf_a < 0.84375 ` +
  `? ((erf_z) => erf_x + erf_x * ((${poly("erf_z", pp)}) / (${poly("erf_z", qq)})))(erf_x * erf_x) ` +
  `: (erf_x < 0 ? -1 : 1) * (erf_a < 1.25 ? ((erf_s) => ${erx} + (${poly("erf_s", pa)}) / (${poly("erf_s", qa)}))(erf_a - 1) ` +
  `: erf_a < 6 ? ${tail} : erf_a >= 6 ? 1 : erf_a))(Math.abs(erf_x)))(x)`;

// d/dx erf(x) = 2/sqrt(pi) exp(-x^2)
export const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
