// Reductions over some dims: a combine formula and its identity, fused with their producers.
import {
  type Differentiable,
  type OpDef,
  type ReduceParams,
  reduce,
  shapeOf,
  type Vjp,
} from "../op-def";
import { S } from "../scalar";
import { reducedShape } from "../shape";

// The gradient of a reduction, put back in the input's shape.
const unreduce = <T extends Differentiable<T>>(g: T, shape: readonly number[], p: ReduceParams) =>
  g.reshape(reducedShape(shape, p.dims, true)).expand([...shape]);
// max/min: the gradient is shared evenly among the elements that attain the extreme (PyTorch's amax).
const extremeVjp: Vjp<ReduceParams> = (g, { ins: [x], out, params }) => {
  const hit = x.eq(unreduce(out, x.shape, params));
  return [
    unreduce(g, x.shape, params)
      .mul(hit)
      .div(unreduce(hit.sum(params.dims, params.keepdim), x.shape, params)),
  ];
};

// prod: d out / d x_i is the product of the others: out / x_i where x_i is not 0 (0 when another
// element is, and written with out, so its own derivative stays right there for double backward);
// at a 0, the product of the nonzero ones if it is the only 0, else 0 (PyTorch's prod_backward).
const prodVjp: Vjp<ReduceParams> = (g, { ins: [x], out, params }) => {
  const shape = [...x.shape],
    nonzero = x.ne(0),
    safe = x.where(nonzero, 1);
  const zeros = nonzero.logicalNot().sum(params.dims, true).expand(shape);
  const gx = unreduce(g, shape, params);
  const others = safe.prod(params.dims, true).expand(shape); // the product of the nonzero ones
  const atTheZero = gx.mul(others).where(zeros.eq(1), 0);
  return [
    gx
      .mul(unreduce(out, shape, params))
      .div(safe)
      .where(nonzero, atTheZero),
  ];
};

export const reduceOps = {
  sum: {
    ...reduce("SumBackward1", S.add, 0, (g, ctx) => [unreduce(g, shapeOf(ctx, 0), ctx.params)]),
    dtype: ([x]) => (x.dtype === "bool" ? "int32" : x.dtype),
  },
  max: reduce(
    "MaxBackward1",
    (a, b) => S.select(S.or(S.ge(a, b), S.ne(a, a)), a, b),
    -Infinity,
    extremeVjp,
  ),
  prod: {
    ...reduce("ProdBackward1", S.mul, 1, prodVjp),
    dtype: ([x]) => (x.dtype === "bool" ? "int32" : x.dtype),
  },
  min: reduce(
    "MinBackward1",
    (a, b) => S.select(S.or(S.le(a, b), S.ne(a, a)), a, b),
    Infinity,
    extremeVjp,
  ),
} satisfies Record<string, OpDef<never>>;
