// The code a pool worker runs, as source text: a worker is started from it (Node's `eval: true`),
// so it needs no file of its own, whatever bundler or loader the library went through. Plain JS,
// no imports: generated kernels arrive as source with the helpers they may call (helpers.ts).
//
// Protocol (one message per job, control words in a SharedArrayBuffer of the job's own):
//   { define: [{ key, name, source, bound }], helpers: { names, source }, key, args, fresh, edges,
//     ctrl }
// (bound: values the source refers to by name, sent once with the definition)
// The worker adds itself to ACTIVE, then claims chunk indices from NEXT until they run out or ERR
// is set, runs the kernel over [edges[c], edges[c + 1]), flags chunk c done (word WORDS + c) and
// counts DONE; a thrown error is written to the pool's error text and flags ERR. The caller
// (pool.ts) claims from the same counter.
export const CTRL = { NEXT: 0, DONE: 1, ACTIVE: 2, ERR: 3, WORDS: 4 } as const;
export const STATUS = { READY: 1, DEAD: 2 } as const;
export const ERROR_CHARS = 512; // per worker: the first UTF-16 code units of its error message
const NUDGE_BYTES = 64 * 1024 * 1024; // V8's external-memory step between collections
const SPIN_MS = 2; // how long a worker polls for the next job before it sleeps (see the source)

export const workerSource = `"use strict";
// (Node's worker_threads through getBuiltinModule, as the library reaches it: no require here)
const proc = globalThis.process;
const { parentPort, receiveMessageOnPort, workerData } = proc.getBuiltinModule("node:worker_threads");
const NEXT = ${CTRL.NEXT}, DONE = ${CTRL.DONE}, ACTIVE = ${CTRL.ACTIVE}, ERR = ${CTRL.ERR};
const WORDS = ${CTRL.WORDS};
const me = workerData.index;
const status = new Int32Array(workerData.status);
const errors = new Uint16Array(workerData.errors, me * ${2 * ERROR_CHARS}, ${ERROR_CHARS});
const kernels = new Map();
let helperNames = [], helpers = [], ctrl = null;
// V8 does not count shared memory toward GC pressure (ir/dtype.ts), and the copies of the
// caller's buffers each message creates here keep their memory alive until this thread collects
// them, which its small heap rarely asks for: measured, 400 jobs on fresh 4 MB buffers held 1.6 GB.
// So the bytes of buffers received for the first time (m.fresh, counted by the caller: a buffer
// sent again holds no new memory) are mirrored, in batches, by an untouched counted buffer that
// is dropped at once: V8 sees the pressure and collects (the same 400 jobs: ~150 MB).
const NUDGE_BYTES = ${NUDGE_BYTES};
const unzeroed = proc.getBuiltinModule("node:buffer").Buffer;
let received = 0;
function nudge(bytes) {
  received += bytes;
  if (received >= NUDGE_BYTES) {
    unzeroed.allocUnsafeSlow(received);
    received = 0;
  }
}

function report(text) {
  const s = String(text);
  errors.fill(0);
  for (let i = 0; i < Math.min(s.length, ${ERROR_CHARS}); i++) errors[i] = s.charCodeAt(i);
}
// a worker that ends for any reason says so, and wakes a caller waiting on its job
proc.on("exit", (code) => {
  report("the worker thread exited (code " + code + ")");
  Atomics.store(status, me, ${STATUS.DEAD});
  if (ctrl) Atomics.notify(ctrl, DONE);
});

function run(m) {
  if (m.helpers) {
    helperNames = m.helpers.names;
    helpers = new Function(m.helpers.source)();
  }
  for (const d of m.define) {
    const names = Object.keys(d.bound), values = Object.values(d.bound);
    const make = new Function(...helperNames, ...names, d.source + "\\nreturn " + d.name + ";");
    kernels.set(d.key, make(...helpers, ...values));
  }
  const fn = kernels.get(m.key), edges = m.edges, args = m.args, chunks = edges.length - 1;
  ctrl = new Int32Array(m.ctrl);
  Atomics.add(ctrl, ACTIVE, 1);
  try {
    while (Atomics.load(ctrl, ERR) === 0) {
      const c = Atomics.add(ctrl, NEXT, 1);
      if (c >= chunks) break;
      try {
        fn(c, edges[c], edges[c + 1], ...args);
        Atomics.store(ctrl, WORDS + c, 1);
      } catch (e) {
        report(e && e.stack ? e.stack : e);
        Atomics.store(ctrl, ERR, me + 1);
      }
      Atomics.add(ctrl, DONE, 1);
      Atomics.notify(ctrl, DONE);
    }
  } finally {
    nudge(m.fresh);
    Atomics.sub(ctrl, ACTIVE, 1);
    Atomics.notify(ctrl, DONE);
    ctrl = null;
  }
}

function job(m) {
  try {
    run(m);
  } catch (e) {
    // a kernel that does not compile here, or a malformed job: the caller sees ERR
    report(e && e.stack ? e.stack : e);
    const c = new Int32Array(m.ctrl);
    Atomics.store(c, ERR, me + 1);
    Atomics.notify(c, DONE);
  }
}
// After a job the worker polls for the next one for SPIN_MS before it goes back to its event loop
// to sleep: a training step posts its jobs a few hundred microseconds apart, and a sleeping
// worker took ~60 us (median; 120 us at p90) from the post to its first chunk, measured on a
// 2-core KVM guest where waking an idle core is slow. OpenMP runtimes spin the same way.
const SPIN_MS = ${SPIN_MS};
parentPort.on("message", (first) => {
  job(first);
  for (let until = performance.now() + SPIN_MS; performance.now() < until; ) {
    const next = receiveMessageOnPort(parentPort);
    if (next === undefined) continue;
    job(next.message);
    until = performance.now() + SPIN_MS;
  }
});
Atomics.store(status, me, ${STATUS.READY});
`;
