/**
 * The pieces library as a program (or an --optimizer-plugin) composes its own optimizer from it:
 * the generic links (pieces.ts), the per-tensor ones (tensor-pieces.ts) and each family's own
 * scaling, all Transforms to chain() (transform.ts).
 */
export * from './pieces.js';
export * from './tensor-pieces.js';
export { scaleByAdam } from './adam.js';
export { scaleByFactoredRms } from './adafactor.js';
export { scaleBySignMomentum } from './lion.js';
export { scaleByProdigy } from './prodigy.js';
export { lerpMomentum, orthogonalizeByNewtonSchulz, scaleByShape } from './muon.js';
