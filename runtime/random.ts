// Default random generator, reproducing PyTorch 1.13's CPU generator bit-for-bit
// (x86-64 build, "CPU capability usage: AVX2" -- the default on x86 machines).
//
// Sources mirrored (ATen, 1.13.1):
//   core/MT19937RNGEngine.h       plain mt19937; only the low 32 bits of the seed matter
//   CPUGeneratorImpl              random() = one draw, random64() = (draw1 << 32) | draw2,
//                                 manual_seed also clears the cached normal sample
//   core/DistributionsHelper.h    uniform_real_distribution, normal_distribution<double>
//   native/cpu/DistributionTemplates.h
//     rand:   (random() & (2^24-1)) * 2^-24 for float32, (random64() & (2^53-1)) * 2^-53 for float64
//     randn:  numel < 16  -> scalar Box-Muller in double, caching the second (sine) sample
//             numel >= 16 -> normal_fill: draw numel uniforms, Box-Muller in chunks of 16
//                            (u[j], u[j+8]) -> (out[j], out[j+8]); if numel % 16 != 0 the last 16
//                            slots are refilled with 16 *fresh* uniforms and redone.
//             float32 >= 16 uses normal_fill_AVX2, i.e. the cephes-style log256_ps/sincos256_ps
//             polynomials of avx_mathfun.h, which GCC 12 compiled with FMA contraction; the float
//             arithmetic below replays the exact instruction sequence of libtorch_cpu.so.
//
// Verified against /usr/bin/python3 torch 1.13.1 (test/random.test.ts + golden/random.json):
// rand (both dtypes), raw draws and all float32 randn are bit-identical; the float32 AVX2 lanes
// were additionally checked exhaustively (see fma32).
//
// Known limits: float64 randn, and the double computation behind the numel < 16 path, use V8's
// Math.log/sin/cos (fdlibm) where torch calls glibc's; they disagree in the
// last bit on ~7% (log) / ~3% (sin, cos) of inputs, so ~6% of float64 normals differ from torch
// by 1-3 ulp. Rounding the scalar path to float32 hides this (0 mismatches in 600k values).
// Exactness there would need ports of glibc's log/sin/cos. Torch without AVX2 kernels (non-x86,
// or ATEN_CPU_CAPABILITY=default) uses the plain float normal_fill instead, with other float32 values.
import { allocate } from "../ir/dtype";

// ---------------------------------------------------------------- mt19937 engine

const N = 624;
const M = 397;

/**
 * Seed of a fresh generator: c10::detail::default_rng_seed_val, which is what a new
 * torch.Generator() starts from. (torch's global default generator itself is seeded
 * non-deterministically at startup, so only an explicit manual_seed is reproducible.)
 */
const DEFAULT_SEED = 67280421310721;

// The engine below works on module variables (V8 keeps them in registers in the hot loops); they
// hold the state of the `active` generator. Int32Array keeps every state word a small integer for
// V8 (values >= 2^31 in a Uint32Array become heap doubles); results are converted with >>> 0 only
// where needed.
let active: Generator | undefined;
let state = new Int32Array(N);
let index = N;
let hasCachedNormal = false;
let cachedNormal = 0;

/**
 * A random number generator with its own state (PyTorch's `torch.Generator` on the CPU): an
 * mt19937 engine that draws exactly what torch's draws after the same `manualSeed`. Pass it as the
 * `generator` option (`randperm`, `data.DataLoader`, `data.randomSplit`) to keep a stream of
 * random numbers apart from the global one that `manualSeed` seeds.
 */
export class Generator {
  /** @internal mt19937 state words, as signed int32 (see `state` below). */
  readonly words = new Int32Array(N);
  /** @internal next word to temper; N means the block must be regenerated first. */
  index = N;
  /** @internal CPUGeneratorImpl::next_double_normal_sample_ (sine half of a Box-Muller pair). */
  hasCachedNormal = false;
  /** @internal */
  cachedNormal = 0;
  #seed = DEFAULT_SEED;

