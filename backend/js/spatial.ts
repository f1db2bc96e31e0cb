// Convolutions and pooling take 1-3 spatial dims; their routines (conv.ts, im2col.ts, pool.ts, the
// Wasm pooling) walk three, the missing leading ones of size 1 (strides 0, paddings 0), so that one
// loop nest serves every rank.

// the spatial sizes (or strides, params) padded to three in front with `fill`
export const three = (xs: readonly number[], fill: number): number[] => [
  ...new Array<number>(3 - xs.length).fill(fill),
  ...xs,
];
