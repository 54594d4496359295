/** The report layer: chart builders, rendering and the self-contained HTML report. */
export * from './charts.ts';
export { methodColors, methodScale, RANGE_COLORS, CVGA_COLORS, TABLEAU10 } from './colors.ts';
export { quantileSorted, quantiles, representative } from './stats.ts';
export { compileSpec, renderSvg, renderPng, writeChart, systemFontsAvailable, type WrittenChart } from './render.ts';
export { buildReportHtml, writeReport, writeReportWithCharts, type ReportInput, type ReportSection, type ReportChart, type SummaryTable } from './html.ts';
export { CAPTIONS } from './sample.ts';
