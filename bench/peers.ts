// Peer rows (issue 13): the same W1, W3, W4 and matmul work in TensorFlow.js on its Wasm backend
// and in jax-js (jit + valueAndGrad on its Wasm backend), loaded by name at run time. jax-js is a
// devDependency (1.7 MB, no dependencies); tfjs is not (tfjs-core + tfjs-backend-wasm + the
// tfjs-backend-cpu it pulls in are ~66 MB unpacked), so its rows are skipped, with the command
// that installs it, unless it is installed by hand. Both run on one thread in Node: tfjs' Wasm
// backend finds no multithread support there, and jax-js' worker pool needs a global Worker,
// which Node lacks.
//
// Every timed peer call reads its outputs into JavaScript (dataSync), as jitgrad's results are
// JavaScript typed arrays: jax-js is lazy and computes nothing until something reads a result.
// W4 parameters stay on the peer's device between steps, as they stay in jitgrad's tensors; the
// loss read of one step forces the update of the step before it.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import type { Outcome, Variant } from "./workloads";

// the versions the harness was written against (jax-js: package.json pins the same)
export const PEER_PACKAGES = {
  tfjs: ["@tensorflow/tfjs-core@4.22.0", "@tensorflow/tfjs-backend-wasm@4.22.0"],
  jax: ["@jax-js/jax@0.1.25"],
};
export const installHint = (pkgs: string[]) => `npm i --no-save ${pkgs.join(" ")}`;

export interface Peers {
  tf?: any; // @tensorflow/tfjs-core with the "wasm" backend set
  jax?: any; // @jax-js/jax with the "wasm" device as default
  notes: string[]; // what was loaded or skipped, and why: printed at the start of the run
}

// Looks in the repo's node_modules, then in DIR/node_modules when dir is given (`npm i --prefix
// DIR ...` keeps a shared checkout's node_modules as its package-lock says). Loaded through
// require, so the tfjs backend registers itself with the very tfjs-core instance used here.
export async function loadPeers(dir: string | undefined): Promise<Peers> {
  const places = [{ req: createRequire(import.meta.url), where: "" }];
  if (dir !== undefined)
    places.push({
      req: createRequire(join(resolve(dir), "peers-anchor.js")),
      where: ` from ${resolve(dir)}`,
    });
  // the first place that has the package (its other packages come from the same place)
  const find = (name: string) =>
    places.find((p) => {
      try {
        p.req.resolve(name);
        return true;
      } catch {
        return false;
      }
    });
  const out: Peers = { notes: [] };
  const tfAt = find("@tensorflow/tfjs-core");
  if (!tfAt)
    out.notes.push(
      `tfjs rows skipped: @tensorflow/tfjs-core + tfjs-backend-wasm not installed (${installHint(PEER_PACKAGES.tfjs)})`,
    );
  else
    try {
      const { req, where } = tfAt;
      const tf = req("@tensorflow/tfjs-core");
      // tfjs-core's Node bundle has no gradients; this ES module registers them in the registry
      // that every copy of tfjs-core shares (a global), loaded through tsx as the harness is
      req("@tensorflow/tfjs-core/dist/register_all_gradients");
      // the backend's Emscripten module adds process handlers that rethrow any uncaught error
      // with its whole minified source line: keep the process' own handlers only
      const before = {
        uncaughtException: process.listeners("uncaughtException"),
        unhandledRejection: process.listeners("unhandledRejection"),
      };
      req("@tensorflow/tfjs-backend-wasm");
      if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') returned false");
      await tf.ready();
      for (const l of process.listeners("uncaughtException"))
        if (!before.uncaughtException.includes(l)) process.removeListener("uncaughtException", l);
      for (const l of process.listeners("unhandledRejection"))
        if (!before.unhandledRejection.includes(l)) process.removeListener("unhandledRejection", l);
      const env = tf.env();
      out.tf = tf;
      out.notes.push(
        `tfjs ${tf.version_core} on its Wasm backend${where} (SIMD ${env.getBool("WASM_HAS_SIMD_SUPPORT") ? "on" : "off"}, threads ${env.getBool("WASM_HAS_MULTITHREAD_SUPPORT") ? "on" : "off"})`,
      );
    } catch (e) {
      out.notes.push(
        `tfjs rows skipped: loading it failed: ${(e as Error).message} (${installHint(PEER_PACKAGES.tfjs)})`,
      );
    }
  const jaxAt = find("@jax-js/jax");
  if (!jaxAt)
    out.notes.push(
      `jax-js rows skipped: @jax-js/jax not installed (a devDependency: npm ci, or ${installHint(PEER_PACKAGES.jax)})`,
    );
  else
    try {
      const { req, where } = jaxAt;
      const jax = req("@jax-js/jax");
      const devices: string[] = await jax.init("wasm");
      if (!devices.includes("wasm"))
        throw new Error(`init("wasm") found only ${devices.join(", ")}`);
      jax.defaultDevice("wasm");
      // its package.json is not exported: read it beside the resolved entry (dist/index.cjs)
      const pkg = join(dirname(req.resolve("@jax-js/jax")), "..", "package.json");
      const version = JSON.parse(readFileSync(pkg, "utf8")).version;
      out.jax = jax;
      out.notes.push(
        `jax-js ${version}, jit on its Wasm device${where} (one thread: no Worker in Node)`,
      );
    } catch (e) {
      out.notes.push(`jax-js rows skipped: loading it failed: ${(e as Error).message}`);
    }
  return out;
}

