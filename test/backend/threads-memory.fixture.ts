// Run by threads.test.ts in a child process (a fresh heap): 300 compiled calls at 2 threads, each
// making a new 4 MB result in shared memory that the worker writes; prints how much the resident
// set grew. Garbage shared buffers must be collected as ordinary ones are (ir/dtype.ts, ballast).
import { compile, randn, setNumThreads, type Tensor } from "../../index";

setNumThreads(2);
const f = compile((x: Tensor) => x.mul(2).add(1));
const x = randn([1_000_000]);
let last: Tensor | null = null;
for (let i = 0; i < 10; i++) last = f(x);
const before = process.memoryUsage().rss;
for (let i = 0; i < 300; i++) last = f(x);
const grew = (process.memoryUsage().rss - before) / 1048576;
console.log(
  JSON.stringify({
    grewMB: Math.round(grew),
    value: last!.storage![0] === Math.fround(x.storage![0] * 2 + 1),
  }),
);