  constructor() {
    seedWords(this, DEFAULT_SEED);
  }
  /** Seeds this generator (PyTorch's `Generator.manual_seed`); returns it, so calls chain. */
  manualSeed(seed: number): this {
    this.#seed = checkSeed(seed, "manualSeed");
    seedWords(this, this.#seed);
    return this;
  }
  /** The seed last given to `manualSeed` (67280421310721 for a fresh generator, as PyTorch). */
  initialSeed(): number {
    return this.#seed;
  }
}

function checkSeed(seed: unknown, fn: string): number {
  if (typeof seed !== "number")
    throw new TypeError(`${fn}(): argument 'seed' must be an integer, not ${typeof seed}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${fn}: expected an integer, got ${seed}`);
  return seed;
}

/** mt19937 seeding; torch takes the seed as uint64 (negatives wrap) and keeps its low 32 bits. */
function seedWords(g: Generator, seed: number): void {
  let s = seed % 2 ** 32;
  if (s < 0) s += 2 ** 32;
  const w = g.words;
  w[0] = s;
  for (let j = 1; j < N; j++) {
    const prev = w[j - 1];
    w[j] = Math.imul(1812433253, prev ^ (prev >>> 30)) + j;
  }
  g.index = N; // first draw regenerates the state block, as in the reference engine
  g.hasCachedNormal = false;
  if (g === active) load(g);
}

/** The global generator that `manualSeed` seeds and every sampler uses unless given another. */
export const defaultGenerator = new Generator();
load(defaultGenerator);

function load(g: Generator): void {
  active = g;
  state = g.words;
  index = g.index;
  hasCachedNormal = g.hasCachedNormal;
  cachedNormal = g.cachedNormal;
}
function store(g: Generator): void {
  g.index = index;
  g.hasCachedNormal = hasCachedNormal;
  g.cachedNormal = cachedNormal;
}

/**
 * Runs `draw` with `g` as the engine's generator (the global one when `g` is undefined), so the
 * samplers below draw from it; `g`'s state is saved afterwards.
 */
export function withGenerator<T>(g: Generator | undefined, draw: () => T): T {
  if (g === undefined || g === active) return draw();
  const previous = active ?? defaultGenerator;
  store(previous);
  load(g);
  try {
    return draw();
  } finally {
    store(g);
    load(previous);
  }
}

/**
 * Seeds the global generator; `rand`, `randn`, `nn.Linear` and dropout then draw what PyTorch draws
 * after `torch.manual_seed(seed)`.
 */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}

// Constants written as signed int32 so V8 keeps all of this in integer registers.
const UPPER_MASK = 0x80000000 | 0;
const MATRIX_A = 0x9908b0df | 0;
const TEMPER_B = 0x9d2c5680 | 0;
const TEMPER_C = 0xefc60000 | 0;

function mix(k: number, next: number, far: number): void {
  const y = (state[k] & UPPER_MASK) | (state[next] & 0x7fffffff);
  state[k] = state[far] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
}

/** Standard mt19937 regeneration of the whole state block (split loops avoid a modulo). */
function twist(): void {
  let k = 0;
  for (; k < N - M; k++) mix(k, k + 1, k + M);
  for (; k < N - 1; k++) mix(k, k + 1, k + M - N);
  mix(N - 1, 0, M - 1);
  index = 0;
}

/** Next draw as a signed int32 (same bits as CPUGeneratorImpl::random()). */
function next32(): number {
  if (index >= N) twist();
  let y = state[index++];
  y ^= y >>> 11;
  y ^= (y << 7) & TEMPER_B;
  y ^= (y << 15) & TEMPER_C;
  return y ^ (y >>> 18);
}

/** Next raw 32-bit draw of the generator (CPUGeneratorImpl::random()), as 0..2^32-1. */
export function randomUint32(): number {
  return next32() >>> 0;
}

/**
 * `torch.empty((), dtype=torch.int64).random_()`: random64() mod 2^63, as PyTorch's samplers and
 * DataLoader draw a seed. Returns its low 32 bits, all of it that seeding an mt19937 keeps.
 */
export function drawSeed32(): number {
  next32(); // the high word only reaches the bits that seeding drops
  return next32() >>> 0;
}

/**
 * ATen's randperm_cpu: out = 0..n-1, then for i < n-1 swap out[i] with out[i + random() % (n-i)].
 */
export function fillRandperm(out: Int32Array | Float32Array | Float64Array): void {
  const n = out.length;
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const z = i + ((next32() >>> 0) % (n - i));
    const saved = out[i];
    out[i] = out[z];
    out[z] = saved;
  }
}

/**
 * uniform_real_distribution<float>(0, 1) into out[from..]: 24 random bits, exactly representable.
 */
function fillUniform24(out: Float32Array, from: number): Float32Array {
  for (let i = from; i < out.length; i++) out[i] = (next32() & 0xffffff) * 2 ** -24;
  return out;
}

