/**
 * The plain reference kernels: the definition the fast kernels are tested against, and
 * the path taken when a buffer is not in the engine memory or ADAM_LAB_KERNEL=js.
 *
 *   matmulABtReference: C[m,n] = A[m,k] · B[n,k]ᵀ (+ bias[n])
 *   matmulABReference:  C[m,n] = A[m,k] · B[k,n]
 *   matmulAtBReference: C[m,n] = A[k,m]ᵀ · B[k,n]
 *
 * Arithmetic is float32, as in PyTorch: every product is rounded to float32 (Math.fround)
 * and every sum is rounded to float32 (by Math.fround, or by storing into the
 * Float32Array), and each C element is summed as  init + a₀b₀ + a₁b₁ + … in increasing p,
 * init being the bias or 0. That is exactly what the SIMD kernel computes, so the two agree
 * bit for bit. (Rounding a sum or product of two float32 numbers computed in double to
 * float32 gives the correctly rounded float32 result: double has more than 2·24+2 bits.)
 * Loop orders are only chosen so that the innermost loop walks memory contiguously.
 * C is overwritten, never accumulated into.
 */

export function matmulABtReference(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, bias: Float32Array | null): void {
  for (let i = 0; i < m; i++) {
    const aRow = i * k;
    const cRow = i * n;
    for (let j = 0; j < n; j++) {
      const bRow = j * k;
      let sum = bias === null ? 0 : bias[j];
      for (let p = 0; p < k; p++) sum = Math.fround(sum + Math.fround(a[aRow + p] * b[bRow + p]));
      c[cRow + j] = sum;
    }
  }
}

export function matmulABReference(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number): void {
  c.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const cRow = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      const bRow = p * n;
      for (let j = 0; j < n; j++) c[cRow + j] += Math.fround(aip * b[bRow + j]);
    }
  }
}

export function matmulAtBReference(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number): void {
  c.fill(0, 0, m * n);
  for (let p = 0; p < k; p++) {
    const aRow = p * m;
    const bRow = p * n;
    for (let i = 0; i < m; i++) {
      const api = a[aRow + i];
      const cRow = i * n;
      for (let j = 0; j < n; j++) c[cRow + j] += Math.fround(api * b[bRow + j]);
    }
  }
}
