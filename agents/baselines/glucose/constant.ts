/** Constant insulin rate (open loop): `unitsPerHour` on the pump's basal channel. */
import type { Info } from '../../../src/core/env.ts';
import type { Policy } from '../../../src/core/policy.ts';
import { baselineInfo, envAction, type InsulinRates, type MinuteController } from './common.ts';

export class ConstantController implements MinuteController {
  readonly name = 'constant';
  private readonly rates: InsulinRates;

  constructor(unitsPerHour: number) {
    if (!(unitsPerHour >= 0) || !Number.isFinite(unitsPerHour)) throw new RangeError(`constant: unitsPerHour must be a finite number >= 0, got ${unitsPerHour}`);
    this.rates = Object.freeze({ basalUPerMin: unitsPerHour / 60, bolusUPerMin: 0 });
  }

  reset(): void {}

  insulin(): InsulinRates {
    return this.rates;
  }
}

/** Constant rate in the env; `unitsPerHour: 'basal'` uses each episode's patient basal rate. */
export class ConstantPolicy implements Policy<unknown, Float32Array | number> {
  readonly name: string;

  constructor(private readonly unitsPerHour: number | 'basal') {
    this.name = unitsPerHour === 'basal' ? 'basal' : 'constant';
  }

  act(_observation: unknown, context: { deterministic: boolean; info: Info }): Float32Array | number {
    const b = baselineInfo(context.info);
    const uPerMin = this.unitsPerHour === 'basal' ? b.patientBasalUPerMin : this.unitsPerHour / 60;
    return envAction(uPerMin, b);
  }
}
