/** The optimizers whose trajectories and frozen-group cases live in loop_optimizers.json (loop-optimizers.test.ts), not in optim.json or param_groups.json. */
export const LOOP_OPTIMIZERS: readonly string[] = ['rprop', 'lbfgs', 'asgd', 'schedule_free_sgd', 'schedule_free_adamw'];
