/**
 * The blas kernel path (kernels/blas.ts): the library's sgemm on engine buffers in place, against
 * a float64 reference within float32 rounding, for every transpose, odd sizes, operands at odd
 * offsets and A = B; the routing of products by size; the same bits run after run; and a library
 * ADAM_LAB_BLAS names that does not work (exit 2, naming the variable). Skipped, with the reason
 * in the test's name, where no CBLAS library or no koffi is installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import { allocFloat32, arenaOffset, memory } from '../../src/kernels/arena.js';
import { loadBlas, type Blas } from '../../src/kernels/blas.js';
import { BLAS_MIN_PRODUCT } from '../../src/kernels/choice.js';
import { DIST, runBuilt } from './run-built.js';

const loaded: Blas | string = memory === null ? 'no engine memory' : loadBlas(memory, 1);
const blas = typeof loaded === 'string' ? null : loaded;
const missing = typeof loaded === 'string' ? ` — skipped: ${loaded}` : '';

/** Odd sizes, 1, the blocking edges of the WebAssembly kernel and the benchmark's shapes. */
const SHAPES: readonly [number, number, number][] = [
  [1, 1, 1],
  [1, 1000, 1],
  [3, 7, 11],
  [13, 97, 61],
  [5, 1, 9],
  [129, 257, 17],
  [64, 784, 128],
  [10, 64, 128],
  [257, 31, 1],
];

function filled(rng: Rng, length: number): Float32Array {
  const x = allocFloat32(length);
  for (let i = 0; i < length; i++) x[i] = rng.uniformIn(-1, 1);
  return x;
}

/**
 * Checks C against op(A)·op(B) (+ C0 when beta = 1) summed in float64, each element within
 * k·2⁻²⁴·Σ|a·b| plus the rounding of the result (the classical bound for a float32 dot product in
 * any order, which covers the library's blocking and FMAs).
 */
function expectProduct(c: Float32Array, at: (i: number, p: number) => number, bt: (p: number, j: number) => number, m: number, k: number, n: number, start: Float32Array | null): void {
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = start === null ? 0 : start[i * n + j];
      let size = Math.abs(sum);
      for (let p = 0; p < k; p++) {
        sum += at(i, p) * bt(p, j);
        size += Math.abs(at(i, p) * bt(p, j));
      }
      const bound = (k + 1) * 2 ** -24 * size + 2 ** -24 * Math.abs(sum);
      worst = Math.max(worst, Math.abs(c[i * n + j] - sum) / (bound + Number.MIN_VALUE));
    }
  }
  expect(worst).toBeLessThanOrEqual(1);
}

describe.skipIf(blas === null)(`the BLAS sgemm on engine buffers${missing}`, () => {
  const library = blas as Blas;
  for (const [m, k, n] of SHAPES) {
    for (const aT of [false, true]) {
      for (const bT of [false, true]) {
        it(`${aT ? 'Aᵀ' : 'A'}·${bT ? 'Bᵀ' : 'B'} m=${m} k=${k} n=${n}`, () => {
          const rng = new Rng(m * 7 + k * 3 + n, 'data');
          const a = filled(rng, m * k);
          const b = filled(rng, k * n);
          const c = filled(rng, m * n); // overwritten: beta = 0
          library.sgemm(arenaOffset(c), n, arenaOffset(a), aT ? m : k, aT, arenaOffset(b), bT ? k : n, bT, m, k, n, 0);
          expectProduct(c, (i, p) => (aT ? a[p * m + i] : a[i * k + p]), (p, j) => (bT ? b[j * k + p] : b[p * n + j]), m, k, n, null);
        });
      }
    }
  }

  it('adds to C with beta = 1 (the bias rows of matmulABt)', () => {
    const rng = new Rng(3, 'data');
    const [m, k, n] = [17, 33, 9];
    const a = filled(rng, m * k);
    const b = filled(rng, k * n);
    const c = filled(rng, m * n);
    const start = Float32Array.from(c);
    library.sgemm(arenaOffset(c), n, arenaOffset(a), k, false, arenaOffset(b), n, false, m, k, n, 1);
    expectProduct(c, (i, p) => a[i * k + p], (p, j) => b[p * n + j], m, k, n, start);
  });

  it('reads operands at any float offset and with leading dimensions wider than the product', () => {
    const rng = new Rng(4, 'data');
    const [m, k, n, lda, ldb, ldc] = [7, 13, 5, 19, 8, 11];
    const whole = filled(rng, 1 + m * lda + k * ldb + m * ldc);
    const [aAt, bAt, cAt] = [1, 1 + m * lda, 1 + m * lda + k * ldb];
    const base = arenaOffset(whole);
    library.sgemm(base + cAt * 4, ldc, base + aAt * 4, lda, false, base + bAt * 4, ldb, false, m, k, n, 0);
    const c = Float32Array.from({ length: m * n }, (_, x) => whole[cAt + Math.floor(x / n) * ldc + (x % n)]);
    expectProduct(c, (i, p) => whole[aAt + i * lda + p], (p, j) => whole[bAt + p * ldb + j], m, k, n, null);
  });

  it('takes the same array as A and B (A·Aᵀ); C must be another', () => {
    const rng = new Rng(5, 'data');
    const [m, k] = [23, 41];
    const a = filled(rng, m * k);
    const c = allocFloat32(m * m);
    library.sgemm(arenaOffset(c), m, arenaOffset(a), k, false, arenaOffset(a), k, true, m, k, m, 0);
    expectProduct(c, (i, p) => a[i * k + p], (p, j) => a[j * k + p], m, k, m, null);
  });

  it('gives the same bits for the same product twice', () => {
    const rng = new Rng(6, 'data');
    const [m, k, n] = [65, 300, 129];
    const a = filled(rng, m * k);
    const b = filled(rng, k * n);
    const once = allocFloat32(m * n);
    const twice = allocFloat32(m * n);
    library.sgemm(arenaOffset(once), n, arenaOffset(a), k, false, arenaOffset(b), n, false, m, k, n, 0);
    library.sgemm(arenaOffset(twice), n, arenaOffset(a), k, false, arenaOffset(b), n, false, m, k, n, 0);
    expect(new Uint32Array(twice.buffer, twice.byteOffset, twice.length)).toEqual(new Uint32Array(once.buffer, once.byteOffset, once.length));
  });
});

