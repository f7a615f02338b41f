/**
 * Matrix products over row-major Float32Arrays, in the three forms a linear layer needs, so
 * backward never materializes a transposed copy:
 *
 *   matmulABt: C[m,n] = A[m,k] · B[n,k]ᵀ (+ bias[n])   forward  y = x·Wᵀ + b
 *   matmulAB:  C[m,n] = A[m,k] · B[k,n]                backward dx = dy·W
 *   matmulAtB: C[m,n] = A[k,m]ᵀ · B[k,n]               backward dW = dyᵀ·x
 *
 * These are the plain reference kernels: loop orders chosen so the innermost loop walks
 * memory contiguously, nothing more. C is overwritten, never accumulated into.
 */

export function matmulABt(
  c: Float32Array,
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  bias: Float32Array | null,
): void {
  for (let i = 0; i < m; i++) {
    const aRow = i * k;
    const cRow = i * n;
    for (let j = 0; j < n; j++) {
      const bRow = j * k;
      let sum = bias === null ? 0 : bias[j];
      for (let p = 0; p < k; p++) sum += a[aRow + p] * b[bRow + p];
      c[cRow + j] = sum;
    }
  }
}

export function matmulAB(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number): void {
  c.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const cRow = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      const bRow = p * n;
      for (let j = 0; j < n; j++) c[cRow + j] += aip * b[bRow + j];
    }
  }
}

export function matmulAtB(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number): void {
  c.fill(0, 0, m * n);
  for (let p = 0; p < k; p++) {
    const aRow = p * m;
    const bRow = p * n;
    for (let i = 0; i < m; i++) {
      const api = a[aRow + i];
      const cRow = i * n;
      for (let j = 0; j < n; j++) c[cRow + j] += api * b[bRow + j];
    }
  }
}
