import test from 'ava';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { returnsByMethod } from '../src/report/charts/common.ts';
import { cvga } from '../src/report/charts/cvga.ts';
import { renderPng, renderSvg, systemFontsAvailable, writeChart } from '../src/report/render.ts';

const spec = returnsByMethod([
  { method: 'ppo', seed: 1, meanReturn: 480 },
  { method: 'ppo', seed: 2, meanReturn: 500 },
  { method: 'random', seed: 1, meanReturn: 22 },
]);

test('writeChart writes <name>.vl.json, .svg and .png under charts/', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dosegym-report-test-'));
  try {
    const paths = await writeChart(dir, 'returns-by-method', spec);
    t.is(paths.spec, join(dir, 'charts', 'returns-by-method.vl.json'));
    t.deepEqual(readdirSync(join(dir, 'charts')).sort(), ['returns-by-method.png', 'returns-by-method.svg', 'returns-by-method.vl.json']);
    t.deepEqual(JSON.parse(readFileSync(paths.spec, 'utf8')), JSON.parse(JSON.stringify(spec)));
    const svg = readFileSync(paths.svg, 'utf8');
    t.true(svg.startsWith('<svg') && svg.includes('Evaluation return by method'));
    const png = readFileSync(paths.png);
    t.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // Rendered at 2x: the PNG's width (IHDR bytes 16-19) is twice the SVG's.
    const svgWidth = Number(/width="(\d+)"/.exec(svg)![1]);
    t.is(png.readUInt32BE(16), 2 * svgWidth);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeChart rejects names that are not file-name safe', async (t) => {
  await t.throwsAsync(() => writeChart(tmpdir(), '../evil', spec), { message: /chart name: expected letters, digits/ });
});

test('PNG text is drawn when system fonts exist (more ink than the same chart without text)', async (t) => {
  if (!systemFontsAvailable()) {
    t.log('no system fonts on this machine: PNG text cannot be checked');
    t.pass();
    return;
  }
  const svg = await renderSvg(cvga([{ method: 'ppo', patient: 'p1', minBg: 95, maxBg: 170 }]));
  const noText = svg.replace(/<text\b[^>]*>[^<]*<\/text>/g, '');
  t.not(noText, svg);
  // Compressed size grows with drawn detail; text adds visibly more than nothing.
  t.true(renderPng(svg).length > renderPng(noText).length * 1.1);
});
