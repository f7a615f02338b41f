/**
 * Shape arithmetic shared by the spatial layers (conv2d and the pools): image inputs are
 * [C, H, W] per sample, and a size is an int or an [h, w] pair, as in torch.
 */
import { z } from 'zod';
import { ShapeMismatch } from '../layer.js';
import { formatShape, type Shape } from '../../core/shape.js';

/** A sliding window over [channels, height, width] inputs (a conv's kernel or a pool's window). */
export interface Geometry {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly kernel: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly outHeight: number;
  readonly outWidth: number;
  /** Input channels per group. */
  readonly groupChannels: number;
}

export const sizePair = (min: number) => z.union([z.int().min(min), z.tuple([z.int().min(min), z.int().min(min)])]);
export type SizeOption = number | [number, number];

export function pair(size: SizeOption): [number, number] {
  return typeof size === 'number' ? [size, size] : size;
}

export function imageShape(inShape: Shape, layer: string): [number, number, number] {
  if (inShape.length !== 3) throw new ShapeMismatch(`${layer} needs [channels, height, width] input, got ${formatShape(inShape)}`);
  return [inShape[0], inShape[1], inShape[2]];
}

/** torch's output size: ⌊(in + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1, checked to be ≥ 1. */
export function outputSize(layer: string, input: [number, number], kernel: [number, number], stride: [number, number], padding: [number, number], dilation: [number, number] = [1, 1]): [number, number] {
  const out = [0, 1].map((d) => Math.floor((input[d] + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1) / stride[d]) + 1);
  if (out[0] < 1 || out[1] < 1) {
    const span = kernel.map((k, d) => dilation[d] * (k - 1) + 1);
    throw new ShapeMismatch(
      `${layer}: the kernel spans ${span.join('×')} but the input is ${input.join('×')} (padded ${input.map((n, d) => n + 2 * padding[d]).join('×')})`,
    );
  }
  return [out[0], out[1]];
}
