/** The report layer: chart builders, rendering, the run report's sections and the self-contained HTML report. */
export * from './charts/common.ts';
export * from './charts/training.ts';
export * from './charts/glucose.ts';
export * from './charts/cvga.ts';
export * from './charts/chemo.ts';
export { methodColors, methodScale, RANGE_COLORS, CVGA_COLORS, TABLEAU20_PAIRS } from './colors.ts';
export { quantileSorted, quantiles, representative } from './stats.ts';
export { compileSpec, renderSvg, renderPng, writeChart, systemFontsAvailable, type WrittenChart } from './render.ts';
export { buildReportHtml, writeReport, writeReportWithCharts, type ReportInput, type ReportSection, type ReportChart, type SummaryTable } from './html.ts';
export { familySections, runReportHeader, runReportSections, type FamilySections, type RunReportData } from './sections/index.ts';
