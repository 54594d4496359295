/** `dosegym run|train|evaluate|report|validate`: the experiment commands (see src/run/run.ts). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskList } from '../run/task-list.ts';
import { UserError } from '../core/errors.ts';
import { familyOf } from '../core/family.ts';
import { evaluateRunInto, planInput, runExperiment, runStagesOnDir, type RunFlags, type RunResult } from '../run/run.ts';
import { runFiles } from '../run/layout.ts';
import type { SweepFlags } from '../run/sweep.ts';
import { BACKEND_NAMES, backendNote, type BackendName } from '../../agents/common/backend.ts';
import { formatTable } from './output.ts';
import { readConfigFile } from '../config/load.ts';
import { isSimulateConfig, simulation } from './simulate-command.ts';

export function parseBackend(value: unknown): BackendName {
  if (typeof value !== 'string' || !(BACKEND_NAMES as readonly string[]).includes(value)) {
    throw new UserError(`--backend: expected one of ${BACKEND_NAMES.join(', ')}, got ${String(value)}`, 2);
  }
  return value as BackendName;
}

/** Print where the report is and a short table of the main numbers (the common ones, then the family's headline columns). */
function printResult(result: RunResult): void {
  const key = ['method', 'seed', 'episodes', 'mean_return', 'mean_cost', ...familyOf(result.manifest.config.env.id).headlineColumns];
  const columns = key.filter((c) => result.columns.includes(c));
  if (result.summary.length > 0) {
    process.stdout.write('\n' + formatTable(columns, result.summary.map((r) => columns.map((c) => (r[c] ?? '') as string | number))) + '\n');
  }
  const files = runFiles(result.dir);
  process.stdout.write(`\nstatus: ${result.manifest.status}\nresults: ${result.dir}\n${existsSync(files.report) ? `report:  ${files.report}\n` : ''}${backendLine(result)}`);
}

/** The backend the run trained with, once per command (the agents say nothing: see src/cli.ts). */
function backendLine(result: Pick<RunResult, 'manifest'>): string {
  return result.manifest.backend === null ? '' : `backend: ${backendNote(result.manifest.backend)}\n`;
}

export async function runCommand(config: string, flags: RunFlags): Promise<void> {
  parseBackend(flags.backend);
  const result = await runExperiment(config, flags, ['train', 'evaluate', 'report']);
  if (flags.planOnly !== true) return printResult(result);
  const { TASKS_FILE } = await import('../run/task-list.ts');
  const list = JSON.parse(readFileSync(join(result.dir, TASKS_FILE), 'utf8')) as TaskList;
  const n = list.tasks.length;
  process.stdout.write(
    `planned ${n} task(s) in ${result.dir}/${TASKS_FILE}: training ${list.arrays.train ?? 'none'}, evaluation ${list.arrays.evaluate ?? 'none'} (the evaluation needs the training first)\n` +
      `next: dosegym task ${result.dir} --index I for I in 0..${n - 1}, then dosegym collect ${result.dir}\n`,
  );
}

export async function taskCommand(dir: string, index: number | undefined, quiet: boolean): Promise<void> {
  const { planTasks } = await import('../run/run.ts');
  const { openPlannedDir, runListedTask, taskIndex } = await import('../run/task-list.ts');
  const planned = await openPlannedDir(dir, planTasks);
  const i = taskIndex(index, process.env, planned.list.tasks.length);
  const { label, skipped } = await runListedTask(planned, i, { quiet });
  process.stdout.write(`task ${label}: ${skipped ? 'already done, skipped' : 'done'}\n`);
}

export async function collectCommand(dir: string, quiet: boolean): Promise<void> {
  const { collectRun } = await import('../run/run.ts');
  printResult(await collectRun(dir, { quiet, backend: 'auto' }));
}