/** In a process on the blas path: where products go, matmulABt's bias, and a few Adam steps' loss bits. */
const ROUTING = `
import { kernelChoice, BLAS_MIN_PRODUCT } from '${DIST}kernels/choice.js';
import { allocFloat32 } from '${DIST}kernels/arena.js';
import { kernelFor, matmulABt } from '${DIST}kernels/matmul.js';
import { optimizerSchema } from '${DIST}config/schema.js';
import { lossKinds } from '${DIST}engine/losses/registry.js';
import { Model, planModel } from '${DIST}engine/model.js';
import { Rng } from '${DIST}core/rng.js';
import { createOptimizer } from '${DIST}optim/registry.js';
const small = allocFloat32(1), big = allocFloat32(64 * 128);
const a = allocFloat32(64 * 7), b = allocFloat32(128 * 7), bias = allocFloat32(128);
a.fill(1); b.fill(2); bias.fill(0.5);
matmulABt(big, a, b, 64, 7, 128, bias);
const model = new Model(planModel([{ linear: { out_features: 128, bias: true } }, 'relu', { linear: { out_features: 10, bias: true } }], [784]), 64, 0);
const optimizer = createOptimizer(optimizerSchema.parse({ name: 'adam', lr: 1e-3 }), model.values);
const rng = new Rng(1, 'data');
const targets = new Float32Array(64);
const losses = [];
for (let step = 0; step < 4; step++) {
  for (let i = 0; i < 64 * 784; i++) model.input[i] = rng.uniform();
  for (let i = 0; i < 64; i++) targets[i] = rng.below(10);
  losses.push(lossKinds.cross_entropy.loss.compute(model.forward(64, 'train'), targets, 64, 10, model.outputGrad));
  model.backward(64);
  optimizer.apply(model.grads);
}
console.log(JSON.stringify({
  kernel: kernelChoice().path,
  blas: kernelChoice().blas,
  tiny: kernelFor(small, small, small, null, 1, 1, 1),
  belowMin: kernelFor(big, a, b, null, 1, 1, BLAS_MIN_PRODUCT - 1),
  atMin: kernelFor(big, a, b, null, 1, 1, BLAS_MIN_PRODUCT),
  biasRow: Array.from(big.subarray(0, 3)),
  losses,
}));`;

