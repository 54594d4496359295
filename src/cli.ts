/**
 * The `dosegym` command line. Every command reports user mistakes as one line on stderr with exit
 * code 1 (usage errors: 2) and never a stack trace unless --debug is given.
 */
import yargs from 'yargs';
import { UserError } from './core/errors.ts';
import { packageVersion } from './core/package.ts';
import { printable } from './core/validate.ts';
import { fsErrorMessage } from './io/fs.ts';
import type { RunFlags } from './run/run.ts';

// Each command imports what it needs when it runs (the environments, the config schema, and for the
// experiment commands TensorFlow.js, vega and the runner), so `dosegym --help` loads only yargs.
const registerEnvs = () => import('../envs/index.ts');
const runCommands = () => import('./cli/run-commands.ts');
/** The config reference shown by `--help` of the experiment commands (yargs awaits async builders). */
const configHelp = async () => (await import('./config/experiment.ts')).CONFIG_HELP;

class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
  }
}

type Y = ReturnType<typeof yargs>;

const SET_HELP = 'Override a config field: --set dotted.path=value (the value is YAML; repeat for several), e.g. --set train.steps=50000 --set env.options.patient=adult#002';

/** The --set option (run, train, evaluate, validate, simulate). */
function setOption<T extends Y>(y: T) {
  return y.option('set', { type: 'string', describe: SET_HELP, requiresArg: true });
}

/** Every --set argument, in the order given. */
function setFlags(args: Record<string, unknown>): string[] {
  const value = args['set'];
  return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
}

/** The options of every command that writes a run directory (run, train, evaluate). */
function outputOptions<T extends Y>(y: T, out = 'Run directory (default: results/<name>/<UTC date-time>/)') {
  return setOption(
    y
      .option('out', { type: 'string', describe: out })
      .option('jobs', { type: 'number', default: 1, describe: 'Seeds / evaluation shards in parallel worker processes (results identical to --jobs 1)' })
      .option('backend', { type: 'string', default: 'auto', describe: 'TensorFlow.js backend: auto (node-gpu, node, then wasm), wasm, cpu, node, node-gpu' })
      .option('quiet', { type: 'boolean', default: false, describe: 'No progress bars (plain lines are also used when stderr is not a TTY)' })
      .option('force', { type: 'boolean', default: false, describe: 'Replace --out if it holds a DoseGym run (its manifest.json says so, and nothing else is in it); other directories are never replaced' }),
  );
}

/** --queue and --queue-name (run, sweep). */
function queueOptions<T extends Y>(y: T) {
  return y
    .option('queue', { type: 'string', describe: 'Run the tasks on dosegym worker processes through Redis and BullMQ: redis://[:password@]host:port or rediss:// (TLS); a trusted network only (README "Running on many machines")' })
    .option('queue-name', { type: 'string', default: 'dosegym', describe: 'The BullMQ queue (one Redis can serve several)' });
}

/** The options of the commands that train (run, train). */
function trainingOptions<T extends Y>(y: T) {
  return outputOptions(y)
    .option('seed', { type: 'number', describe: 'Train this one seed instead of train.seeds' })
    .option('resume', { type: 'boolean', default: false, describe: 'Continue the latest incomplete run of this config (or the one at --out), with the same --set flags' });
}

/** A flag given once: yargs makes an array of a repeated flag (`--out a --out b`). */
function once<T>(args: Record<string, unknown>, name: string): T | undefined {
  const value = args[name];
  if (Array.isArray(value)) throw new UsageError(`--${name}: given ${value.length} times; give it once`);
  return value as T | undefined;
}

function runFlags(args: Record<string, unknown>): RunFlags {
  for (const name of ['jobs', 'backend', 'quiet', 'resume', 'force']) once(args, name);
  return {
    out: once<string>(args, 'out'),
    seed: once<number>(args, 'seed'),
    jobs: Number(args['jobs'] ?? 1),
    backend: String(args['backend'] ?? 'auto') as RunFlags['backend'], // checked by the run commands
    quiet: Boolean(args['quiet']),
    resume: Boolean(args['resume']),
    force: Boolean(args['force']),
    set: setFlags(args),
    queue: once<string>(args, 'queue'),
    queueName: once<string>(args, 'queue-name'),
    planOnly: Boolean(once<boolean>(args, 'plan-only')),
  };
}