export async function trainCommand(config: string, flags: RunFlags): Promise<void> {
  parseBackend(flags.backend);
  const result = await runExperiment(config, flags, ['train']);
  const policies = result.manifest.config.train.perPatient ? ' (one policy per patient)' : '';
  process.stdout.write(`trained ${result.manifest.seeds.length} seed(s)${policies}; policies in ${result.dir}/policies\n${backendLine(result)}next: dosegym evaluate ${result.dir}\n`);
}

function isDirectory(path: string): boolean {
  return path !== '' && existsSync(path) && statSync(path).isDirectory();
}

export async function evaluateCommand(target: string, flags: RunFlags): Promise<void> {
  parseBackend(flags.backend);
  if (!isDirectory(target)) {
    printResult(await runExperiment(target, flags, ['evaluate', 'report']));
    return;
  }
  if (flags.out !== undefined) {
    // The run's policies under other settings, into a new run directory (the source is only read).
    printResult(await evaluateRunInto(target, flags));
    return;
  }
  // A run directory is re-evaluated in place (new results swapped in when complete), under its own config.
  if ((flags.set ?? []).length > 0) throw new UserError(`--set: evaluating ${target} under other settings writes a new run directory (the source run is never changed); give --out DIR`, 2);
  if (flags.force) throw new UserError(`--force: not used by dosegym evaluate <run-dir> without --out (it re-evaluates ${target} in place, keeping its results until the new ones are complete)`, 2);
  printResult(await runStagesOnDir(target, flags, ['evaluate', 'report']));
}

export async function reportCommand(dir: string, flags: RunFlags): Promise<void> {
  if (!isDirectory(dir)) throw new UserError(`run directory: ${dir === '' ? "''" : dir} is not a directory; give a run directory made by dosegym run`);
  printResult(await runStagesOnDir(dir, flags, ['report']));
}

export async function sweepCommand(file: string, flags: SweepFlags): Promise<void> {
  parseBackend(flags.backend);
  const { runSweep } = await import('../run/sweep.ts');
  const { dir, manifest } = await runSweep(file, flags);
  const s = manifest.selection;
  const ci = (x: { mean: number; ci95: { low: number; high: number } }) => `${x.mean.toPrecision(4)} [${x.ci95.low.toPrecision(4)}, ${x.ci95.high.toPrecision(4)}]`;
  if (s !== null) {
    process.stdout.write(`\nselected ${s.variant} (${s.goal} ${s.metric} of ${s.method}): validation seed ${s.validationSeed} ${ci(s.validation)}; test seed ${s.testSeed} ${s.test === null ? 'not evaluated' : ci(s.test)}\n`);
  }
  process.stdout.write(`status: ${manifest.status}\nsweep:   ${dir}\nreport:  ${runFiles(dir).report}\ntable:   ${dir}/sweep.csv\n`);
}

export async function validateCommand(config: string, set: readonly string[] = []): Promise<void> {
  const given = set.length > 0 ? ` with ${set.map((o) => `--set ${o}`).join(' ')}` : '';
  if (isSimulateConfig(readConfigFile(config))) {
    // A simulate config is checked by simulating it in memory (a day takes well under a second).
    const output = await simulation({ config, states: false, set });
    process.stdout.write(`${config}${given}: ok (a dosegym simulate config)\n  ${output.rows.length} rows, columns ${output.columns.join(',')}\n`);
    return;
  }
  const { plan } = planInput(config, { set }, { train: true });
  const c = plan.config;
  const perPatient = plan.family.patients(plan.stack.envOptions).some((p) => p !== null);
  process.stdout.write(
    `${config}${given}: ok\n  env ${c.env.id}; train ${c.train.algo}${c.train.algo === 'none' ? '' : ` ${c.train.steps} steps x seeds ${c.train.seeds.join(', ')}`}; ` +
      `evaluate ${plan.methods.map((m) => m.name).join(', ')} (${c.evaluate.episodes} episodes${perPatient ? ' per patient' : ''}, seed ${c.evaluate.seed})\n`,
  );
}
