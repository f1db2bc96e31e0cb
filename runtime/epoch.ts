// A counter bumped whenever state that compiled functions guard on changes: a tensor's
// requiresGrad or gradFn, a leaf's .grad, a module's training flag. A compiled function checks its
// guards (walking its captured tensors) only when the counter moved since its last check, so a
// cached call costs one comparison instead of a walk over every parameter.
export const stateEpoch = { n: 0 };
