/**
 * Registers the glucose family: the `T1D-v0` environment (t1d-env.ts), its `dosegym simulate`
 * simulator (simulate.ts) and what evaluation needs to know about it (family.ts).
 */
import { register } from '../../src/core/registry.ts';
import { registerSimulator } from '../../src/core/simulators.ts';
import { T1DEnv, T1D_DEFAULTS, T1D_ENV_ID } from './t1d-env.ts';
import { simulateT1DConfig } from './simulate.ts';
import './family.ts';

register(
  T1D_ENV_ID,
  (options) => new T1DEnv(options),
  T1D_DEFAULTS,
  'Type-1 diabetes on the UVA/Padova 2008 model (30 virtual patients, as simglucose): insulin rate in U/h per CGM sample (3 min), 1-day episodes',
  import.meta.url,
);
registerSimulator(T1D_ENV_ID, simulateT1DConfig);
