/** `dosegym envs`: the registered environments with their spaces, step duration and units. */
import { describeEnv, listEnvs } from '../core/registry.ts';
import { formatTable } from './output.ts';

export function envsCommand(json: boolean): void {
  const described = listEnvs().map((id) => {
    const d = describeEnv(id);
    return {
      id,
      description: d.spec.description,
      observationSpace: d.observationSpace,
      actionSpace: d.actionSpace,
      stepDuration: d.metadata.stepDuration,
      actionUnits: d.metadata.actionUnits,
      maxEpisodeSteps: d.metadata.maxEpisodeSteps ?? null,
      options: d.spec.defaults,
    };
  });
  if (json) {
    process.stdout.write(JSON.stringify(described, null, 2) + '\n');
    return;
  }
  const rows = described.map((e) => [e.id, `${e.stepDuration.value} ${e.stepDuration.unit}`, e.actionSpace, e.actionUnits, e.observationSpace]);
  process.stdout.write(formatTable(['id', 'step', 'action space', 'action units', 'observation space'], rows) + '\n');
  for (const e of described) process.stdout.write(`\n${e.id}: ${e.description}\n  options: ${Object.keys(e.options).join(', ') || '(none)'}\n`);
}
