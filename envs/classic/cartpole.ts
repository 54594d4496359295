/**
 * CartPole-v1: a pole hinged on a cart that moves along a frictionless track; push the cart left or
 * right to keep the pole upright.
 *
 * Model: Barto, Sutton & Anderson (1983), "Neuronlike adaptive elements that can solve difficult
 * learning control problems", IEEE Trans. SMC 13(5):834-846, with the equations of motion as
 * implemented in Gymnasium's `CartPoleEnv` (classic_control/cartpole.py, v1): frictionless
 * dynamics, explicit Euler integration with tau = 0.02 s, reward +1 for every step including the
 * terminating one, termination when |x| > 2.4 m or |theta| > 12 degrees, truncation at 500 steps.
 *
 * The state is kept in float64 (as Gymnasium's numpy float64 state); observations are float32.
 * Units: x in m, x_dot in m/s, theta in rad (0 = upright), theta_dot in rad/s, force in N.
 */
import { z } from 'zod';
import { BaseEnv, type EnvMetadata, type ResetResult, type StepResult } from '../../src/core/env.ts';
import { UserError } from '../../src/core/errors.ts';
import type { Rng } from '../../src/core/rng.ts';
import { Box, Discrete } from '../../src/core/spaces.ts';
import { parseWithSchema } from '../../src/core/validate.ts';

export const CARTPOLE = {
  gravity: 9.8, // m/s^2
  massCart: 1.0, // kg
  massPole: 0.1, // kg
  totalMass: 1.1, // kg
  length: 0.5, // m, half the pole's length
  poleMassLength: 0.05, // kg m (massPole * length)
  forceMag: 10.0, // N
  tau: 0.02, // s between state updates
  thetaThreshold: (12 * 2 * Math.PI) / 360, // rad (12 degrees)
  xThreshold: 2.4, // m
} as const;

const FLOAT32_MAX = 3.4028234663852886e38;

export const cartPoleDefaults = { maxEpisodeSteps: 500 };

const optionsSchema = z.strictObject({
  maxEpisodeSteps: z.number().int().positive({ error: 'must be a positive integer' }),
});

export type CartPoleOptions = z.infer<typeof optionsSchema>;

export class CartPoleEnv extends BaseEnv<Float32Array, number> {
  readonly observationSpace = new Box(
    [-CARTPOLE.xThreshold * 2, -FLOAT32_MAX, -CARTPOLE.thetaThreshold * 2, -FLOAT32_MAX],
    [CARTPOLE.xThreshold * 2, FLOAT32_MAX, CARTPOLE.thetaThreshold * 2, FLOAT32_MAX],
  );
  readonly actionSpace = new Discrete(2);
  readonly metadata: EnvMetadata;
  readonly maxEpisodeSteps: number;
  /** [x (m), x_dot (m/s), theta (rad), theta_dot (rad/s)] in float64. */
  private state = new Float64Array(4);
  private steps = 0;

  constructor(options: Partial<CartPoleOptions> = {}) {
    super();
    const opts = parseWithSchema(optionsSchema, { ...cartPoleDefaults, ...options }, 'CartPole-v1: ');
    this.maxEpisodeSteps = opts.maxEpisodeSteps;
    this.metadata = {
      id: 'CartPole-v1',
      stepDuration: { value: CARTPOLE.tau, unit: 'second' },
      actionUnits: 'push direction: 0 = left, 1 = right (10 N)',
      observationLabels: ['cart position (m)', 'cart velocity (m/s)', 'pole angle (rad)', 'pole angular velocity (rad/s)'],
      maxEpisodeSteps: this.maxEpisodeSteps,
    };
  }

  /** A copy of the float64 physical state [x, x_dot, theta, theta_dot]. */
  getState(): Float64Array {
    return this.state.slice();
  }

  /**
   * Reset options: `{ state: [x, x_dot, theta, theta_dot] }` starts from that exact state (tests,
   * demos); otherwise each component is drawn uniformly from [-0.05, 0.05) as in Gymnasium.
   */
  protected resetModel(rng: Rng, options: Record<string, unknown>): ResetResult<Float32Array> {
    const given = readStateOption(options, 4, 'CartPole-v1');
    for (let i = 0; i < 4; i++) this.state[i] = given ? (given[i] as number) : rng.uniformRange(-0.05, 0.05);
    this.steps = 0;
    return { observation: Float32Array.from(this.state), info: {} };
  }

  protected stepModel(action: number): StepResult<Float32Array> {
    const c = CARTPOLE;
    const [x, xDot, theta, thetaDot] = this.state as unknown as [number, number, number, number];
    const force = action === 1 ? c.forceMag : -c.forceMag;
    const cosTheta = Math.cos(theta);
    const sinTheta = Math.sin(theta);
    // Equations of motion (Barto et al. 1983, frictionless), solved for the accelerations.
    const temp = (force + c.poleMassLength * thetaDot * thetaDot * sinTheta) / c.totalMass;
    const thetaAcc = (c.gravity * sinTheta - cosTheta * temp) / (c.length * (4.0 / 3.0 - (c.massPole * cosTheta * cosTheta) / c.totalMass));
    const xAcc = temp - (c.poleMassLength * thetaAcc * cosTheta) / c.totalMass;
    // Explicit Euler: positions move with the OLD velocities.
    this.state[0] = x + c.tau * xDot;
    this.state[1] = xDot + c.tau * xAcc;
    this.state[2] = theta + c.tau * thetaDot;
    this.state[3] = thetaDot + c.tau * thetaAcc;
    this.steps++;
    const nx = this.state[0] as number;
    const nth = this.state[2] as number;
    const terminated = nx < -c.xThreshold || nx > c.xThreshold || nth < -c.thetaThreshold || nth > c.thetaThreshold;
    return {
      observation: Float32Array.from(this.state),
      reward: 1.0, // also on the terminating step, as Gymnasium's default reward
      terminated,
      truncated: this.steps >= this.maxEpisodeSteps,
      info: {},
    };
  }
}

/** Read an optional `state` reset option of `n` finite numbers. */
export function readStateOption(options: Record<string, unknown>, n: number, envId: string): number[] | undefined {
  const s = options['state'];
  if (s === undefined) return undefined;
  const arr = Array.isArray(s) ? s : ArrayBuffer.isView(s) ? Array.from(s as unknown as ArrayLike<number>) : undefined;
  if (arr === undefined || arr.length !== n || arr.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new UserError(`${envId}: reset option 'state' must be ${n} finite numbers, got ${JSON.stringify(s)}`);
  }
  return arr as number[];
}
