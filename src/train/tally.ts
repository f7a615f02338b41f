/**
 * The training side of an evaluation: loss and accuracy over the steps since the last evaluation,
 * the train_loss and train_accuracy of the next epochs.csv row (a running mean over samples, as a
 * PyTorch loop that sums `loss.item() * batch` does).
 */
export class TrainTally {
  private lossSum = 0;
  private seen = 0;
  private correct = 0;

  add(loss: number, count: number, correct: number): void {
    this.lossSum += loss * count;
    this.seen += count;
    this.correct += correct;
  }

  get loss(): number {
    return this.lossSum / this.seen;
  }

  get accuracy(): number {
    return this.correct / this.seen;
  }

  /** The running sums, for a checkpoint (exact: JSON keeps a double's every bit). */
  snapshot(): { loss_sum: number; seen: number; correct: number } {
    return { loss_sum: this.lossSum, seen: this.seen, correct: this.correct };
  }

  restore(s: { readonly loss_sum: number; readonly seen: number; readonly correct: number }): void {
    this.lossSum = s.loss_sum;
    this.seen = s.seen;
    this.correct = s.correct;
  }

  reset(): void {
    this.lossSum = 0;
    this.seen = 0;
    this.correct = 0;
  }
}
