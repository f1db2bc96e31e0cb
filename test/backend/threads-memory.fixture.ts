// Run by threads.test.ts in a child process (a fresh heap): 300 compiled calls at 2 threads, each
// on a new 4 MB tensor in shared memory (a factory's: randn) that the workers read, and each
// making a 4 MB result (an ordinary array the workers write through staging); prints how much the
// resident set grew. Garbage shared buffers must be collected as ordinary ones are (ir/dtype.ts,
// ballast; the workers mirror the buffers they are sent for the first time: worker-source.ts).
import { compile, randn, setNumThreads, type Tensor } from "../../index";

setNumThreads(2);
const f = compile((x: Tensor) => x.mul(2).add(1));
let x = randn([1_000_000]);
let last: Tensor | null = null;
for (let i = 0; i < 10; i++) last = f(x);
const before = process.memoryUsage().rss;
let shared = true;
for (let i = 0; i < 300; i++) {
  x = randn([1_000_000]);
  shared &&= x.storage!.buffer instanceof SharedArrayBuffer;
  last = f(x);
}
const grew = (process.memoryUsage().rss - before) / 1048576;
console.log(
  JSON.stringify({
    grewMB: Math.round(grew),
    shared,
    value: last!.storage![0] === Math.fround(x.storage![0] * 2 + 1),
  }),
);
