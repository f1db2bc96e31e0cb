// Containers: Sequential, ModuleList and ModuleDict. Their children live in an ordered Map (PyTorch's
// _modules OrderedDict), so any name is safe (never a property lookup) and keeps its insertion
// order, numeric names too.
import * as arg from "../../runtime/args";
import type { Tensor } from "../../runtime/tensor";
import { type AnyModule, Module } from "../module";

/**
 * Children as given to Sequential or ModuleDict: a plain object of modules, [name, module] pairs or
 * a Map.
 */
export type NamedModules =
  | Record<string, Module>
  | readonly (readonly [string, Module])[]
  | ReadonlyMap<string, Module>;

function checkModule(m: unknown, fn: string, what: string): Module {
  if (m instanceof Module) return m;
  throw new TypeError(`${fn}(): ${what} is not a Module (got ${arg.typeName(m)})`);
}
function checkName(name: unknown, fn: string): string {
  if (typeof name !== "string")
    throw new TypeError(`${fn}(): module name should be a string. Got ${arg.typeName(name)}`);
  if (name.includes(".")) throw new Error(`module name can't contain ".", got: ${name}`);
  if (name === "") throw new Error(`module name can't be empty string ""`);
  return name;
}
// the [name, module] pairs of a plain object (own enumerable keys), a Map or a list of pairs, checked
function namedEntries(v: unknown, fn: string): [string, Module][] {
  if (Array.isArray(v))
    return v.map((pair: unknown, i) => {
      if (!Array.isArray(pair) || pair.length !== 2)
        throw new TypeError(
          `${fn}(): element ${i} should be a [name, module] pair, got ${arg.typeName(pair)}`,
        );
      return [checkName(pair[0], fn), checkModule(pair[1], fn, `the module named ${pair[0]}`)];
    });
  if (v instanceof Map) return namedEntries([...v], fn);
  const proto = v !== null && typeof v === "object" ? Object.getPrototypeOf(v) : undefined;
  if (proto !== Object.prototype && proto !== null)
    throw new TypeError(
      `${fn}(): expected an object of modules or a list of [name, module] pairs, got ${arg.typeName(v)}`,
    );
  return Object.keys(v as object).map((k) => [
    checkName(k, fn),
    checkModule((v as Record<string, unknown>)[k], fn, `the module named ${k}`),
  ]);
}
// an index in [-n, n) as a position, with PyTorch's IndexError wording
function position(i: unknown, n: number, fn: string): number {
  const k = arg.int(i, fn, "idx", 1);
  if (k < -n || k >= n) throw new RangeError(`index ${k} is out of range`);
  return k < 0 ? k + n : k;
}

