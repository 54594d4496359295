/** Small helpers for CLI output: aligned tables and metric lists. */

export function formatNumber(value: number | string): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? value.toExponential(3) : value.toFixed(abs < 1 ? 4 : 2);
}

/** A plain-text table with columns padded to their widest cell. */
export function formatTable(columns: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [columns.map(String), ...rows.map((r) => r.map(formatNumber))];
  const widths = columns.map((_, j) => Math.max(...cells.map((r) => (r[j] ?? '').length)));
  return cells.map((r) => r.map((c, j) => c.padEnd(widths[j] ?? 0)).join('  ').trimEnd()).join('\n');
}
