/**
 * Pendulum-v1: swing a frictionless pendulum up and hold it upright with a bounded torque.
 *
 * Model: the inverted pendulum swing-up problem as implemented in Gymnasium's `PendulumEnv`
 * (classic_control/pendulum.py, v1): g = 10 m/s^2, m = 1 kg, l = 1 m, dt = 0.05 s, max speed
 * 8 rad/s, max torque 2 N m, semi-implicit Euler (the angle moves with the NEW angular velocity),
 * cost = angle_normalize(theta)^2 + 0.1 thetadot^2 + 0.001 u^2 computed on the state BEFORE the
 * step, reward = -cost, never terminates, truncation at 200 steps.
 *
 * Units: theta in rad (0 = upright), thetadot in rad/s, torque u in N m.
 */
import { z } from 'zod';
import { BaseEnv, type EnvMetadata, type ResetResult, type StepResult } from '../../src/core/env.ts';
import type { Rng } from '../../src/core/rng.ts';
import { Box } from '../../src/core/spaces.ts';
import { parseWithSchema } from '../../src/core/validate.ts';
import { readStateOption } from './cartpole.ts';

export const PENDULUM = {
  maxSpeed: 8, // rad/s
  maxTorque: 2.0, // N m
  dt: 0.05, // s
  g: 10.0, // m/s^2
  m: 1.0, // kg
  l: 1.0, // m
} as const;

export const pendulumDefaults = { maxEpisodeSteps: 200 };

const optionsSchema = z.strictObject({
  maxEpisodeSteps: z.number().int().positive({ error: 'must be a positive integer' }),
});

export type PendulumOptions = z.infer<typeof optionsSchema>;

/** Wrap an angle into [-pi, pi) (Python's modulo semantics: the result has the divisor's sign). */
export function angleNormalize(x: number): number {
  const twoPi = 2 * Math.PI;
  return ((((x + Math.PI) % twoPi) + twoPi) % twoPi) - Math.PI;
}

export class PendulumEnv extends BaseEnv<Float32Array, Float32Array | Float64Array> {
  readonly observationSpace = new Box([-1, -1, -PENDULUM.maxSpeed], [1, 1, PENDULUM.maxSpeed]);
  readonly actionSpace = new Box(-PENDULUM.maxTorque, PENDULUM.maxTorque, [1]);
  readonly metadata: EnvMetadata;
  readonly maxEpisodeSteps: number;
  /** [theta (rad), thetadot (rad/s)] in float64. */
  private state = new Float64Array(2);
  private steps = 0;

  constructor(options: Partial<PendulumOptions> = {}) {
    super();
    const opts = parseWithSchema(optionsSchema, { ...pendulumDefaults, ...options }, 'Pendulum-v1: ');
    this.maxEpisodeSteps = opts.maxEpisodeSteps;
    this.metadata = {
      id: 'Pendulum-v1',
      stepDuration: { value: PENDULUM.dt, unit: 'second' },
      actionUnits: 'torque (N m)',
      observationLabels: ['cos(theta)', 'sin(theta)', 'angular velocity (rad/s)'],
      maxEpisodeSteps: this.maxEpisodeSteps,
    };
  }

  /** A copy of the float64 physical state [theta, thetadot]. */
  getState(): Float64Array {
    return this.state.slice();
  }

  /**
   * Reset options: `{ state: [theta, thetadot] }` starts from that exact state; otherwise
   * theta ~ U(-pi, pi) and thetadot ~ U(-1, 1) as in Gymnasium.
   */
  protected resetModel(rng: Rng, options: Record<string, unknown>): ResetResult<Float32Array> {
    const given = readStateOption(options, 2, 'Pendulum-v1');
    this.state[0] = given ? (given[0] as number) : rng.uniformRange(-Math.PI, Math.PI);
    this.state[1] = given ? (given[1] as number) : rng.uniformRange(-1, 1);
    this.steps = 0;
    return { observation: this.observe(), info: {} };
  }

  protected stepModel(action: Float32Array | Float64Array): StepResult<Float32Array> {
    const { maxSpeed, maxTorque, dt, g, m, l } = PENDULUM;
    const th = this.state[0] as number;
    const thdot = this.state[1] as number;
    const u = Math.min(maxTorque, Math.max(-maxTorque, action[0] as number));
    const cost = angleNormalize(th) ** 2 + 0.1 * thdot ** 2 + 0.001 * u ** 2;
    let newThdot = thdot + ((3 * g) / (2 * l) * Math.sin(th) + (3.0 / (m * l * l)) * u) * dt;
    newThdot = Math.min(maxSpeed, Math.max(-maxSpeed, newThdot));
    this.state[0] = th + newThdot * dt;
    this.state[1] = newThdot;
    this.steps++;
    return { observation: this.observe(), reward: -cost, terminated: false, truncated: this.steps >= this.maxEpisodeSteps, info: {} };
  }

  private observe(): Float32Array {
    const th = this.state[0] as number;
    return Float32Array.of(Math.cos(th), Math.sin(th), this.state[1] as number);
  }
}
