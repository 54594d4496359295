/**
 * The T1D policy explanation: every learned policy's insulin rate over CGM level x trend beside PID
 * and basal-bolus (`policy-map`), the occlusion attribution of the learned doses over the trace's
 * day (`policy-attribution`), and the distilled rules (`policy-rules`, sections/explain.ts). What a
 * T1D-v0 observation and action mean is the glucose family's policy probe's
 * (envs/glucose/policy-probe.ts).
 */
import { commandedUnitsPerHour, type ActionMeaning } from '../../../envs/glucose/action-modes.ts';
import { basalBolusUnitsPerMin, glucosePolicyProbe, pidUnitsPerMinAtZeroIntegral, PROBE_GRID, type GlucoseProbe } from '../../../envs/glucose/policy-probe.ts';
import type { Info } from '../../core/env.ts';
import { policyAttribution, policyMap, type PolicyMapCell } from '../charts/explain.ts';
import type { ReportChart } from '../html.ts';
import { observationMean, occlusion, policyRulesChart, sampledPolicies, type ExplainProbe } from './explain.ts';
import { policiesFor, type RunReportData } from './run-data.ts';

/** The meal the basal-bolus map is drawn at (g, announced for the coming step). */
export const MAP_MEAL_GRAMS = 50;

/** The probe of the run's first evaluated patient (the policy map's patient). */
export function runProbe(data: RunReportData): GlucoseProbe {
  const patient = data.family.patients(data.config.env.options)[0] ?? 'adolescent#001';
  return glucosePolicyProbe(data.config.env.options, patient);
}

const half = (values: readonly number[]) => (values.length > 1 ? ((values[1] as number) - (values[0] as number)) / 2 : 1);

/**
 * The `policy-map` chart: every learned policy (one panel per training seed; with one policy per
 * patient, the probed patient's), then PID and basal-bolus.
 */
export function glucosePolicyMap(data: RunReportData, probe: GlucoseProbe): ReportChart | undefined {
  const policies = policiesFor(data, probe.patient);
  if (policies.length === 0) return undefined;
  const perPatient = policies.some((p) => p.patient !== null);
  const cells: PolicyMapCell[] = [];
  const dx = half(PROBE_GRID.cgmMgDl);
  const dy = half(PROBE_GRID.trendMgDlPerMin);
  const basalH = probe.clinic.basalUPerMin * 60;
  const grid = PROBE_GRID.cgmMgDl.flatMap((cgm) => PROBE_GRID.trendMgDlPerMin.map((trend) => ({ cgmMgDl: cgm, trendMgDlPerMin: trend })));
  const shieldedToo = new Set(data.methods.filter((m) => m.shielded).map((m) => m.name.replace(/\+shield$/, '')));
  for (const { method, seed, policy } of policies) {
    const panel = `${method} (seed ${seed})${shieldedToo.has(method) ? ', also +shield' : ''}`;
    for (const point of grid) {
      const rate = probe.unitsPerHour(policy.act(probe.observe(point), { deterministic: true, info: {} }), point);
      cells.push({ panel, method, x: point.cgmMgDl, y: point.trendMgDlPerMin, dx, dy, value: rate, note: `${(rate / basalH).toFixed(2)} x basal` });
    }
  }
  const baselines = data.methods.filter((m) => !m.trained && !m.shielded && (m.type === 'pid' || m.type === 'basal-bolus'));
  for (const m of baselines) {
    const panel = m.type === 'pid' ? `${m.name} (integral at zero)` : `${m.name} (at a ${MAP_MEAL_GRAMS} g meal)`;
    for (const point of grid) {
      const uPerMin = m.type === 'pid' ? pidUnitsPerMinAtZeroIntegral(point.cgmMgDl, point.trendMgDlPerMin, probe.clinic, m.params) : basalBolusUnitsPerMin(point.cgmMgDl, MAP_MEAL_GRAMS, probe.layout.sampleTimeMin, probe.clinic, m.params);
      cells.push({ panel, method: m.name, x: point.cgmMgDl, y: point.trendMgDlPerMin, dx, dy, value: 60 * uPerMin, note: `${((60 * uPerMin) / basalH).toFixed(2)} x basal` });
    }
  }
  const learned = [...new Set(policies.map((p) => p.method))];
  const seedsOf = (m: string) => policies.filter((p) => p.method === m).length;
  const flat = data.methods.filter((m) => !m.trained && !m.shielded && (m.type === 'basal' || m.type === 'constant')).map((m) => m.name);
  const subtitle = [
    `Insulin rate (U/h) each policy asks for at a CGM level (x) and trend (y), for ${probe.heldFixed}`,
    `Colour: blue below the basal rate (${basalH.toFixed(2)} U/h), white at basal, orange above (symmetric-log scale); dashed lines at 70 and 180 mg/dL.` +
      (baselines.some((m) => m.type === 'pid') ? ' PID with its integral state at zero (no accumulated error).' : '') +
      (baselines.some((m) => m.type === 'basal-bolus') ? ` Basal-bolus at a ${MAP_MEAL_GRAMS} g meal announced for the coming step (away from meals it is flat basal).` : ''),
  ];
  const caption =
    `Where each policy is more or less aggressive than the others: ${learned.map((m) => `${m} (${seedsOf(m)} seed${seedsOf(m) === 1 ? '' : 's'}, one panel each)`).join(', ')}` +
    `${baselines.length > 0 ? ` beside ${baselines.map((m) => m.name).join(' and ')}` : ''}, on ${probe.patient}. ` +
    (perPatient ? `Each patient has its own policy (train.perPatient): the panels are ${probe.patient}'s. ` : '') +
    `Everything but CGM and trend is held at stated typical values (insulin on board at basal, ${probe.layout.mealAnnouncementMin !== null ? 'no meal announced, ' : ''}noon), so the map shows how each policy reacts to glucose alone; a learned policy's dose also depends on what it holds fixed here.` +
    (flat.length > 0 ? ` Not drawn: ${flat.join(', ')} (the same rate everywhere).` : '');
  return {
    name: 'policy-map',
    spec: policyMap(cells, { colors: data.colors, title: 'Policy maps: insulin rate over CGM level and trend', subtitle, xTitle: 'CGM (mg/dL)', yTitle: 'CGM trend (mg/dL/min)', valueTitle: 'Insulin (U/h)', color: { kind: 'diverging', mid: basalH }, xRules: [70, 180] }),
    caption,
  };
}

