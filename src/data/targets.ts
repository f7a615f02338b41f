/**
 * Matching a dataset's targets to a loss and a model output width. cross_entropy takes class
 * indices and needs one output per class; bce and mse take values, so a 2-class label is the
 * value 0/1 on one output, and C classes become one-hot rows on C outputs.
 */
import type { TargetEncoding, TargetInfo } from './dataset.js';

export type TargetMatch = { readonly encoding: TargetEncoding; readonly width: number } | { readonly problem: string };

export function matchTargets(targets: TargetInfo, lossTakes: 'class' | 'values', outputWidth: number): TargetMatch {
  if (targets.kind === 'values') {
    if (lossTakes === 'class') return { problem: 'this loss needs class labels, but the dataset has real-valued targets (use bce or mse)' };
    if (outputWidth !== targets.width) {
      return { problem: `the model has ${outputWidth} output(s) but the dataset has ${targets.width} target value(s) per sample` };
    }
    return { encoding: 'value', width: outputWidth };
  }
  const { classes, positions } = targets;
  if (positions !== undefined) {
    if (lossTakes !== 'class') return { problem: 'a text dataset has a class (the next character) at every position: use cross_entropy' };
    if (outputWidth !== positions * classes) return { problem: `the model gives ${outputWidth} output(s) per sample but the text needs [${positions}, ${classes}]: a score for each of the ${classes} characters at each of the ${positions} positions` };
    return { encoding: 'index', width: positions };
  }
  if (lossTakes === 'class') {
    if (outputWidth !== classes) return { problem: `the model has ${outputWidth} output(s) but the dataset has ${classes} classes` };
    return { encoding: 'index', width: 1 };
  }
  if (classes === 2 && outputWidth === 1) return { encoding: 'value', width: 1 };
  if (outputWidth === classes) return { encoding: 'one-hot', width: classes };
  return { problem: `the model has ${outputWidth} output(s); with ${classes} classes this loss needs ${classes === 2 ? '1 or 2' : classes}` };
}
