/**
 * GRU (torch.nn.GRU, batch_first=True, zero initial h): x [T, I] → y [T, H] per sample, the
 * last layer's h_t at every step (torch's output[0]). Options, parameters and the stack through
 * time: recurrent.ts. The cell, in torch's form and gate order r, z, n:
 *
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr),   z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))          (r multiplies the hidden part only)
 *   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
 *
 * backward, with dh = ∂L/∂h_t:
 *   dn = dh·(1 − z),  dz = dh·(h_{t−1} − n),  da_n = dn·(1 − n²),  dr = da_n·(W_hn h + b_hn)
 *   input side  dX = [dr·r(1−r), dz·z(1−z), da_n]
 *   hidden side dH = [dr·r(1−r), dz·z(1−z), da_n·r]
 *   ∂L/∂h_{t−1} = dH·W_hh + dh·z     (the second term is carried to step t−1 by the cell)
 *
 * The module whose state_dict loads ours under "<index>." and that fits in nn.Sequential:
 *
 *   class GRU(nn.GRU):
 *       def forward(self, x):
 *           return super().forward(x)[0]
 *   GRU(input_size, hidden_size, num_layers, bias=bias, batch_first=True)
 */
import { sigmoid } from './activations.js';
import type { Cell, CellSteps, StepBuffers } from './recurrent.js';
import { allocFloat32 } from '../../kernels/arena.js';

export const gruCell: Cell = {
  name: 'gru',
  gates: 3,
  separateHiddenGrad: true,
  bind({ steps, slots, hidden, gates, h, hProj, dX, dH }: StepBuffers): CellSteps {
    const width = 3 * hidden;
    /** [T, S, H]: W_hn·h_{t−1} + b_hn, which backward needs for dr. */
    const hiddenN = allocFloat32(steps * slots * hidden);
    /** [S, H]: dh_{t+1}·z_{t+1}, the part of ∂L/∂h_t that skips W_hh. */
    const dhThroughZ = allocFloat32(slots * hidden);
    return {
      forward(t, batch) {
        for (let b = 0; b < batch; b++) {
          const row = (t * slots + b) * width;
          const projected = b * width;
          const previous = (t * slots + b) * hidden;
          const now = previous + slots * hidden;
          for (let j = 0; j < hidden; j++) {
            const r = sigmoid.value(gates[row + j] + hProj[projected + j]);
            const z = sigmoid.value(gates[row + hidden + j] + hProj[projected + hidden + j]);
            const hn = hProj[projected + 2 * hidden + j];
            const n = Math.tanh(gates[row + 2 * hidden + j] + r * hn);
            gates[row + j] = r;
            gates[row + hidden + j] = z;
            gates[row + 2 * hidden + j] = n;
            hiddenN[previous + j] = hn;
            h[now + j] = (1 - z) * n + z * h[previous + j];
          }
        }
      },
      backward(t, batch, dOut, dhRecurrent, carry) {
        for (let b = 0; b < batch; b++) {
          const row = (t * slots + b) * width;
          const previous = (t * slots + b) * hidden;
          const slot = b * hidden;
          for (let j = 0; j < hidden; j++) {
            const r = gates[row + j];
            const z = gates[row + hidden + j];
            const n = gates[row + 2 * hidden + j];
            const dh = dOut[previous + j] + (carry ? dhRecurrent[slot + j] + dhThroughZ[slot + j] : 0);
            const dAn = dh * (1 - z) * (1 - n * n);
            const dAr = dAn * hiddenN[previous + j] * r * (1 - r);
            const dAz = dh * (h[previous + j] - n) * z * (1 - z);
            dX[row + j] = dAr;
            dX[row + hidden + j] = dAz;
            dX[row + 2 * hidden + j] = dAn;
            dH[row + j] = dAr;
            dH[row + hidden + j] = dAz;
            dH[row + 2 * hidden + j] = dAn * r;
            dhThroughZ[slot + j] = dh * z;
          }
        }
      },
    };
  },
};
