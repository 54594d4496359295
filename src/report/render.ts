/**
 * Chart rendering in Node: Vega-Lite spec -> Vega -> SVG (vega's headless 'none' renderer, no
 * canvas package needed) -> PNG (@resvg/resvg-js, a prebuilt Rust binary, offline).
 *
 * Fonts: resvg draws text only with fonts it can find. We load the system fonts and fall back to
 * DejaVu Sans (Debian's default). On a machine without any font files, PNGs still render but
 * without text; `renderPng` warns once in that case (SVG and the HTML report are unaffected,
 * browsers bring their own fonts).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../io/atomic.ts';

export interface CompileResult {
  vega: vega.Spec;
  /** vega-lite warnings (a correct chart has none; the tests require zero). */
  warnings: string[];
}

/** Compiles a Vega-Lite spec to Vega, collecting warnings instead of printing them. */
export function compileSpec(spec: TopLevelSpec): CompileResult {
  const warnings: string[] = [];
  // vega's own logger at Warn level, with a handler that records instead of printing.
  const logger = vega.logger(vega.Warn, 'warn', (method, _level, args) => {
    const text = args.map(String).join(' ');
    if (method === 'error') throw new Error(`vega-lite: ${text}`);
    warnings.push(text);
  });
  const out = vl.compile(spec, { logger });
  return { vega: out.spec, warnings };
}

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { vega: vgSpec } = compileSpec(spec);
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', join(homedir(), '.fonts'), join(homedir(), '.local/share/fonts'), '/System/Library/Fonts', '/Library/Fonts', 'C:\\Windows\\Fonts'];

/** True when at least one font file exists in the usual system font directories. */
export function systemFontsAvailable(): boolean {
  const hasFont = (dir: string, depth: number): boolean => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return false;
    }
    for (const e of entries) {
      const p = join(dir, e);
      if (/\.(ttf|otf|ttc)$/i.test(e)) return true;
      if (depth > 0) {
        try {
          if (statSync(p).isDirectory() && hasFont(p, depth - 1)) return true;
        } catch {
          // unreadable entry: skip
        }
      }
    }
    return false;
  };
  return FONT_DIRS.some((d) => existsSync(d) && hasFont(d, 4));
}

let fontWarningShown = false;

/**
 * Rasterises an SVG to PNG. `scale` multiplies the SVG's pixel size (2 gives crisp text on
 * high-density screens and in README screenshots).
 */
export function renderPng(svg: string, scale = 2): Uint8Array {
  if (!fontWarningShown && !systemFontsAvailable()) {
    fontWarningShown = true;
    process.emitWarning('no system fonts found: chart PNGs will have no text (install e.g. fonts-dejavu-core); SVG and report.html are unaffected');
  }
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: {
      loadSystemFonts: true,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
    },
  });
  return resvg.render().asPng();
}

export interface WrittenChart {
  spec: string;
  svg: string;
  png: string;
}

/** A chart name becomes a file name: lower-case letters, digits, '-' and '_' only. */
export function checkChartName(name: string): void {
  if (!/^[a-z0-9][a-z0-9_-]*$/i.test(name)) {
    throw new RangeError(`chart name: expected letters, digits, '-' or '_' (e.g. 'time-in-ranges'), got '${name}'`);
  }
}

/**
 * Writes charts/<name>.vl.json, .svg and .png under `dir`, each atomically. Returns the paths.
 * The SVG is rendered first so a spec that fails to render leaves no partial set behind.
 */
export async function writeChart(dir: string, name: string, spec: TopLevelSpec): Promise<WrittenChart> {
  checkChartName(name);
  const svg = await renderSvg(spec);
  const png = renderPng(svg);
  const base = join(dir, 'charts', name);
  const paths = { spec: `${base}.vl.json`, svg: `${base}.svg`, png: `${base}.png` };
  writeFileAtomic(paths.spec, JSON.stringify(spec) + '\n');
  writeFileAtomic(paths.svg, svg);
  writeFileAtomic(paths.png, png);
  return paths;
}
