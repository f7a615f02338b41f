/**
 * LSTM (torch.nn.LSTM, batch_first=True, zero initial h and c): x [T, I] → y [T, H] per sample,
 * the last layer's h_t at every step (torch's output[0]; the final (h, c) are not returned).
 * Options, parameters and the stack through time: recurrent.ts. The cell, with torch's gate
 * order i, f, g, o in the G·H rows of the weights:
 *
 *   a = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh           [4H]
 *   i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)
 *   c_t = f·c_{t−1} + i·g,   h_t = o·tanh(c_t)
 *
 * backward, with dh = ∂L/∂h_t and dc carried from step t+1 (dc ← f·dc):
 *   do = dh·tanh(c_t),   dc += dh·o·(1 − tanh²(c_t))
 *   di = dc·g,  df = dc·c_{t−1},  dg = dc·i
 *   da = [di·i(1−i), df·f(1−f), dg·(1−g²), do·o(1−o)]   (dX = dH = da)
 *
 * torch's nn.LSTM returns (output, (h_n, c_n)); the module whose state_dict loads ours under
 * "<index>." and that fits in nn.Sequential is the subclass that keeps the output:
 *
 *   class LSTM(nn.LSTM):
 *       def forward(self, x):
 *           return super().forward(x)[0]
 *   LSTM(input_size, hidden_size, num_layers, bias=bias, batch_first=True)
 */
import { sigmoid } from './activations.js';
import type { Cell, CellSteps, StepBuffers } from './recurrent.js';
import { allocFloat32 } from '../../kernels/arena.js';

export const lstmCell: Cell = {
  name: 'lstm',
  gates: 4,
  separateHiddenGrad: false,
  bind({ steps, slots, hidden, gates, h, hProj, dX }: StepBuffers): CellSteps {
    const width = 4 * hidden;
    /** [T + 1, S, H]: c_t at block t + 1, block 0 zeros. */
    const c = allocFloat32((steps + 1) * slots * hidden);
    /** [S, H]: ∂L/∂c_t carried back from step t + 1. */
    const dc = allocFloat32(slots * hidden);
    return {
      forward(t, batch) {
        for (let b = 0; b < batch; b++) {
          const row = (t * slots + b) * width;
          const projected = b * width;
          const previous = (t * slots + b) * hidden;
          const now = previous + slots * hidden;
          for (let j = 0; j < hidden; j++) {
            const i = sigmoid.value(gates[row + j] + hProj[projected + j]);
            const f = sigmoid.value(gates[row + hidden + j] + hProj[projected + hidden + j]);
            const g = Math.tanh(gates[row + 2 * hidden + j] + hProj[projected + 2 * hidden + j]);
            const o = sigmoid.value(gates[row + 3 * hidden + j] + hProj[projected + 3 * hidden + j]);
            gates[row + j] = i;
            gates[row + hidden + j] = f;
            gates[row + 2 * hidden + j] = g;
            gates[row + 3 * hidden + j] = o;
            c[now + j] = f * c[previous + j] + i * g;
            h[now + j] = o * Math.tanh(c[now + j]);
          }
        }
      },
      backward(t, batch, dOut, dhRecurrent, carry) {
        for (let b = 0; b < batch; b++) {
          const row = (t * slots + b) * width;
          const previous = (t * slots + b) * hidden;
          const now = previous + slots * hidden;
          const slot = b * hidden;
          for (let j = 0; j < hidden; j++) {
            const i = gates[row + j];
            const f = gates[row + hidden + j];
            const g = gates[row + 2 * hidden + j];
            const o = gates[row + 3 * hidden + j];
            const tanhC = Math.tanh(c[now + j]);
            const dh = dOut[previous + j] + (carry ? dhRecurrent[slot + j] : 0);
            const dcNow = (carry ? dc[slot + j] : 0) + dh * o * (1 - tanhC * tanhC);
            dX[row + j] = dcNow * g * i * (1 - i);
            dX[row + hidden + j] = dcNow * c[previous + j] * f * (1 - f);
            dX[row + 2 * hidden + j] = dcNow * i * (1 - g * g);
            dX[row + 3 * hidden + j] = dh * tanhC * o * (1 - o);
            dc[slot + j] = dcNow * f;
          }
        }
      },
    };
  },
};
