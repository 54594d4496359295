/**
 * Registers the chemotherapy environments, their `dosegym simulate` support (simulate.ts) and
 * what evaluation needs to know about them (family.ts):
 * - Chemo-DePillis-v0: de Pillis & Radunskaya (2003) tumour-immune ODE, DTR-Bench settings 1..5.
 * - Chemo-Zhao2009-v0: Zhao, Kosorok & Zeng (2009) six-month clinical-trial model.
 */
import { register } from '../../src/core/registry.ts';
import { DEPILLIS_DEFAULTS, DEPILLIS_ENV_ID, DePillisEnv } from './depillis-env.ts';
import { ZHAO_DEFAULTS, ZHAO_ENV_ID, ZhaoEnv } from './zhao-env.ts';
import './simulate.ts';
import './family.ts';

register(
  DEPILLIS_ENV_ID,
  (options) => new DePillisEnv(options),
  DEPILLIS_DEFAULTS,
  'Chemotherapy on the de Pillis-Radunskaya tumour-immune model: dose in [0,1] every 0.25 day for 150 days; DTR-Bench settings 1..5',
  import.meta.url,
);
register(
  ZHAO_ENV_ID,
  (options) => new ZhaoEnv(options),
  ZHAO_DEFAULTS,
  'Chemotherapy trial model of Zhao, Kosorok & Zeng 2009: six monthly doses on toxicity W and tumour size M, with survival',
  import.meta.url,
);
