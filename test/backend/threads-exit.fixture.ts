// Run by threads.test.ts in a child process: parallel kernels, then nothing; the process must end
// by itself (the pool's workers are unref'd).
import { compile, getNumThreads, ones, type Tensor } from "../../index";

const f = compile((x: Tensor) => x.mul(2).sum());
const x = ones([1_000_000]);
let s = 0;
for (let i = 0; i < 20; i++) s = f(x).item() / 2;
console.log(`ran on ${getNumThreads()} threads: ${s}`);