/** The children of a container, by name, in order (PyTorch's _modules). */
abstract class Container extends Module {
  readonly #children = new Map<string, Module>();
  protected get registry(): Map<string, Module> {
    return this.#children;
  }
  override namedChildren(): [string, AnyModule][] {
    return [...this.#children, ...super.namedChildren()];
  }
  /** The number of children (PyTorch's len()). */
  get length(): number {
    return this.#children.size;
  }
}

/** A container whose children are also read by position: `c.at(i)`, `c[i]`, `for (const m of c)`. */
abstract class Indexed extends Container {
  // children renamed "0", "1", ... in this order (lists), with `seq[i]` getters kept in step
  protected renumber(modules: Module[]): void {
    this.registry.clear();
    modules.forEach((m, i) => {
      this.registry.set(String(i), m);
    });
    this.syncIndices();
  }
  // `container[i]` reads the i-th child (non-enumerable getters, so not state)
  protected syncIndices(): void {
    const n = this.length;
    for (let i = 0; Object.hasOwn(this, i); i++) delete (this as Record<number, unknown>)[i];
    for (let i = 0; i < n; i++)
      Object.defineProperty(this, i, {
        get: () => [...this.registry.values()][i],
        enumerable: false,
        configurable: true,
      });
  }
  /** The child at position i (negative counts from the end). */
  at(i: number): Module {
    return [...this.registry.values()][position(i, this.length, "at")];
  }
  *[Symbol.iterator](): Iterator<Module> {
    yield* [...this.registry.values()];
  }
}

/**
 * Modules applied in order. `new Sequential(a, b, c)` names them "0", "1", "2"; given an object
 * (`{ conv1: ..., relu: ... }`) or a list of [name, module] pairs (PyTorch's OrderedDict form,
 * which keeps numeric-looking names in order too), the children carry those names.
 */
export class Sequential extends Indexed {
  [index: number]: Module;
  constructor(...modules: Module[] | [NamedModules]) {
    super();
    const first: unknown = modules[0];
    if (modules.length === 1 && !(first instanceof Module)) {
      for (const [n, m] of namedEntries(first, "Sequential")) {
        if (this.registry.has(n)) throw new Error(`Sequential(): duplicate module name "${n}"`);
        this.registry.set(n, m);
      }
      this.syncIndices();
    } else
      this.renumber(
        (modules as unknown[]).map((m, i) => checkModule(m, "Sequential", `argument ${i}`)),
      );
  }
  forward(x: Tensor): Tensor {
    for (const m of this.registry.values()) x = m.forward(x);
    return x;
  }
  /** Adds a module at the end, named by its position, and returns this. */
  append(module: Module): this {
    const m = checkModule(module, "append", "argument 'module'");
    this.registry.set(String(this.length), m);
    this.syncIndices();
    return this;
  }
  /** The children from `start` to `end` (exclusive) as a new Sequential with their names. */
  slice(start = 0, end = this.length): Sequential {
    const s = arg.int(start, "slice", "start", 1),
      e = arg.int(end, "slice", "end", 2);
    return new Sequential([...this.registry].slice(s, e));
  }
}

/** A list of modules registered as children "0", "1", ... (no forward of its own). */
export class ModuleList extends Indexed {
  [index: number]: Module;
  constructor(modules: Iterable<Module> = []) {
    super();
    if (modules === null || typeof modules !== "object" || !(Symbol.iterator in modules))
      throw new TypeError(
        `ModuleList(): expected an iterable of modules, got ${arg.typeName(modules)}`,
      );
    this.renumber([...modules].map((m, i) => checkModule(m, "ModuleList", `element ${i}`)));
  }
  forward(): Tensor {
    throw new Error('Module [ModuleList] is missing the required "forward" function');
  }
  /** Adds a module at the end and returns this. */
  append(module: Module): this {
    return this.extend([module]);
  }
  /** Adds modules at the end and returns this. */
  extend(modules: Iterable<Module>): this {
    const added = [...modules].map((m, i) => checkModule(m, "extend", `element ${i}`));
    this.renumber([...this, ...added]);
    return this;
  }
  /** Inserts a module before position `index`. */
  insert(index: number, module: Module): void {
    const n = this.length,
      k = arg.int(index, "insert", "index", 1),
      at = k < 0 ? Math.max(0, k + n) : Math.min(k, n);
    const list = [...this];
    list.splice(at, 0, checkModule(module, "insert", "argument 'module'"));
    this.renumber(list);
  }
  /** Replaces the module at position `index` (PyTorch's `list[i] = m`). */
  set(index: number, module: Module): void {
    const list = [...this];
    list[position(index, list.length, "set")] = checkModule(module, "set", "argument 'module'");
    this.renumber(list);
  }
  /** Removes and returns the module at `index` (default the last). */
  pop(index = -1): Module {
    const list = [...this],
      [m] = list.splice(position(index, list.length, "pop"), 1);
    this.renumber(list);
    return m;
  }
}

/**
 * Modules by name (no forward of its own), in insertion order; from an object or a list of
 * [name, module] pairs.
 */
export class ModuleDict extends Container {
  constructor(modules: NamedModules = []) {
    super();
    this.update(modules);
  }
  forward(): Tensor {
    throw new Error('Module [ModuleDict] is missing the required "forward" function');
  }
  /** The module named `key`, or undefined. */
  get(key: string): Module | undefined {
    return this.registry.get(checkName(key, "ModuleDict.get"));
  }
  /** Adds or replaces the module named `key` (PyTorch's `dict[key] = m`) and returns this. */
  set(key: string, module: Module): this {
    this.registry.set(checkName(key, "ModuleDict.set"), checkModule(module, "set", "the value"));
    return this;
  }
  /** Whether a module is named `key`. */
  has(key: string): boolean {
    return this.registry.has(checkName(key, "ModuleDict.has"));
  }
  /** Removes and returns the module named `key`. */
  pop(key: string): Module {
    const m = this.registry.get(checkName(key, "ModuleDict.pop"));
    if (!m) throw new Error(`KeyError: '${key}'`);
    this.registry.delete(key);
    return m;
  }
  /** Removes every module. */
  clear(): void {
    this.registry.clear();
  }
  /** Adds or replaces modules from an object or a list of [name, module] pairs. */
  update(modules: NamedModules): this {
    for (const [n, m] of namedEntries(modules, "ModuleDict.update")) this.registry.set(n, m);
    return this;
  }
  keys(): string[] {
    return [...this.registry.keys()];
  }
  values(): Module[] {
    return [...this.registry.values()];
  }
  /** [name, module] pairs (PyTorch's items()). */
  items(): [string, Module][] {
    return [...this.registry];
  }
}