/** uniform_real_distribution<double>(0, 1): low 53 bits of random64() = (hi << 32) | lo. */
function uniform53(): number {
  const hi = next32() & 0x1fffff;
  const lo = next32() >>> 0;
  return (hi * 2 ** 32 + lo) * 2 ** -53;
}

function fillUniform53(out: Float64Array, from: number): Float64Array {
  for (let i = from; i < out.length; i++) out[i] = uniform53();
  return out;
}

// ---------------------------------------------------------------- public samplers

export function randValues(n: number, dtype: "float32" | "float64"): Float32Array | Float64Array {
  return dtype === "float32"
    ? fillUniform24(allocate("float32", n) as Float32Array, 0)
    : fillUniform53(allocate("float64", n) as Float64Array, 0);
}

export function randnValues(n: number, dtype: "float32" | "float64"): Float32Array | Float64Array {
  if (n < 16) {
    // Scalar path: normal_distribution<double>, then static_cast to the dtype (the typed-array store).
    const out = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = scalarNormal();
    return out;
  }
  if (dtype === "float32")
    return normalFill(allocate("float32", n) as Float32Array, fillUniform24, boxMuller16Avx2);
  return normalFill(allocate("float64", n) as Float64Array, fillUniform53, boxMuller16Double);
}

/**
 * normal_fill / normal_fill_AVX2 driver: n uniforms first, then Box-Muller per 16-element chunk.
 * The per-element loops live in the dtype-specific callbacks so they stay monomorphic.
 */
function normalFill<T extends Float32Array | Float64Array>(
  out: T,
  fillUniform: (data: T, from: number) => void,
  fill16: (data: T, offset: number) => void,
): T {
  const n = out.length;
  fillUniform(out, 0);
  for (let i = 0; i + 16 <= n; i += 16) fill16(out, i);
  if (n % 16 !== 0) {
    // Torch overwrites the last 16 slots (overlapping finished ones) with fresh uniforms.
    fillUniform(out, n - 16);
    fill16(out, n - 16);
  }
  return out;
}

// ---------------------------------------------------------------- normal kernels

function scalarNormal(): number {
  if (hasCachedNormal) {
    hasCachedNormal = false;
    return cachedNormal;
  }
  const u1 = uniform53(); // angle
  const u2 = uniform53(); // radius; 1 - u2 is in (0, 1] so log is finite
  const r = Math.sqrt(-2 * Math.log(1 - u2));
  const theta = 2 * Math.PI * u1;
  cachedNormal = r * Math.sin(theta);
  hasCachedNormal = true;
  return r * Math.cos(theta);
}

/** normal_fill_16<double>: in-place Box-Muller on data[o..o+16) (uniforms -> normals). */
function boxMuller16Double(data: Float64Array, o: number): void {
  for (let j = o; j < o + 8; j++) {
    const radius = Math.sqrt(-2 * Math.log(1 - data[j]));
    const theta = 2 * Math.PI * data[j + 8];
    data[j] = radius * Math.cos(theta);
    data[j + 8] = radius * Math.sin(theta);
  }
}

// ---------------------------------------------------------------- float32 AVX2 kernel emulation
// Every float32 operation is done in double and rounded with Math.fround: for +, -, *, sqrt of
// float inputs that is exactly the correctly rounded float result.

const f32 = Math.fround;

/**
 * Single-precision fused multiply-add fl32(a*b + c) for float32 inputs, as the vfmadd*ps that
 * GCC contracted the avx_mathfun.h polynomials into. a*b is exact in double (48 bits), so this
 * rounds twice (to double, then to float); that can differ from a true FMA only when the double
 * sum lands exactly on a float tie. Each lane's result depends on one 24-bit uniform only, so
 * all 2^24 inputs of the log and of sin/cos were checked exhaustively against the avx_mathfun.h
 * code compiled with GCC 12 -O2 -mavx2 -mfma: no differences, hence no tie handling here.
 */
function fma32(a: number, b: number, c: number): number {
  return f32(a * b + c);
}