describe.skipIf(blas === null)(`ADAM_LAB_KERNEL=blas${missing}`, () => {
  it('sends products of at least BLAS_MIN_PRODUCT multiply-adds to the library and smaller ones to wasm-simd', () => {
    const run = JSON.parse(runBuilt(ROUTING, { ADAM_LAB_KERNEL: 'blas' }));
    expect(run.kernel).toBe('blas');
    expect(run.blas.library).toBe('libopenblas.so.0');
    expect([run.tiny, run.belowMin, run.atMin]).toEqual(['wasm-simd', 'wasm-simd', 'blas']);
    expect(BLAS_MIN_PRODUCT).toBeLessThanOrEqual(64 * 7 * 128); // so the bias product above ran on the library
    expect(run.biasRow).toEqual([14.5, 14.5, 14.5]);
  });

  it('trains to the same bits run after run (on 1 and on 2 threads), within float32 rounding of the WebAssembly path', () => {
    const first = JSON.parse(runBuilt(ROUTING, { ADAM_LAB_KERNEL: 'blas' }));
    const second = JSON.parse(runBuilt(ROUTING, { ADAM_LAB_KERNEL: 'blas' }));
    const simd = JSON.parse(runBuilt(ROUTING));
    expect(simd.kernel).toBe('wasm-simd');
    expect(second.losses).toEqual(first.losses);
    const shared = [1, 2].map(() => JSON.parse(runBuilt(ROUTING, { ADAM_LAB_KERNEL: 'blas', ADAM_LAB_THREADS: '2' })));
    expect(shared[0].blas.threads).toBe(2);
    expect(shared[1].losses).toEqual(shared[0].losses);
    for (let i = 0; i < 4; i++) expect(first.losses[i]).toBeCloseTo(simd.losses[i], 5);
  });

  it('train prints the library, core type and threads at start and records them in manifest.json', () => {
    const runs = mkdtempSync(join(tmpdir(), 'adam-lab-blas-train-'));
    const cli = fileURLToPath(new URL('../../bin/adam-lab.js', import.meta.url));
    const config = fileURLToPath(new URL('../../configs/seed-simple-nn.yaml', import.meta.url));
    const trained = spawnSync(process.execPath, [cli, 'train', config, '--set', 'train.epochs=2', '--out', runs], { encoding: 'utf8', env: { ...process.env, ADAM_LAB_KERNEL: 'blas', ADAM_LAB_BLAS: '', ADAM_LAB_THREADS: '1' } });
    expect(trained.status, trained.stderr).toBe(0);
    const { info } = blas as Blas;
    expect(trained.stdout).toContain('blas kernels');
    expect(trained.stdout).toContain(`blas    libopenblas.so.0 (${info.config}), core ${info.core}, 1 thread, products of ≥ ${BLAS_MIN_PRODUCT} multiply-adds`);
    const manifest = JSON.parse(readFileSync(join(runs, 'seed-simple-nn', 'latest', 'manifest.json'), 'utf8'));
    expect(manifest.kernel).toBe('blas');
    expect(manifest.blas).toEqual({ library: 'libopenblas.so.0', config: info.config, core: info.core, threads: 1, min_product: BLAS_MIN_PRODUCT });
  });

  it("a checkpoint records the library and core type, and a resume on another one is refused (exit 2)", () => {
    const runs = mkdtempSync(join(tmpdir(), 'adam-lab-blas-resume-'));
    const cli = fileURLToPath(new URL('../../bin/adam-lab.js', import.meta.url));
    const config = fileURLToPath(new URL('../../configs/seed-simple-nn.yaml', import.meta.url));
    const env = { ...process.env, ADAM_LAB_KERNEL: 'blas', ADAM_LAB_BLAS: '' };
    const trained = spawnSync(process.execPath, [cli, 'train', config, '--set', 'train.epochs=10', '--set', 'train.checkpoint_every=5', '--out', runs, '-q'], { encoding: 'utf8', env });
    expect(trained.status, trained.stderr).toBe(0);
    const run = join(runs, 'seed-simple-nn', readdirSync(join(runs, 'seed-simple-nn')).find((d) => d !== 'latest') as string);
    const stateFile = join(run, 'checkpoint', 'state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(state.engine.kernel).toBe('blas');
    expect(state.engine.blas).toContain(`core ${(blas as Blas).info.core}`);
    writeFileSync(stateFile, JSON.stringify({ ...state, engine: { ...state.engine, blas: 'another BLAS, core Other' } }));
    const refused = spawnSync(process.execPath, [cli, 'train', '--resume', run, '-q'], { encoding: 'utf8', env });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('another engine build (blas another BLAS, core Other there,');
  });

  it('ADAM_LAB_BLAS alone selects the blas path with that library', () => {
    const run = JSON.parse(runBuilt(ROUTING, { ADAM_LAB_BLAS: 'libopenblas.so.0' }));
    expect([run.kernel, run.blas.library]).toEqual(['blas', 'libopenblas.so.0']);
  });
});

describe('a library ADAM_LAB_BLAS names that does not work', () => {
  const cli = fileURLToPath(new URL('../../bin/adam-lab.js', import.meta.url));
  const config = fileURLToPath(new URL('../../configs/seed-simple-nn.yaml', import.meta.url));
  const out = mkdtempSync(join(tmpdir(), 'adam-lab-blas-'));
  const train = (library: string) => spawnSync(process.execPath, [cli, 'train', config, '--out', out, '-q'], { encoding: 'utf8', env: { ...process.env, ADAM_LAB_KERNEL: '', ADAM_LAB_BLAS: library } });

  it('stops train with exit 2 and a message naming the variable and the file, before any run folder', () => {
    const result = train('/nonexistent/libblis.so');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('/nonexistent/libblis.so: ');
    expect(result.stderr).toContain('ADAM_LAB_BLAS');
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readdirSync(out)).toEqual([]);
  });

  it('stops a sweep with exit 2 before any trial runs', () => {
    const result = spawnSync(process.execPath, [cli, 'sweep', config, '--grid', 'optimizer.lr=0.1,0.01', '--out', out, '-q'], { encoding: 'utf8', env: { ...process.env, ADAM_LAB_KERNEL: '', ADAM_LAB_BLAS: '/nonexistent/libblis.so' } });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('ADAM_LAB_BLAS');
    expect(readdirSync(out)).toEqual([]);
  });

  // Needs koffi to open the library and look for the symbol.
  it.skipIf(blas === null)(`refuses a library without cblas_sgemm${missing}`, () => {
    const result = train('libc.so.6');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('libc.so.6: has no cblas_sgemm');
  });
});
