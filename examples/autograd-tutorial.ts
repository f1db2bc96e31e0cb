// PyTorch's autograd tutorial (the Spanish edition in ../shared/reference/autograd-tutorial.txt),
// its code cells ported line by line to jitgrad. It prints what PyTorch 1.13 prints for the same
// cells (test/golden/autograd_tutorial.py); test/eager/tutorial.test.ts checks that.
// Run with: npm run demo
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import { manualSeed, noGrad, ones, randn, tensor } from "jitgrad";

// Python's str() of a value: True/False, None, strings as they are, tensors and grad_fn nodes
// through their PyTorch-style repr.
const str = (v: unknown): string =>
  typeof v === "string"
    ? v
    : typeof v === "boolean"
      ? v
        ? "True"
        : "False"
      : v === null || v === undefined
        ? "None"
        : inspect(v);

export function main(log: (line: string) => void = console.log): void {
  const print = (...args: unknown[]) => log(args.map(str).join(" ")); // Python's print(a, b): sep=" "
  const dashes = "-".repeat(100); // '-'*100

  // In [1]:
  manualSeed(0);

  // In [78]:
  let x = ones([2, 2], { requiresGrad: true });
  print(x);

  // In [79]:
  print(x.gradFn);

  // In [80]:
  let y = x.add(2);
  print(y, "\n", dashes);
  print("Puntero referencia a Function Class de y:", y.gradFn);

  // In [81]:
  const z = y.mul(y).mul(3);
  const out = z.mean();
  print(z);
  print(out);

  // In [82]:
  let a = randn([2, 2]); // creamos el tensor
  a = a.mul(3).div(a.sub(1)); // aplicamos operaciones sobre el
  print(a.requiresGrad); // vemos si se le está haciendo seguimiento a los gradientes
  a.requiresGrad_(true); // Cambiamos el valor del atributo
  print(a.requiresGrad);
  const b = a.mul(a).sum();
  print(b.gradFn);

  // In [83]:
  out.backward();

  // In [84]:
  print("Valor de la variable");
  print(z);
  print(dashes, "\nValor de los gradientes");
  print(x.grad);

  // In [85]:
  x = randn([3], { requiresGrad: true });
  y = x.mul(2);
  while (y.data.norm().lt(1000).item()) {
    y = y.mul(2);
  }
  print(y.data);

  // In [86]:
  const gradients = tensor([0.1, 1.0, 0.0001], { dtype: "float32" });
  y.backward(gradients);
  print(x.grad);

  // In [77]:
  print(x.requiresGrad);
  print(x.pow(2).requiresGrad);

  noGrad(() => {
    print(x.pow(2).requiresGrad);
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