// avx_mathfun.h constants, rounded to float as in the binary.
const LOG_P0 = f32(7.0376836292e-2);
const LOG_P1 = f32(-1.151461031e-1);
const LOG_P2 = f32(1.167699874e-1);
const LOG_P3 = f32(-1.2420140846e-1);
const LOG_P4 = f32(1.4249322787e-1);
const LOG_P5 = f32(-1.6668057665e-1);
const LOG_P6 = f32(2.0000714765e-1);
const LOG_P7 = f32(-2.4999993993e-1);
const LOG_P8 = f32(3.3333331174e-1);
const LOG_Q1 = f32(-2.1219444e-4);
const LOG_Q2 = f32(0.693359375);
const SQRTHF = f32(0.707106781186547524);
const FOPI = f32(1.27323954473516); // 4 / pi
const DP1 = f32(-0.78515625);
const DP2 = f32(-2.4187564849853515625e-4);
const DP3 = f32(-3.77489497744594108e-8);
const SINCOF0 = f32(-1.9515295891e-4);
const SINCOF1 = f32(8.3321608736e-3);
const SINCOF2 = f32(-1.6666654611e-1);
const COSCOF0 = f32(2.443315711809948e-5);
const COSCOF1 = f32(-1.388731625493765e-3);
const COSCOF2 = f32(4.166664568298827e-2);
const POW2 = Float64Array.from({ length: 26 }, (_, k) => 2 ** -k); // POW2[k] = 2^-k
const TWO_PI_F = f32(2 * Math.PI);

/**
 * log256_ps for one lane, for u = m * 2^-24 with integer m in [1, 2^24] (u = 1 - uniform24, so
 * the NaN/denormal guards never fire). The exponent/mantissa split that the AVX code does with
 * bit masks is done on the integer m instead, which is exact and avoids float bit punning.
 */
function logAvx(m: number): number {
  const top = 31 - Math.clz32(m); // m = 1.f * 2^top
  let e = top - 23; // u = x * 2^e with x in [0.5, 1)
  let x = m * POW2[top + 1];
  // if (x < SQRTHF) { e -= 1; x = x + x - 1 } else x = x - 1   (exact: x is a multiple of 2^-24)
  if (x < SQRTHF) {
    e -= 1;
    x = x - 1 + x;
  } else x = x - 1;
  const z = f32(x * x);
  // Polynomial: GCC fused each y*x + p_k into one FMA.
  let y = fma32(LOG_P0, x, LOG_P1);
  y = fma32(y, x, LOG_P2);
  y = fma32(y, x, LOG_P3);
  y = fma32(y, x, LOG_P4);
  y = fma32(y, x, LOG_P5);
  y = fma32(y, x, LOG_P6);
  y = fma32(y, x, LOG_P7);
  y = fma32(y, x, LOG_P8);
  y = f32(y * x);
  y = fma32(y, z, f32(e * LOG_Q1));
  y = f32(y - z * 0.5); // fnmadd with 0.5: z*0.5 is exact
  x = f32(x + y);
  return fma32(e, LOG_Q2, x);
}

/**
 * normal_fill_16_AVX2 on data[o..o+16): u1 = 1 - data[j], u2 = data[j+8],
 * radius = sqrt(-2 log u1), theta = 2pi u2, out = radius * (cos, sin)(theta).
 */
function boxMuller16Avx2(data: Float32Array, o: number): void {
  for (let j = o; j < o + 8; j++) {
    // u1 = 1 - data[j] = m * 2^-24 exactly; sqrt via double then fround is correctly rounded.
    const radius = f32(Math.sqrt(-2 * logAvx(2 ** 24 - data[j] * 2 ** 24)));
    const theta = f32(TWO_PI_F * data[j + 8]); // >= 0, so sincos256_ps's sign handling is a no-op
    // sincos256_ps: reduce by multiples of pi/4 (cephes sinf/cosf), evaluate both polynomials.
    const q = (Math.trunc(f32(theta * FOPI)) + 1) & ~1;
    let x = fma32(q, DP1, theta);
    x = fma32(q, DP2, x);
    x = fma32(q, DP3, x);
    const z = f32(x * x);
    let yc = fma32(COSCOF0, z, COSCOF1);
    yc = fma32(z, yc, COSCOF2);
    yc = f32(z * yc);
    yc = fma32(yc, z, -f32(z * 0.5));
    yc = f32(yc + 1);
    let ys = fma32(SINCOF0, z, SINCOF1);
    ys = fma32(z, ys, SINCOF2);
    ys = f32(z * ys);
    ys = fma32(ys, x, x);
    const swap = (q & 2) !== 0; // polynomial selection
    let sin = swap ? yc : ys;
    let cos = swap ? ys : yc;
    if (q & 4) sin = -sin;
    if (!((q - 2) & 4)) cos = -cos;
    // Final _mm256_fmadd_ps(n, std=1, mean=0): exact, except that -0 becomes +0.
    data[j] = radius * cos + 0;
    data[j + 8] = radius * sin + 0;
  }
}