// Peers sum float32 values in order (tfjs' Wasm mean, jax-js' reduce kernels), so W1's mean at
// N = 1e6 is off by ~3e-4 relative where jitgrad is within float32 rounding of the float64 sum:
// their values are checked to 1e-3, their gradients as tightly as jitgrad's own variants.
export const PEER_VALUE_RTOL = 1e-3;

export let peerSink: unknown = null; // results land here so no call is dead code
const peer = (
  id: Variant["id"],
  label: string,
  call: () => Outcome,
  timed: () => unknown = call,
): Variant => ({
  id,
  label,
  fn: () => {
    peerSink = timed();
  },
  outcome: call,
  valueRtol: PEER_VALUE_RTOL,
  peer: true,
});

// W1: y = x + 2; z = y*y*3; z.mean(), forward only.
export function w1Peers(p: Peers, xs: Float32Array): Variant[] {
  const out: Variant[] = [];
  if (p.tf) {
    const tf = p.tf,
      x = tf.tensor1d(xs);
    const call = (): Outcome => {
      const o = tf.tidy(() => {
        const y = tf.add(x, 2);
        return tf.mean(tf.mul(tf.mul(y, y), 3));
      });
      const value = o.dataSync()[0];
      o.dispose();
      return { value, grads: [] };
    };
    out.push(peer("tfjs", "tfjs (Wasm backend)", call));
  }
  if (p.jax) {
    const { numpy: np, jit } = p.jax,
      x = np.array(xs);
    const f = jit((v: any) => {
      const y = v.add(2);
      return y.ref.mul(y).mul(3).mean();
    });
    out.push(
      peer("jax", "jax-js jit (Wasm)", () => ({ value: f(x.ref).dataSync()[0], grads: [] })),
    );
  }
  return out;
}

// W3: sum of tanh-GELU and its gradient (x^3 written x*x*x: both peers' pow goes through log/exp).
export function w3Peers(p: Peers, xs: Float32Array): Variant[] {
  const out: Variant[] = [];
  const C = 0.7978845608,
    A = 0.044715;
  if (p.tf) {
    const tf = p.tf,
      x = tf.tensor1d(xs);
    const gelu = (v: any) =>
      tf.sum(
        tf.mul(
          tf.mul(v, 0.5),
          tf.add(tf.tanh(tf.mul(tf.add(v, tf.mul(tf.mul(tf.mul(v, v), v), A)), C)), 1),
        ),
      );
    const vg = tf.valueAndGrad(gelu);
    const call = (): Outcome => {
      const { value, grad } = tf.tidy(() => vg(x));
      const o = { value: value.dataSync()[0], grads: [grad.dataSync() as Float32Array] };
      value.dispose();
      grad.dispose();
      return o;
    };
    out.push(peer("tfjs", "tfjs valueAndGrad (Wasm backend)", call));
  }
  if (p.jax) {
    const { numpy: np, jit, valueAndGrad } = p.jax,
      x = np.array(xs);
    const gelu = (v: any) => {
      const inner = v.ref.add(v.ref.mul(v.ref).mul(v.ref).mul(A)).mul(C);
      return v.mul(0.5).mul(np.tanh(inner).add(1)).sum();
    };
    const vg = jit(valueAndGrad(gelu));
    const call = (): Outcome => {
      const [v, g] = vg(x.ref);
      return { value: v.dataSync()[0], grads: [g.dataSync() as Float32Array] };
    };
    out.push(peer("jax", "jax-js jit(valueAndGrad) (Wasm)", call));
  }
  return out;
}

// matmul M x K @ K x N: a call per peer, its result read back.
export function matmulPeers(
  p: Peers,
  A: Float32Array,
  B: Float32Array,
  M: number,
  K: number,
  N: number,
): { label: string; call: () => Float32Array }[] {
  const out: { label: string; call: () => Float32Array }[] = [];
  if (p.tf) {
    const tf = p.tf,
      a = tf.tensor2d(A, [M, K]),
      b = tf.tensor2d(B, [K, N]);
    out.push({
      label: "tfjs, Wasm backend",
      call: () => {
        const c = tf.matMul(a, b),
          v = c.dataSync();
        c.dispose();
        return v;
      },
    });
  }
  if (p.jax) {
    const { numpy: np, jit } = p.jax,
      a = np.array(A).reshape([M, K]),
      b = np.array(B).reshape([K, N]);
    const mm = jit((u: any, v: any) => np.matmul(u, v));
    out.push({ label: "jax-js jit, Wasm", call: () => mm(a.ref, b.ref).dataSync() });
  }
  return out;
}

