/**
 * Moving a model's parameters to and from safetensors, under nn.Sequential's names
 * ("<layer index>.weight", "<layer index>.bias") and in PyTorch's layouts, so that
 * torch.nn.Sequential(...).load_state_dict(safetensors.torch.load_file(f)) reads our files
 * and our `model.init.from` reads theirs.
 */
import { DataError } from '../errors.js';
import type { Model } from './model.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import { formatShape } from './tensor.js';

export function encodeModelWeights(model: Model): Uint8Array {
  return encodeSafetensors(
    model.parameters.map((p) => ({ name: p.fullName, shape: p.shape, data: p.value })),
    { format: 'pt' },
  );
}

/** Loads every parameter from `bytes`; names and shapes must match exactly (strict, like torch). */
export function loadModelWeights(model: Model, bytes: Uint8Array, file: string): void {
  const tensors = new Map(decodeSafetensors(bytes, file).map((t) => [t.name, t]));
  const problems: string[] = [];
  for (const p of model.parameters) {
    const t = tensors.get(p.fullName);
    if (t === undefined) problems.push(`missing "${p.fullName}" (shape ${formatShape(p.shape)})`);
    else if (formatShape(t.shape) !== formatShape(p.shape)) {
      problems.push(`"${p.fullName}" has shape ${formatShape(t.shape)} in the file but ${formatShape(p.shape)} in the config`);
    }
  }
  const expected = new Set(model.parameters.map((p) => p.fullName));
  for (const name of tensors.keys()) if (!expected.has(name)) problems.push(`unexpected "${name}" (no such parameter in the model)`);
  if (problems.length > 0) {
    throw new DataError(file, `does not match the model: ${problems.join('; ')}`, 'check model.layers against the network that wrote the file');
  }
  for (const p of model.parameters) p.value.set(tensors.get(p.fullName)!.data);
}
