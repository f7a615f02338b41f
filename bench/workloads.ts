/**
 * The benchmark's workloads, named the same way for every peer (bench/peers/*): the name is
 * what a peer receives on its command line and the key of its figure in the JSON it prints.
 *
 *   toy                    W0 seed toy: Linear(2,4) ReLU Linear(4,1) Sigmoid, BCE, Adam, a fresh
 *                          batch of 100 random points per step; µs per step
 *   mlp:<widths>:<batch>   MNIST MLP 784→widths…→10 ReLU, cross entropy, Adam 1e-3; samples/s
 *   cnn:<c1>-<c2>:<batch>  MNIST CNN conv(1→c1,3,p1) relu pool2 conv(c1→c2,3,p1) relu pool2
 *                          linear(c2·7·7→10), cross entropy, Adam 1e-3; samples/s
 */
export interface Workload {
  readonly name: string;
  readonly label: string;
}

export const W0: Workload = { name: 'toy', label: 'W0 seed toy, µs/step' };
export const W1: Workload = { name: 'mlp:128:64', label: 'W1 784-128-10, b64, samples/s' };
export const W2: Workload = { name: 'mlp:256-256:128', label: 'W2 784-256-256-10, b128, samples/s' };
export const W3: Workload = { name: 'cnn:8-16:64', label: 'W3 CNN 8/16, b64, samples/s' };
export const MAIN: readonly Workload[] = [W0, W1, W2, W3];

/** Where adam-lab's per-operation overhead stops mattering: larger batches, wider and deeper nets, wider convolutions (1 thread each). */
export const SCALING: readonly Workload[] = [
  ...[16, 256, 1024].map((batch) => ({ name: `mlp:128:${batch}`, label: `784-128-10, batch ${batch}` })),
  ...[512, 1024, 2048].map((width) => ({ name: `mlp:${width}:64`, label: `784-${width}-10, batch 64` })),
  { name: 'mlp:256-256-256-256:64', label: '784-4×256-10, batch 64' },
  { name: 'cnn:32-64:64', label: 'CNN 32/64, batch 64' },
];

/** Lower is better for the toy (µs/step), higher for everything else (samples/s). */
export const lowerIsBetter = (w: Workload): boolean => w.name === 'toy';

export type Parsed = { readonly kind: 'toy' } | { readonly kind: 'mlp' | 'cnn'; readonly sizes: number[]; readonly batch: number };

export function parseWorkload(name: string): Parsed {
  const [kind, sizes, batch] = name.split(':');
  if (kind === 'toy') return { kind };
  if ((kind === 'mlp' || kind === 'cnn') && sizes !== undefined && batch !== undefined) {
    return { kind, sizes: sizes.split('-').map(Number), batch: Number(batch) };
  }
  throw new Error(`unknown workload ${name}`);
}