// W4: batch B, D -> H relu -> O, softmax cross-entropy on the labels (one-hot here), SGD lr, from
// the same weights (PyTorch layout: W1 [H, D], W2 [O, H]; tfjs keeps them transposed) and data.
// outcome(): the loss and gradients at the current weights (the initial ones: outcomes run before
// any timed step); the timed call is a whole step.
export function w4Peers(
  p: Peers,
  xs: Float32Array,
  labels: Int32Array,
  init: Float32Array[],
  dims: { B: number; D: number; H: number; O: number; lr: number },
): Variant[] {
  const { B, D, H, O, lr } = dims;
  const onehot = new Float32Array(B * O);
  labels.forEach((l, i) => {
    onehot[i * O + l] = 1;
  });
  const shapes = [[H, D], [H], [O, H], [O]];
  const out: Variant[] = [];
  if (p.tf) {
    const tf = p.tf,
      x = tf.tensor2d(xs, [B, D]),
      y = tf.tensor2d(onehot, [B, O]);
    // weights as tfjs' dense layers keep them, [in, out]: its Wasm matMul with transposeB set
    // ran the forward 4x slower here (the backward's transposed products are tfjs' own choice)
    const tr = (i: number) => i === 0 || i === 2;
    let params: any[] = init.map((v, i) => {
      const t = tf.tensor(v, shapes[i]);
      if (!tr(i)) return t;
      const u = tf.transpose(t);
      t.dispose();
      return u;
    });
    const loss = (W1: any, b1: any, W2: any, b2: any) => {
      const h = tf.relu(tf.add(tf.matMul(x, W1), b1));
      const logits = tf.add(tf.matMul(h, W2), b2);
      return tf.div(tf.sum(tf.mul(tf.logSoftmax(logits), y)), -B);
    };
    const vg = tf.valueAndGrads(loss);
    const grads = (): Outcome => {
      const { value, grads: gs } = tf.tidy(() => {
        const r = vg(params);
        return {
          value: r.value,
          grads: r.grads.map((g: any, i: number) => (tr(i) ? tf.transpose(g) : g)),
        };
      });
      const o = { value: value.dataSync()[0], grads: gs.map((g: any) => g.dataSync()) };
      tf.dispose([value, ...gs]);
      return o;
    };
    const step = () => {
      const { value, next } = tf.tidy(() => {
        const r = vg(params);
        return { value: r.value, next: params.map((q, i) => tf.sub(q, tf.mul(r.grads[i], lr))) };
      });
      tf.dispose(params);
      params = next;
      const v = value.dataSync()[0];
      value.dispose();
      return v;
    };
    out.push(peer("tfjs", "tfjs step (Wasm backend)", grads, step));
  }
  if (p.jax) {
    const { numpy: np, nn, jit, valueAndGrad, tree } = p.jax;
    const x = np.array(xs).reshape([B, D]),
      y = np.array(onehot).reshape([B, O]);
    const names = ["W1", "b1", "W2", "b2"] as const;
    let params: Record<string, any> = {};
    init.forEach((v, i) => {
      params[names[i]] = np.array(v).reshape(shapes[i]);
    });
    const loss = (q: Record<string, any>, xx: any, yy: any) => {
      const h = nn.relu(np.matmul(xx, q.W1.transpose()).add(q.b1));
      const logits = np.matmul(h, q.W2.transpose()).add(q.b2);
      return nn
        .logSoftmax(logits, -1)
        .mul(yy)
        .sum()
        .mul(-1 / B);
    };
    const vg = jit(valueAndGrad(loss));
    const stepFn = jit((q: Record<string, any>, xx: any, yy: any) => {
      const [l, g] = valueAndGrad(loss)(tree.ref(q), xx, yy);
      const next: Record<string, any> = {};
      for (const k of names) next[k] = q[k].sub(g[k].mul(lr));
      return [l, next];
    });
    const grads = (): Outcome => {
      const [l, g] = vg(tree.ref(params), x.ref, y.ref);
      return { value: l.dataSync()[0], grads: names.map((k) => g[k].dataSync() as Float32Array) };
    };
    const step = () => {
      const [l, next] = stepFn(params, x.ref, y.ref);
      params = next;
      return l.dataSync()[0];
    };
    out.push(peer("jax", "jax-js jit step (Wasm)", grads, step));
  }
  return out;
}
