/**
 * The Safety section's cost chart says what its bars are: the mean summed cost, or with
 * safety.constraints.chance the share of episodes over budget (info.cost is then the indicator).
 */
import test from 'ava';
import { safetySection } from '../src/report/sections/safety.ts';
import type { RunReportData } from '../src/report/sections/run-data.ts';

function data(constraints: Record<string, unknown>, costLimit: number): RunReportData {
  return {
    config: { train: { algo: 'ppo-lagrangian' }, safety: { constraints } },
    summary: { rows: [{ method: 'ppo-lagrangian', seed: '1', mean_cost: '0.3' }, { method: 'mtd', seed: '', mean_cost: '0.68' }] },
    colors: {},
    training: [],
    costLimit,
  } as unknown as RunReportData;
}

/** The chart's subtitle as one line (the chart helpers wrap it into lines). */
function subtitle(spec: unknown): string {
  const sub = (spec as { title?: { subtitle?: string | string[] } }).title?.subtitle;
  return Array.isArray(sub) ? sub.join(' ') : String(sub);
}

test('the cost chart reads as the share of episodes over budget under a chance, as the mean cost otherwise', (t) => {
  const plain = safetySection(data({ names: ['drugToxicity'] }, 1), {} as never)?.charts[0];
  const chance = safetySection(data({ names: ['drugToxicity'], chance: 0.05 }, 0.05), {} as never)?.charts[0];
  t.is(plain?.name, 'safety-cost');
  t.regex(String(plain?.caption), /^Average constraint cost of an evaluation episode per method; lower is safer\. Bars above the dashed budget line break the constraint on average\./);
  t.regex(subtitle(plain?.spec), /Mean summed info\.cost per evaluation episode; dashed line: the training budget\./);
  t.regex(String(chance?.caption), /^Share of each method's evaluation episodes that ended over budget; lower is safer\. Bars above the dashed line exceed the share allowed in training\./);
  t.regex(subtitle(chance?.spec), /Share of evaluation episodes over budget \(info\.cost is the over-budget indicator, safety\.constraints\.chance 0\.05\); dashed line: the training budget\./);
});
