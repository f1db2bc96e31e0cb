// Element types, their storage, and PyTorch's promotion rules.
/** Element types: float32 (the default), float64, int32 (PyTorch's int64 role) and bool. */
export type DType = "float32" | "float64" | "int32" | "bool";
export type Storage = Float32Array | Float64Array | Int32Array | Uint8Array;

const arrays = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
};
export const allocate = (dtype: DType, n: number): Storage => new arrays[dtype](n);

export const isFloat = (d: DType) => d === "float32" || d === "float64";
export const short: Record<DType, string> = {
  float32: "f32",
  float64: "f64",
  int32: "i32",
  bool: "bool",
};

// PyTorch's legacy type names, used in its error messages ("torch.FloatTensor [2, 2]"). jitgrad's
// int32 plays the role of PyTorch's default int64, so it is named as int64 is (as format.ts prints it).
export const torchTypeName: Record<DType, string> = {
  float32: "torch.FloatTensor",
  float64: "torch.DoubleTensor",
  int32: "torch.LongTensor",
  bool: "torch.BoolTensor",
};

const rank: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };
export const promote = (a: DType, b: DType): DType => (rank[a] >= rank[b] ? a : b);

// PyTorch's scalar type names for error messages (jitgrad's int32 plays int64's part: "Long").
export const scalarTypeName = (dtype: DType) => torchTypeName[dtype].slice(6, -6);
