// default_collate: a list of dataset items -> one batch, field by field (PyTorch 1.13's rules).
import * as arg from "../runtime/args";
import { stack, tensor } from "../runtime/create";
import { Tensor } from "../runtime/tensor";

/**
 * What {@link defaultCollate} makes of a batch of items of type T: tensors and numbers become one
 * tensor, strings a list, arrays and plain objects are collated field by field.
 */
export type Collated<T> = T extends Tensor
  ? Tensor
  : T extends number | boolean
    ? Tensor
    : T extends string
      ? string[]
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: Collated<T[K]> }
        : T extends object
          ? { [K in keyof T]: Collated<T[K]> }
          : never;

const isPlainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * PyTorch's `default_collate`: tensors are stacked into a new first dim; numbers become a tensor
 * (int32, jitgrad's int64, when all are integers, else float64), booleans a bool tensor; strings
 * stay a list; arrays (tuples) and plain objects are collated position by position / key by key.
 */
export function defaultCollate<T>(batch: T[]): Collated<T> {
  return collate(batch as unknown[]) as Collated<T>;
}

function collate(batch: unknown[]): unknown {
  const elem = batch[0];
  if (Tensor.isTensor(elem)) return stack(batch.map((b) => arg.tensorArg(b, "default_collate")));
  if (typeof elem === "number" || typeof elem === "boolean") {
    const kind = typeof elem;
    if (batch.some((b) => typeof b !== kind))
      throw new TypeError(`default_collate: a batch mixes ${kind} with other types`);
    if (kind === "boolean") return tensor(batch as boolean[], { dtype: "bool" });
    const ints = (batch as number[]).every(Number.isInteger);
    return tensor(batch as number[], { dtype: ints ? "int32" : "float64" });
  }
  if (typeof elem === "string") return [...batch];
  if (Array.isArray(elem)) {
    const n = elem.length;
    if (batch.some((b) => !Array.isArray(b) || b.length !== n))
      throw new Error("each element in list of batch should be of equal size");
    return Array.from({ length: n }, (_, i) => collate(batch.map((b) => (b as unknown[])[i])));
  }
  if (elem !== null && typeof elem === "object" && isPlainObject(elem)) {
    const out = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(elem)) {
      const column = batch.map((b) => {
        if (b === null || typeof b !== "object" || !Object.hasOwn(b, key))
          throw new Error(
            `default_collate: an item of the batch has no key ${JSON.stringify(key)}`,
          );
        return (b as Record<string, unknown>)[key];
      });
      out[key] = collate(column);
    }
    return out;
  }
  throw new TypeError(
    `default_collate: batch must contain tensors, numbers, booleans, strings, arrays or plain objects; found ${arg.typeName(elem)}`,
  );
}
