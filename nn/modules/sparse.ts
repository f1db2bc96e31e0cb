// Embedding: a lookup table of learnt rows, initialized from N(0, 1) with PyTorch's draws (the
// padding row zeroed).
import type { DType } from "../../ir/dtype";
import * as arg from "../../runtime/args";
import { noGrad } from "../../runtime/autograd";
import { empty } from "../../runtime/dispatch";
import type { Tensor } from "../../runtime/tensor";
import { embedding } from "../functional/embedding";
import { normal_ } from "../init";
import { Module, parameter } from "../module";

/** Options of `Embedding`. */
export interface EmbeddingLayerOptions {
  /** A row that gets no gradient and starts at zero (negative counts from the end). */
  paddingIdx?: number | null;
  /** The weight's dtype. Default float32. */
  dtype?: DType;
}

function paddingIndex(v: unknown, num: number, fn: string): number | null {
  if (v === undefined || v === null) return null;
  const p = arg.int(v, fn, "padding_idx");
  if (p >= num || p < -num) throw new Error("Padding_idx must be within num_embeddings");
  return p < 0 ? p + num : p;
}

/** Rows of a learnt [numEmbeddings, embeddingDim] table picked by int32 indices. */
export class Embedding extends Module {
  /** The table, [numEmbeddings, embeddingDim]. */
  weight: Tensor;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  constructor(numEmbeddings: number, embeddingDim: number, opts?: EmbeddingLayerOptions) {
    super();
    const fn = "Embedding",
      o = arg.options(opts, fn, ["paddingIdx", "dtype"]);
    [this.numEmbeddings, this.embeddingDim] = arg.size(
      [numEmbeddings, embeddingDim],
      fn,
      "num_embeddings/embedding_dim",
    );
    this.paddingIdx = paddingIndex(o.paddingIdx, this.numEmbeddings, fn);
    const dtype = arg.dtype(o.dtype, fn) ?? "float32";
    this.weight = parameter(empty([this.numEmbeddings, this.embeddingDim], dtype));
    this.resetParameters();
  }
  /**
   * An Embedding holding `embeddings` ([num, dim], copied); frozen (no gradient) unless
   * `{ freeze: false }`.
   */
  static fromPretrained(
    embeddings: Tensor,
    opts?: { freeze?: boolean; paddingIdx?: number | null },
  ): Embedding {
    const fn = "Embedding.from_pretrained",
      e = arg.tensorArg(embeddings, fn, "embeddings", 1),
      o = arg.options(opts, fn, ["freeze", "paddingIdx"]);
    if (e.ndim !== 2) throw new Error("Embeddings parameter is expected to be 2-dimensional");
    const freeze = o.freeze === undefined ? true : arg.bool(o.freeze, fn, "freeze");
    const m = new Embedding(e.shape[0], e.shape[1], {
      paddingIdx: o.paddingIdx as number | null | undefined,
      dtype: e.dtype,
    });
    noGrad(() => m.weight.copy_(e));
    m.weight.requiresGrad_(!freeze);
    return m;
  }
  /** Draws the table again from N(0, 1), the padding row zeroed (PyTorch's reset_parameters). */
  resetParameters(): void {
    normal_(this.weight);
    const p = this.paddingIdx;
    if (p !== null) noGrad(() => this.weight.select(0, p).fill_(0));
  }
  forward(input: Tensor): Tensor {
    return embedding(input, this.weight, { paddingIdx: this.paddingIdx });
  }
  override extraRepr(): string {
    const p = this.paddingIdx;
    return `${this.numEmbeddings}, ${this.embeddingDim}${p === null ? "" : `, padding_idx=${p}`}`;
  }
}
