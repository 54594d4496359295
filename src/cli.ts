/**
 * The `dosegym` command line. Every command reports user mistakes as one line on stderr with exit
 * code 1 (usage errors: 2) and never a stack trace unless --debug is given.
 */
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { UserError } from './core/errors.ts';
import '../envs/index.ts';
import { envsCommand } from './cli/envs-command.ts';
import { simulateCommand } from './cli/simulate-command.ts';

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
export const DOSEGYM_VERSION = packageJson.version;

class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
  }
}

function buildParser(argv: string[]) {
  return yargs(argv)
    .scriptName('dosegym')
    .usage('$0 <command> [options]\n\nDrug-dosing simulators (UVA/Padova type-1 diabetes, chemotherapy) and RL agents.')
    .version(DOSEGYM_VERSION)
    .option('debug', { type: 'boolean', default: false, describe: 'Show stack traces for errors' })
    .command('envs', 'List registered environments with their spaces, step duration and units', (y) =>
      y.option('json', { type: 'boolean', default: false, describe: 'Machine-readable JSON output' }),
    )
    .command('simulate <config>', 'Run one patient open- or closed-loop from a YAML/JSON config and write a per-step CSV', (y) =>
      y
        .positional('config', { type: 'string', describe: 'Config file (.yaml, .yml or .json); see README "dosegym simulate"' })
        .option('out', { type: 'string', describe: 'Output CSV path (default: results/simulate/<env>-<patient>-seed<seed>.csv)' })
        .option('states', { type: 'boolean', default: false, describe: 'Add the model state columns (T1D: the 13 UVA/Padova states)' })
        .example('$0 simulate experiments/simulate-adult001.yaml --out day.csv', 'Simulate adult#001 for one day with basal-bolus'),
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
    switch (command) {
      case 'envs':
        envsCommand(Boolean(args['json']));
        break;
      case 'simulate':
        simulateCommand({ config: String(args['config']), out: args['out'] as string | undefined, states: Boolean(args['states']) });
        break;
      default:
        throw new UsageError(`unknown command '${command}'; see dosegym --help`);
    }
    return 0;
  } catch (err) {
    if (err instanceof UserError) {
      process.stderr.write(`dosegym: ${err.message}\n`);
      if (debug) process.stderr.write(`${err.stack}\n`);
      return err.exitCode;
    }
    process.stderr.write(`dosegym: internal error: ${(err as Error).message ?? String(err)}\n`);
    process.stderr.write(debug ? `${(err as Error).stack}\n` : 'dosegym: rerun with --debug for the stack trace\n');
    return 1;
  }
}
