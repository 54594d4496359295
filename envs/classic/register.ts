/**
 * Registers the classic-control sanity environments (the agents' proving ground) and their
 * family (family.ts). `defaults` lists every option each env accepts.
 */
import { register } from '../../src/core/registry.ts';
import { CartPoleEnv, cartPoleDefaults, type CartPoleOptions } from './cartpole.ts';
import { PendulumEnv, pendulumDefaults, type PendulumOptions } from './pendulum.ts';
import './family.ts';

register(
  'CartPole-v1',
  (options) => new CartPoleEnv(options as Partial<CartPoleOptions>),
  cartPoleDefaults,
  'Classic cart-pole balancing (Barto, Sutton & Anderson 1983; Gymnasium CartPole-v1), Discrete(2), 500 steps',
  import.meta.url,
);
register(
  'Pendulum-v1',
  (options) => new PendulumEnv(options as Partial<PendulumOptions>),
  pendulumDefaults,
  'Pendulum swing-up (Gymnasium Pendulum-v1), torque Box(-2, 2), 200 steps',
  import.meta.url,
);
