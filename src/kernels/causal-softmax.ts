/**
 * The fused masked softmax of causal attention, over one head's [T, T] block of scores s:
 *
 *   forward   p_ij = e^(c·s_ij − m_i) / Σ_{j'≤i} e^(c·s_ij' − m_i)   for j ≤ i,   p_ij = 0 for j > i
 *   backward  ds_ij = c · p_ij · (dp_ij − Σ_j' dp_ij' · p_ij')
 *
 * with c = 1/√head_dim and m_i the row's largest scaled score. Scaling, the causal mask (torch's
 * additive −∞ above the diagonal) and the softmax are one pass over the block instead of three,
 * and the masked half is never exponentiated. Both work in place at offset `at`, so the layer
 * hands in one buffer for every head without a view per head.
 *
 * This is the plain kernel and its own reference: sums are taken in double and rounded once.
 */
export function causalSoftmax(s: Float32Array, at: number, t: number, scale: number): void {
  for (let i = 0; i < t; i++) {
    const row = at + i * t;
    let max = -Infinity;
    for (let j = 0; j <= i; j++) max = Math.max(max, s[row + j] * scale);
    let sum = 0;
    for (let j = 0; j <= i; j++) {
      const e = Math.exp(s[row + j] * scale - max);
      s[row + j] = e;
      sum += e;
    }
    const inverse = 1 / sum;
    for (let j = 0; j <= i; j++) s[row + j] *= inverse;
    for (let j = i + 1; j < t; j++) s[row + j] = 0;
  }
}

/** dp ← ds in place (the gradient of the scores before scaling), given the probabilities p at the same offset. */
export function causalSoftmaxBackward(dp: Float32Array, p: Float32Array, at: number, t: number, scale: number): void {
  for (let i = 0; i < t; i++) {
    const row = at + i * t;
    let dot = 0;
    for (let j = 0; j <= i; j++) dot += dp[row + j] * p[row + j];
    for (let j = 0; j <= i; j++) dp[row + j] = scale * p[row + j] * (dp[row + j] - dot);
    for (let j = i + 1; j < t; j++) dp[row + j] = 0;
  }
}
