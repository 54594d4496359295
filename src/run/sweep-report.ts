/**
 * A sweep's report.html (src/run/sweep.ts): the selection, a chart of the selection metric per
 * variant with its 95 % CI (validation, and the selected variant's test score beside it), and the
 * table of every variant and method. Each variant's own report is in variants/<id>/report.html.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Cell } from '../io/csv.ts';
import { writeReportWithCharts } from '../report/html.ts';
import type { Selection, SweepManifest } from './sweep.ts';

const fmt = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x));

export async function writeSweepReport(dir: string, manifest: SweepManifest, rows: Record<string, Cell>[]): Promise<void> {
  const sel = manifest.selection as Selection;
  const { metric, method } = sel;
  const points = rows
    .filter((r) => r['method'] === method)
    .map((r) => ({ variant: String(r['variant']), evaluation: String(r['evaluation']), mean: r[metric] ?? null, low: r[`${metric}_ci95_low`] ?? null, high: r[`${metric}_ci95_high`] ?? null }));
  const y = { field: 'mean', type: 'quantitative', title: `${metric} of ${method} (mean, 95 % CI)`, scale: { zero: false } } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: Math.max(240, 40 * manifest.variants.length),
    height: 240,
    data: { values: points },
    encoding: {
      x: { field: 'variant', type: 'nominal', sort: manifest.variants.map((v) => v.id), title: 'variant' },
      xOffset: { field: 'evaluation', sort: ['validation', 'test'] },
      color: { field: 'evaluation', type: 'nominal', sort: ['validation', 'test'], scale: { range: ['#4c78a8', '#e45756'] }, title: 'evaluation seed' },
    },
    layer: [
      { mark: { type: 'rule' }, encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
      { mark: { type: 'point', filled: true, size: 60 }, encoding: { y, tooltip: [{ field: 'variant' }, { field: 'evaluation' }, { field: 'mean', format: '.4g' }, { field: 'low', format: '.4g' }, { field: 'high', format: '.4g' }] } },
    ],
  };
  const legend = manifest.variants.map((v) => `${v.id}: ${v.overrides.join(', ')}`).join('; ');
  const table = {
    columns: ['variant', ...manifest.fields, 'method', 'evaluation', 'evaluate_seed', 'episodes', metric, `${metric} 95 % CI`],
    rows: rows.map((r) => [
      String(r['variant']) + (r['selected'] === 1 ? ' (selected)' : ''),
      ...manifest.fields.map((f) => (r[f] as string | number | null | undefined) ?? ''),
      r['method'] as string,
      r['evaluation'] as string,
      r['evaluate_seed'] as number,
      r['episodes'] as number,
      typeof r[metric] === 'number' ? fmt(r[metric] as number) : '',
      typeof r[`${metric}_ci95_low`] === 'number' ? `[${fmt(r[`${metric}_ci95_low`] as number)}, ${fmt(r[`${metric}_ci95_high`] as number)}]` : '',
    ]),
  };
  const test = sel.test === null ? 'not evaluated' : `${fmt(sel.test.mean)} [${fmt(sel.test.ci95.low)}, ${fmt(sel.test.ci95.high)}]`;
  await writeReportWithCharts(dir, {
    title: `Sweep ${manifest.name}`,
    subtitle: `${manifest.variants.length} variants of ${manifest.base}. Selected ${sel.variant} (${sel.goal} ${metric} of ${method}) on validation seed ${sel.validationSeed}: ${fmt(sel.validation.mean)} [${fmt(sel.validation.ci95.low)}, ${fmt(sel.validation.ci95.high)}]; on the separate test seed ${sel.testSeed}: ${test}.`,
    summaryTable: table,
    sections: [
      {
        heading: 'Variants compared',
        text: `Variants: ${legend}. Each variant's full report is variants/<id>/report.html; the selected variant on the test seed is test/report.html.`,
        charts: [
          {
            name: 'sweep-selection',
            spec,
            caption: `${metric} of ${method} per variant on the validation episodes (evaluation seed ${sel.validationSeed}), with its 95 % clustered-bootstrap CI; the selected variant ${sel.variant} also on the test episodes (seed ${sel.testSeed}). The validation score of the selected variant is biased upwards by the selection; the test score is not.`,
          },
        ],
      },
    ],
    manifest,
  });
}
