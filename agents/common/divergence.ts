/**
 * The divergence guard every agent runs: a reward, advantage, loss, gradient or weight that is not
 * a finite float32 stops training with one UserError line naming the likely cause, instead of a run
 * that ends "complete" with NaN weights (or fails later, blaming the env for a NaN action).
 *
 * Float32 is the bound, not float64: rewards are stored, normalised and differentiated in float32
 * (replay buffer, minibatches, tfjs), so a reward such as exp(bg) ~ 1e261, finite in float64,
 * becomes Infinity there.
 *
 * The likely cause: a reward that is itself not finite in float32 names the reward (the custom
 * reward expression or the env's own). A later non-finite quantity names the learning rate, unless
 * the rewards seen so far are large enough that squaring them (the value and TD losses do) overflows
 * float32, in which case it names the reward scale.
 */
import { UserError } from '../../src/core/errors.ts';
import { HYPERPARAMETER_PREFIX } from '../index.ts';

/** Squares of larger numbers overflow float32 (sqrt of 3.4e38). */
const FLOAT32_SQRT_MAX = Math.sqrt(3.4028234663852886e38);

export interface DivergenceGuardOptions {
  /** The configured learning rate, named in the message when updates blow up. */
  learningRate: number;
  /** Where the rewards come from, e.g. `env.reward "exp(bg)"` or `the reward of CartPole-v1`. */
  rewardSource: string;
}

export class DivergenceGuard {
  /** Environment steps seen (one `reward` call each). */
  steps = 0;
  private maxAbsReward = 0;

  constructor(private readonly options: DivergenceGuardOptions) {}

  /** Its counters, for a training checkpoint. */
  getState(): { steps: number; maxAbsReward: number } {
    return { steps: this.steps, maxAbsReward: this.maxAbsReward };
  }

  setState(s: { steps: number; maxAbsReward: number }): void {
    this.steps = s.steps;
    this.maxAbsReward = s.maxAbsReward;
  }

  /** Check one env step's reward as the env (or reward expression) gave it. */
  reward(r: number, env: number): void {
    this.steps++;
    if (!Number.isFinite(Math.fround(r))) {
      throw new UserError(
        `${this.options.rewardSource} gave a reward of ${r} at env step ${this.steps} (env ${env}), ` +
          `${Number.isNaN(r) ? 'not a number' : "beyond float32's range (about 3.4e38), in which training computes"}; rescale or fix the reward`,
      );
    }
    const a = Math.abs(r);
    if (a > this.maxAbsReward) this.maxAbsReward = a;
  }

  /** Check one number (a loss, a gradient norm). */
  value(what: string, x: number): void {
    if (!Number.isFinite(Math.fround(x))) this.diverged(`the ${what} is ${x}`);
  }

  /** Check every number of an array (weights, advantages, returns, log-probabilities). */
  values(what: string, xs: ArrayLike<number>): void {
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] as number;
      if (!Number.isFinite(Math.fround(x))) this.diverged(`${what} ${i} is ${x}`);
    }
  }

  private diverged(detail: string): never {
    const where = `training diverged at env step ${this.steps}: ${detail}`;
    if (this.maxAbsReward > FLOAT32_SQRT_MAX) {
      throw new UserError(`${this.options.rewardSource}: ${where}; rewards as large as ${this.maxAbsReward} overflow float32 once squared in the loss: rescale the reward`);
    }
    throw new UserError(`${HYPERPARAMETER_PREFIX}learningRate: ${where}; the learning rate ${this.options.learningRate} is likely too large: lower it`);
  }
}