function buildParser(argv: string[]) {
  return yargs(argv)
    .scriptName('dosegym')
    .usage('$0 <command> [options]\n\nDrug-dosing simulators (UVA/Padova type-1 diabetes, chemotherapy) and RL agents.')
    .version(packageVersion())
    .option('debug', { type: 'boolean', default: false, describe: 'Show stack traces for errors' })
    .command('envs', 'List registered environments with their spaces, step duration and units', (y) =>
      y.option('json', { type: 'boolean', default: false, describe: 'Machine-readable JSON output' }),
    )
    .command('simulate <config>', 'Run one patient open- or closed-loop from a YAML/JSON config and write a per-step CSV', (y) =>
      y
        .positional('config', { type: 'string', describe: 'Config file (.yaml, .yml or .json); see README "dosegym simulate"' })
        .option('out', { type: 'string', describe: 'Output CSV path (default: results/simulate/<env>-<patient>-seed<seed>.csv)' })
        .option('states', { type: 'boolean', default: false, describe: 'Add the model state columns (T1D: the 13 UVA/Padova states)' })
        .option('set', { type: 'string', describe: SET_HELP.replace('train.steps=50000 --set env.options.patient=adult#002', 'patient=adult#002 --set seed=3'), requiresArg: true })
        .example('$0 simulate experiments/simulate-adult001.yaml --out day.csv', 'Simulate adult#001 for one day with basal-bolus'),
    )
    .command('run <config>', 'Train every seed, evaluate every method on the same seeded episodes, write results and the report', async (y) =>
      queueOptions(trainingOptions(y.positional('config', { type: 'string', describe: 'Experiment config (.yaml/.json); see README "Experiment configs"' })))
        .example('$0 run experiments/quickstart.yaml', 'The quick start: PPO vs basal-bolus and PID on one T1D patient')
        .example('$0 run experiments/quickstart.yaml --set train.steps=20000 --set train.seeds=[1,2]', 'The same with fewer steps and two seeds')
        .example('$0 run experiments/cartpole-ppo.yaml --jobs 2', 'Three seeds, two at a time')
        .option('plan-only', { type: 'boolean', default: false, describe: 'Write the run directory (--out) and its task list (tasks.json) and run nothing: then dosegym task DIR --index I for every task, and dosegym collect DIR (Slurm: scripts/slurm/run.sbatch)' })
        .example('$0 run experiments/quickstart.yaml --resume', 'Continue an interrupted run')
        .example('$0 run experiments/quickstart.yaml --plan-only --out /shared/qs', 'The task list for a Slurm job array')
        .example('$0 run experiments/quickstart.yaml --queue redis://10.0.0.5:6379', 'Tasks on the workers of that Redis (dosegym worker --queue ...)')
        .epilog(await configHelp()),
    )
    .command('train <config>', 'Only train (policies/<seed>/ in a new run directory); evaluate it later with dosegym evaluate <run-dir>', async (y) =>
      trainingOptions(y.positional('config', { type: 'string', describe: 'Experiment config' })).epilog(await configHelp()),
    )
    .command(
      'evaluate <target>',
      'Evaluate a run directory (re-running every method; its results are replaced only once the new ones are complete), a run\'s policies under other settings into a new run (--set ... --out DIR), or a baselines-only config',
      async (y) =>
        outputOptions(
          y.positional('target', { type: 'string', describe: 'A run directory or an experiment config' }),
          'With a run directory: write the evaluation as a NEW run directory, leaving the source run untouched (needed with --set). With a config: the run directory (default: results/<name>/<UTC date-time>/)',
        )
          .example('$0 evaluate results/quickstart/<run-id>', 'Re-evaluate a run in place')
          .example('$0 evaluate results/quickstart/<run-id> --set evaluate.seed=2000 --set env.options.therapy.carbEstimateSd=0.3 --out results/qs-carb30', 'Its policies on other days and a worse carb count, without retraining')
          .epilog(await configHelp()),
    )
    .command('sweep <sweep>', 'Run every variant of an experiment config (a grid or random samples of --set overrides), select one on the validation seed, report it again on a test seed; sweep.csv and report.html', (y) =>
      queueOptions(outputOptions(y.positional('sweep', { type: 'string', describe: 'Sweep file (.yaml/.json): name, base, set, grid | random, select; see README "Sweeps"' }), 'Sweep directory (default: results/<name>/<UTC date-time>/)'))
        .option('resume', { type: 'boolean', default: false, describe: 'Continue the latest incomplete sweep of this file (or the one at --out)' })
        .example('$0 sweep experiments/sweeps/quickstart-lr.yaml --jobs 2', 'Two learning rates of the quick start'),
    )
    .command('task <dir>', 'Run one task of a run planned with run --plan-only (a Slurm array element); a task already done is skipped', (y) =>
      y
        .positional('dir', { type: 'string', describe: 'The run directory written by dosegym run <config> --plan-only --out DIR' })
        .option('index', { type: 'number', describe: 'Task index (tasks.json); default: $SLURM_ARRAY_TASK_ID' })
        .option('quiet', { type: 'boolean', default: false, describe: 'No progress output' })
        .example('$0 task /shared/qs --index $SLURM_ARRAY_TASK_ID', 'In a Slurm job array'),
    )
    .command('collect <dir>', 'Once every task of a --plan-only run is done: training.csv, summaries, aggregates, charts and report.html (else a list of the missing tasks)', (y) =>
      y.positional('dir', { type: 'string', describe: 'The run directory written by dosegym run <config> --plan-only --out DIR' }).option('quiet', { type: 'boolean', default: false, describe: 'No progress output' }),
    )
    .command('worker', 'Take tasks from a queue (dosegym run|sweep --queue) until stopped: Ctrl-C finishes the tasks in progress, a second Ctrl-C hands them back', (y) =>
      y
        .option('queue', { type: 'string', demandOption: true, describe: 'redis://[:password@]host:port or rediss:// (TLS), as given to dosegym run --queue' })
        .option('queue-name', { type: 'string', default: 'dosegym', describe: 'The BullMQ queue (as given to dosegym run --queue-name)' })
        .option('concurrency', { type: 'number', default: 1, describe: 'Tasks at once (one process each; the wasm backend uses one core per task)' })
        .option('lock-seconds', { type: 'number', default: 30, describe: 'A task whose worker stops renewing its lock this long (killed, machine lost) is given to another worker' })
        .option('quiet', { type: 'boolean', default: false, describe: 'No log lines' })
        .example('$0 worker --queue redis://10.0.0.5:6379 --concurrency 2', 'On each machine'),
    )
    .command('report <dir>', 'Redraw the charts and report.html of a run directory from its result files (never changes its status)', (y) =>
      y.positional('dir', { type: 'string', describe: 'A run directory' }).option('quiet', { type: 'boolean', default: false, describe: 'No progress output' }),
    )
    .command('validate <config>', 'Check an experiment config (schema, env options, methods, hyperparameters) without running it; a simulate config is simulated in memory, writing nothing', async (y) =>
      setOption(y.positional('config', { type: 'string', describe: 'Experiment config' })).epilog(await configHelp()),
    )
    .demandCommand(1, 'Give a command; see dosegym --help')
    .recommendCommands()
    .strict()
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    });
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    const args = await buildParser(argv).parseAsync();
    const command = String(args._[0]);
    await registerEnvs();
    // The experiment commands say once, at the end, which backend trained (src/cli/run-commands.ts);
    // the agents' own note (agents/common/backend.ts) would repeat it in every worker process.
    if (['run', 'train', 'evaluate', 'sweep', 'task', 'collect', 'worker'].includes(command)) process.env['DOSEGYM_BACKEND_NOTE'] = 'off';
    switch (command) {
      case 'envs':
        (await import('./cli/envs-command.ts')).envsCommand(Boolean(args['json']));
        break;
      case 'simulate':
        await (await import('./cli/simulate-command.ts')).simulateCommand({ config: String(args['config']), out: once<string>(args, 'out'), states: Boolean(args['states']), set: setFlags(args) });
        break;
      case 'run':
        await (await runCommands()).runCommand(String(args['config']), runFlags(args));
        break;
      case 'train':
        await (await runCommands()).trainCommand(String(args['config']), runFlags(args));
        break;
      case 'evaluate':
        await (await runCommands()).evaluateCommand(String(args['target']), runFlags(args));
        break;
      case 'sweep': {
        const { out, jobs, backend, quiet, resume, force, queue, queueName } = runFlags(args);
        await (await runCommands()).sweepCommand(String(args['sweep']), { out, jobs, backend, quiet, resume, force, queue, queueName });
        break;
      }
      case 'worker': {
        for (const name of ['queue', 'queue-name', 'concurrency', 'lock-seconds']) once(args, name);
        const { parseQueueTarget } = await import('./run/queue.ts');
        const { runQueueWorker } = await import('./run/queue-worker.ts');
        await runQueueWorker(parseQueueTarget(String(args['queue']), String(args['queue-name'] ?? 'dosegym')), { concurrency: Number(args['concurrency']), lockSeconds: Number(args['lock-seconds']), quiet: Boolean(args['quiet']) });
        break;
      }
      case 'task':
        await (await runCommands()).taskCommand(String(args['dir']), once<number>(args, 'index'), Boolean(args['quiet']));
        break;
      case 'collect':
        await (await runCommands()).collectCommand(String(args['dir']), Boolean(args['quiet']));
        break;
      case 'report':
        await (await runCommands()).reportCommand(String(args['dir']), { ...runFlags({ quiet: args['quiet'] }) });
        break;
      case 'validate':
        await (await runCommands()).validateCommand(String(args['config']), setFlags(args));
        break;
      default:
        throw new UsageError(`unknown command '${command}'; see dosegym --help`);
    }
    return 0;
  } catch (err) {
    // Messages are printed on one line, with no raw control bytes (a config may hold anything).
    const line = (message: string) => printable(message.replace(/\r?\n/g, ' '));
    if (err instanceof UserError) {
      process.stderr.write(`dosegym: ${line(err.message)}\n`);
      if (debug) process.stderr.write(`${err.stack}\n`);
      return err.exitCode;
    }
    // The file system refused (permission, full disk, read-only, ...): the user's to fix, not a bug.
    const fsMessage = fsErrorMessage(err);
    if (fsMessage !== undefined) {
      process.stderr.write(`dosegym: ${line(fsMessage)}\n`);
      if (debug) process.stderr.write(`${(err as Error).stack}\n`);
      return 1;
    }
    process.stderr.write(`dosegym: internal error: ${line(err instanceof Error ? err.message : String(err))}\n`);
    process.stderr.write(debug ? `${(err as Error).stack}\n` : 'dosegym: rerun with --debug for the stack trace\n');
    return 1;
  }
}
