/**
 * Custom rewards written as mathjs expressions over a step's named quantities, e.g.
 * `-risk - 0.01 * insulin`. The expression is parsed and checked when the config loads: unknown
 * names and functions outside a small whitelist are errors. It is never evaluated as JavaScript.
 * The names are the env's numeric info fields, which its patient family declares
 * (`Family.info.fields`, e.g. envs/glucose/info.ts), so checking needs no env.
 */
import { createRequire } from 'node:module';
import type { EvalFunction, MathNode } from 'mathjs';
import { UserError } from '../core/errors.ts';
import type { Action, Env, Info, Observation, StepResult } from '../core/env.ts';
import { Wrapper } from '../core/wrappers.ts';

// mathjs is loaded on first use: it is hundreds of modules (1-4 s to load), and most configs have
// no reward expression. Synchronous require keeps compileRewardExpression synchronous.
const require = createRequire(import.meta.url);
let parseExpression: ((source: string) => MathNode) | undefined;
function mathParse(source: string): MathNode {
  parseExpression ??= (require('mathjs') as typeof import('mathjs')).parse;
  return parseExpression(source);
}

/** Functions an expression may call. */
export const REWARD_FUNCTIONS = ['abs', 'min', 'max', 'exp', 'log', 'sqrt', 'pow', 'square', 'sign', 'tanh'] as const;
/** Names always available besides the env's numeric info fields. */
const BUILTIN_NAMES = ['reward', 'terminated', 'truncated', 'pi', 'e'];

export interface CompiledReward {
  source: string;
  names: string[];
  evaluate(scope: Record<string, number>): number;
}

export function compileRewardExpression(source: string, allowedNames: readonly string[], field = 'env.reward'): CompiledReward {
  let node: MathNode;
  try {
    node = mathParse(source);
  } catch (err) {
    throw new UserError(`${field}: cannot parse expression '${source}': ${(err as Error).message}`);
  }
  const allowed = new Set([...allowedNames, ...BUILTIN_NAMES]);
  const names = new Set<string>();
  node.traverse((n, _path, parent) => {
    if (n.type === 'FunctionNode') {
      const fn = (n as unknown as { fn: { name?: string } }).fn.name ?? '?';
      if (!(REWARD_FUNCTIONS as readonly string[]).includes(fn)) {
        throw new UserError(`${field}: function '${fn}' is not allowed; allowed: ${REWARD_FUNCTIONS.join(', ')}`);
      }
    } else if (n.type === 'SymbolNode') {
      const isCallee = parent?.type === 'FunctionNode' && (parent as unknown as { fn: MathNode }).fn === n;
      const name = (n as unknown as { name: string }).name;
      if (!isCallee) {
        if (!allowed.has(name)) throw new UserError(`${field}: unknown name '${name}'; allowed: ${[...allowed].sort().join(', ')}`);
        names.add(name);
      }
    } else if (!['OperatorNode', 'ConstantNode', 'ParenthesisNode', 'ConditionalNode'].includes(n.type)) {
      throw new UserError(`${field}: '${n.toString()}' (${n.type}) is not allowed; use arithmetic, comparisons, ?: and ${REWARD_FUNCTIONS.join(', ')}`);
    }
  });
  const compiled: EvalFunction = node.compile();
  return {
    source,
    names: [...names],
    evaluate(scope) {
      const value = compiled.evaluate({ ...scope });
      const num = typeof value === 'boolean' ? Number(value) : value;
      if (typeof num !== 'number' || !Number.isFinite(num)) throw new Error(`${field}: expression '${source}' gave ${String(value)} (not a finite number)`);
      return num;
    },
  };
}

/** Numeric fields of an info object (the quantities a reward expression can use). */
export function numericQuantities(info: Info): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(info)) {
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    else if (typeof v === 'boolean') out[k] = Number(v);
  }
  return out;
}

/** Replaces the env's reward with the expression's value on each step. */
export class ExpressionReward extends Wrapper {
  private readonly reward: CompiledReward;
  constructor(env: Env<Observation, Action>, reward: CompiledReward) {
    super(env);
    this.reward = reward;
  }
  override step(action: Action): StepResult<Observation> {
    const result = this.env.step(action);
    const scope = { ...numericQuantities(result.info), reward: result.reward, terminated: Number(result.terminated), truncated: Number(result.truncated) };
    return { ...result, reward: this.reward.evaluate(scope), info: { ...result.info, envReward: result.reward } };
  }
}