/** The probe's view for the distilled rules. */
export function glucoseExplainProbe(probe: GlucoseProbe): ExplainProbe {
  return { features: probe.features, describeAction: probe.describeAction, actionUnit: probe.mode === 'continuous' ? 'U/h' : probe.mode === 'discrete' ? 'levels' : '' };
}

/**
 * The `policy-attribution` chart: for each learned method, the day of the glucose trace (its first
 * patient, episode 0, first training seed) replayed, and at each decision the effect of each input
 * group on the commanded rate (U/h), by occlusion with the group's mean over the policy's sampled
 * evaluation states. Undefined without a state sample or a learned policy.
 */
export function glucoseAttribution(data: RunReportData, probe: GlucoseProbe, day: { patient: string | null; hours: [number, number]; traceShown: boolean }): ReportChart | undefined {
  // With one policy per patient, the day's patient's own policies (the ones that drove that day).
  const sampled = sampledPolicies(data, day.patient);
  const firstSeed = new Map<string, (typeof sampled)[number]>();
  for (const s of sampled) if (!firstSeed.has(s.policy.method)) firstSeed.set(s.policy.method, s);
  if (firstSeed.size === 0) return undefined;
  const rows = [...firstSeed.values()].flatMap(({ policy, states }) => {
    const replay = data.replay(policy.method, policy.seed, day.patient, 0);
    const hours = replay.infos.map((i) => (i['minute'] as number) / 60);
    return occlusion(policy.method, policy.policy, { observations: replay.observations, infos: replay.infos, hours }, probe.inputGroups, observationMean(states), (action, info: Info) => commandedUnitsPerHour(action as Float32Array | number, info as unknown as ActionMeaning));
  });
  const groups = probe.inputGroups.map((g) => g.name);
  const methods = [...firstSeed.keys()];
  return {
    name: 'policy-attribution',
    spec: policyAttribution(rows, {
      colors: data.colors,
      groups,
      doseTitle: 'U/h',
      hours: day.hours,
      subtitle: [
        `Evaluation day 0${day.patient !== null ? ` of ${day.patient}` : ''} (the glucose trace's day) replayed with each learned policy (${methods.map((m) => `${m} seed ${firstSeed.get(m)?.policy.seed}${firstSeed.get(m)?.policy.patient != null ? `, ${day.patient}'s own policy` : ''}`).join(', ')}). At every decision: the commanded rate minus the rate with one input group set to its mean over the policy's evaluation states.`,
        'Above 0: that input raised the dose at that time; below 0: it lowered it; near 0: the policy ignored it.',
      ],
    }),
    caption:
      `Which inputs moved each learned policy's dose over ${day.traceShown ? 'the day shown in the glucose trace above' : `evaluation day 0${day.patient !== null ? ` of ${day.patient}` : ''} (no glucose trace: this run kept no trajectories)`} (occlusion: each input group in turn replaced by its average over the evaluation states; the groups here: ${groups.join(', ')}). ` +
      'Effects of groups do not add up to the dose: a policy is not linear, and a group can matter only together with another.',
  };
}

/** The Policy explanation section's charts (map, rules); the attribution goes under the trace. */
export function glucosePolicyCharts(data: RunReportData, probe: GlucoseProbe): ReportChart[] {
  const map = glucosePolicyMap(data, probe);
  const rules = policyRulesChart(data, glucoseExplainProbe(probe), probe.patient);
  return [...(map !== undefined ? [map] : []), ...(rules !== undefined ? [rules.chart] : [])];
}
