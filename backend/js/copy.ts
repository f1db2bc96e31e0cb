// A float copy where either end may be shared memory. V8 copies to or from a SharedArrayBuffer with
// relaxed atomic stores, word by word only when both ends have the same address mod 8 and byte by
// byte otherwise: measured, 9 us per 32 KB against 1.2 (and 0.66 between ordinary buffers). A tensor
// view at an odd offset, or a row of odd length, meets a Wasm memory slot that starts on 16 bytes
// that way. Such a copy goes through `scratch` (ordinary memory, at least src.length + 1 floats),
// at the shared end's alignment: two fast copies instead of one slow one.
// Self-contained (a kernel helper that workers rebuild from its text: threads/helpers.ts).
export function copyFloats(
  dst: Float32Array,
  at: number,
  src: Float32Array,
  scratch: Float32Array,
): void {
  const n = src.length,
    to = dst.byteOffset + 4 * at,
    from = src.byteOffset;
  // (no inner functions: a bundler may wrap them in helpers of its own, which a worker lacks)
  const sab = typeof SharedArrayBuffer === "function",
    srcShared = sab && src.buffer instanceof SharedArrayBuffer,
    dstShared = sab && dst.buffer instanceof SharedArrayBuffer;
  if (((to - from) & 7) === 0 || n < 64 || n + 1 > scratch.length || !(srcShared || dstShared)) {
    dst.set(src, at);
    return;
  }
  const k = (((srcShared ? from : to) - scratch.byteOffset) & 7) >> 2,
    t = scratch.subarray(k, k + n);
  t.set(src);
  dst.set(t, at);
}
