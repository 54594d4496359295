/**
 * Browser check for the self-contained report: opens report.html in headless Chromium, offline,
 * and fails unless every chart rendered and the console stayed free of errors.
 *
 *   node --import=tsx scripts/browser-check.ts [report.html] [--screenshot=out.png] [--keep]
 *
 * Without a path it first writes a sample report (every chart type, synthetic data) to a temporary
 * directory. Installs Debian's chromium with apt-get when it is missing (needs root).
 *
 * Verdict sources:
 * - the DOM after scripts ran (--dump-dom with a virtual-time budget): <body> carries
 *   data-charts-total / -rendered / -failed set by the page, and each chart container must hold an
 *   <svg> or <canvas>;
 * - Chromium's log on stderr (--enable-logging=stderr): console errors and uncaught exceptions.
 * Prints one verdict line starting with "browser-check: PASS" or "browser-check: FAIL".
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeSampleReport } from '../src/report/sample.ts';

const CANDIDATES = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => Boolean(p));

function findChromium(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

function installChromium(): string {
  console.log('browser-check: chromium not found; installing Debian package: apt-get install -y chromium');
  if (process.getuid && process.getuid() !== 0) {
    throw new Error('chromium is missing and installing it needs root: run `sudo apt-get install -y chromium` (or set CHROMIUM=/path/to/chrome)');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', env });
  if (r.status !== 0) {
    console.log('browser-check: install failed; refreshing package lists: apt-get update');
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env });
    r = spawnSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', env });
  }
  const found = findChromium();
  if (r.status !== 0 || !found) throw new Error(`apt-get install chromium failed (exit ${r.status ?? r.signal})`);
  return found;
}

/** Runs headless Chromium with the offline flags from the stack notes plus `extra`. */
function runChromium(binary: string, url: string, extra: string[]): { stdout: string; stderr: string; status: number | null } {
  const profile = mkdtempSync(join(tmpdir(), 'dosegym-chromium-'));
  try {
    const args = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      `--user-data-dir=${profile}`,
      '--enable-logging=stderr',
      '--v=0',
      // Scripts get up to 20 s of virtual time: the report embeds every chart asynchronously.
      '--virtual-time-budget=20000',
      ...extra,
      url,
    ];
    const r = spawnSync(binary, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
    if (r.error) throw r.error;
    return { stdout: r.stdout, stderr: r.stderr, status: r.status };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

export interface DomVerdict {
  /** Console errors, uncaught exceptions and unhandled rejections counted by the page itself. */
  consoleErrors: number;
  consoleMessages: string[];
  total: number;
  rendered: number;
  failed: number;
  done: boolean;
  /** Chart containers without an <svg>/<canvas> inside. */
  empty: string[];
  containers: number;
}

/** Reads the report's own bookkeeping and checks each chart container in the dumped DOM. */
export function inspectDom(dom: string): DomVerdict {
  // The tags carrying the page's bookkeeping (inlined library code may contain other "<body>" text).
  const bodyTag = /<body\b[^>]*data-charts-total[^>]*>/i.exec(dom)?.[0] ?? '';
  const htmlTag = /<html\b[^>]*>/i.exec(dom)?.[0] ?? '';
  const attrIn = (tag: string, name: string): string | undefined => new RegExp(`${name}="([^"]*)"`, 'i').exec(tag)?.[1];
  const attr = (name: string): string | undefined => attrIn(bodyTag, name);
  const num = (name: string): number => Number(attr(name) ?? Number.NaN);
  const unescape = (s: string): string => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  let consoleMessages: string[] = [];
  try {
    consoleMessages = JSON.parse(unescape(attrIn(htmlTag, 'data-console-messages') ?? '[]')) as string[];
  } catch {
    consoleMessages = ['(unreadable data-console-messages)'];
  }
  const empty: string[] = [];
  // Each container runs from its opening tag to the spec script that follows it (see html.ts).
  const re = /<div class="chart[^"]*" id="chart-([^"]+)"[^>]*>([\s\S]*?)<script type="application\/json" id="spec-/g;
  let m: RegExpExecArray | null;
  let containers = 0;
  while ((m = re.exec(dom)) !== null) {
    containers++;
    if (!/<(svg|canvas)\b/i.test(m[2]!)) empty.push(m[1]!);
  }
  return {
    consoleErrors: Number(attrIn(htmlTag, 'data-console-errors') ?? Number.NaN),
    consoleMessages,
    total: num('data-charts-total'), rendered: num('data-charts-rendered'), failed: num('data-charts-failed'), done: attr('data-charts-done') === 'true', empty, containers };
}

/**
 * Uncaught exceptions and report errors from Chromium's stderr log. Chromium logs every console
 * level as INFO:CONSOLE, so this only catches what is recognisable by its text; the page's own
 * counter (data-console-errors) catches every console.error.
 */
export function consoleErrors(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => /:CONSOLE/.test(line) && /Uncaught|dosegym report: chart|Failed to load resource/i.test(line))
    .map((line) => line.trim());
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const screenshot = args.find((a) => a.startsWith('--screenshot='))?.slice('--screenshot='.length);
  const keep = args.includes('--keep');
  const given = args.find((a) => !a.startsWith('--'));

  let tmp: string | undefined;
  let report: string;
  if (given) {
    report = resolve(given);
    if (!existsSync(report)) {
      console.log(`browser-check: FAIL: report not found: ${report}`);
      return 1;
    }
  } else {
    tmp = mkdtempSync(join(tmpdir(), 'dosegym-report-'));
    report = await writeSampleReport(tmp);
    console.log(`browser-check: wrote sample report ${report}${keep ? '' : ' (removed afterwards; --keep keeps it)'}`);
  }

  try {
    const chromium = findChromium() ?? installChromium();
    const url = pathToFileURL(report).href;
    const started = Date.now();
    const run = runChromium(chromium, url, ['--dump-dom']);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const dom = inspectDom(run.stdout);
    const errors = consoleErrors(run.stderr);

    const problems: string[] = [];
    if (run.status !== 0) problems.push(`chromium exited with ${run.status}`);
    if (!dom.done) problems.push('the page never finished embedding (no data-charts-done)');
    if (!(dom.total > 0)) problems.push('no charts in the report');
    if (dom.failed > 0) problems.push(`${dom.failed} chart(s) failed`);
    if (dom.rendered !== dom.total) problems.push(`${dom.rendered}/${dom.total} charts rendered`);
    if (dom.containers !== dom.total) problems.push(`${dom.containers} chart containers in the DOM, page expected ${dom.total}`);
    if (dom.empty.length > 0) problems.push(`no svg/canvas in: ${dom.empty.join(', ')}`);
    if (Number.isNaN(dom.consoleErrors)) problems.push('the page has no console-error counter (not a DoseGym report?)');
    const consoleCount = Math.max(errors.length, Number.isNaN(dom.consoleErrors) ? 0 : dom.consoleErrors);
    if (consoleCount > 0) problems.push(`${consoleCount} console error(s)`);
    for (const e of [...dom.consoleMessages, ...errors].slice(0, 10)) console.log(`  console: ${e}`);

    if (screenshot) {
      const shot = runChromium(chromium, url, [`--screenshot=${resolve(screenshot)}`, '--window-size=1280,2400', '--hide-scrollbars']);
      if (shot.status !== 0 || !existsSync(resolve(screenshot))) problems.push(`screenshot failed (exit ${shot.status})`);
      else console.log(`browser-check: screenshot ${resolve(screenshot)}`);
    }

    if (problems.length > 0) {
      console.log(`browser-check: FAIL ${report}: ${problems.join('; ')}`);
      return 1;
    }
    console.log(`browser-check: PASS ${dom.rendered}/${dom.total} charts rendered, 0 console errors, ${seconds} s in headless Chromium (${report})`);
    return 0;
  } catch (err) {
    console.log(`browser-check: FAIL ${(err as Error).message}`);
    return 1;
  } finally {
    if (tmp && !keep) rmSync(tmp, { recursive: true, force: true });
  }
}

// Run only as a script, so the DOM/log parsers above can be imported on their own.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
