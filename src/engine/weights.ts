/**
 * Moving a model's state (parameters and buffers) to and from safetensors, under
 * nn.Sequential's names ("<layer index>.weight", "<layer index>.running_mean", ...) and in
 * PyTorch's layouts, so that torch.nn.Sequential(...).load_state_dict(safetensors.torch.load_file(f))
 * reads our files and our `model.init.from` reads theirs.
 */
import { DataError, UnreadableFileError } from '../core/errors.js';
import { readFileBounded } from '../core/read-file.js';
import { plannedState, type Model, type ModelPlan, type StateEntry } from './model.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.js';
import { formatShape } from '../core/shape.js';

export function encodeModelWeights(model: Model): Uint8Array {
  const values = stateValues(model);
  return encodeSafetensors(
    plannedState(model.plan).map((entry) => ({ name: entry.fullName, shape: entry.shape, dtype: entry.dtype, data: values.get(entry.fullName)! })),
    { format: 'pt' },
  );
}

/** A way in which a weights file does not fit a model; `layer` is null for an extra tensor. */
export interface StateMismatch {
  readonly layer: number | null;
  readonly problem: string;
}

/** Every difference between the state a plan expects and the tensors of a file (strict, as torch's load_state_dict). */
export function compareState(plan: ModelPlan, tensors: readonly NamedTensor[]): StateMismatch[] {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const expected = plannedState(plan);
  const problems: StateMismatch[] = expected.flatMap((entry: StateEntry): StateMismatch[] => {
    const t = byName.get(entry.fullName);
    const where = `${entry.fullName}`;
    if (t === undefined) return [{ layer: entry.layer, problem: `the file has no "${where}" (shape ${formatShape(entry.shape)})` }];
    if (formatShape(t.shape) !== formatShape(entry.shape)) {
      return [{ layer: entry.layer, problem: `"${where}" has shape ${formatShape(t.shape)} in the file but ${formatShape(entry.shape)} in the config` }];
    }
    if ((t.dtype ?? 'F32') !== entry.dtype) return [{ layer: entry.layer, problem: `"${where}" is ${t.dtype ?? 'F32'} in the file, expected ${entry.dtype}` }];
    return [];
  });
  const names = new Set(expected.map((e) => e.fullName));
  for (const t of tensors) if (!names.has(t.name)) problems.push({ layer: null, problem: `the file has "${t.name}", which the model does not` });
  return problems;
}

/** Loads every parameter and buffer from `bytes`; names and shapes must match exactly. */
export function loadModelWeights(model: Model, bytes: Uint8Array, file: string): void {
  const tensors = decodeSafetensors(bytes, file);
  const problems = compareState(model.plan, tensors);
  if (problems.length > 0) {
    throw new DataError(file, `does not match the model: ${problems.map((p) => p.problem).join('; ')}`, 'check model.layers against the network that wrote the file');
  }
  const values = stateValues(model);
  for (const t of tensors) values.get(t.name)!.set(t.data);
}

function stateValues(model: Model): Map<string, Float32Array | Float64Array> {
  return new Map<string, Float32Array | Float64Array>([
    ...model.parameters.map((p) => [p.fullName, p.value] as const),
    ...model.buffers.map((b) => [b.fullName, b.value] as const),
  ]);
}

/** The bytes of a weights file (model.init.from), or a DataError saying why not. */
export function readWeightsFile(file: string): Uint8Array {
  try {
    return readFileBounded(file);
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    switch (error.reason) {
      case 'missing':
        throw new DataError(file, 'weights file not found (model.init.from)');
      case 'directory':
      case 'special':
        throw new DataError(file, 'is not a regular file (model.init.from): point it at a .safetensors file');
      default:
        throw new DataError(file, error.problem);
    }
  }
}
