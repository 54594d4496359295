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
import { printable } from '../core/validate.ts';
import type { Action, Env, Info, Observation, ResetArgs, ResetResult, StepResult } from '../core/env.ts';
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

/**
 * Longest accepted expression. Parsing, checking and evaluating are recursive (mathjs): without a
 * limit a 20,000-term sum overflows the stack. 1,000 characters is far beyond any real reward and
 * well inside the stack (every form tried, nested or chained, evaluates at this length).
 */
export const MAX_REWARD_EXPRESSION_LENGTH = 1000;

export interface CompiledReward {
  source: string;
  names: string[];
  /**
   * The reward for a step's quantities. A value that is not a finite real number is a UserError
   * naming the expression, `where` (e.g. "at step 12 of the episode with seed 7") and the values
   * of the quantities it uses.
   */
  evaluate(scope: Record<string, number>, where?: string): number;
}

/** The expression as quoted in messages: short, one line, printable. */
function quoted(source: string): string {
  const s = printable(source.replace(/\s+/g, ' '));
  return `'${s.length > 80 ? `${s.slice(0, 77)}...` : s}'`;
}

/** A number for a message: up to 6 significant digits. */
function num(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}

/** What an evaluation gave, for a message: a complex number, NaN, Infinity, a non-number. */
function describeValue(value: unknown): string {
  if (typeof value === 'number') return num(value);
  if (value !== null && typeof value === 'object' && 're' in value && 'im' in value) {
    const { re, im } = value as { re: number; im: number };
    return `the complex number ${num(re)} ${im < 0 ? '-' : '+'} ${num(Math.abs(im))}i`;
  }
  return printable(String(value)).slice(0, 60);
}

const tooDeep = (field: string, source: string) =>
  new UserError(`${field}: expression ${quoted(source)} is nested too deeply to evaluate; simplify it`);

export function compileRewardExpression(source: string, allowedNames: readonly string[], field = 'env.reward'): CompiledReward {
  if (source.length > MAX_REWARD_EXPRESSION_LENGTH) {
    throw new UserError(`${field}: the expression is ${source.length} characters long; at most ${MAX_REWARD_EXPRESSION_LENGTH} are allowed`);
  }
  let node: MathNode;
  try {
    node = mathParse(source);
  } catch (err) {
    if (err instanceof RangeError) throw tooDeep(field, source);
    throw new UserError(`${field}: cannot parse expression ${quoted(source)}: ${printable((err as Error).message)}`);
  }
  const allowed = new Set([...allowedNames, ...BUILTIN_NAMES]);
  const names = new Set<string>();
  try {
    check(node, allowed, names, field);
  } catch (err) {
    if (err instanceof RangeError) throw tooDeep(field, source);
    throw err;
  }
  let compiled: EvalFunction;
  try {
    compiled = node.compile();
  } catch (err) {
    if (err instanceof RangeError) throw tooDeep(field, source);
    throw err;
  }
  const used = [...names].filter((n) => !['pi', 'e'].includes(n)).sort();
  return {
    source,
    names: [...names],
    evaluate(scope, where) {
      let value: unknown;
      try {
        value = compiled.evaluate({ ...scope });
      } catch (err) {
        if (err instanceof RangeError) throw tooDeep(field, source);
        throw new UserError(`${field}: expression ${quoted(source)} failed${where ? ` ${where}` : ''}: ${printable((err as Error).message)}`);
      }
      const num = typeof value === 'boolean' ? Number(value) : value;
      if (typeof num !== 'number' || !Number.isFinite(num)) {
        const values = used.map((n) => `${n}=${n in scope ? describeValue(scope[n]) : 'missing'}`).join(', ');
        throw new UserError(
          `${field}: expression ${quoted(source)} gave ${describeValue(value)}, not a finite real number${where ? `, ${where}` : ''}${values ? ` (${values})` : ''}; ` +
            'rewrite it so that it is finite for every reachable value (e.g. log(max(x, 1e-9)))',
        );
      }
      return num;
    },
  };
}

/** Reject unknown names, functions outside REWARD_FUNCTIONS and non-arithmetic nodes; collect the names used. */
function check(node: MathNode, allowed: ReadonlySet<string>, names: Set<string>, field: string): void {
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
      throw new UserError(`${field}: ${quoted(n.toString())} (${n.type}) is not allowed; use arithmetic, comparisons, ?: and ${REWARD_FUNCTIONS.join(', ')}`);
    }
  });
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
  /** Steps since the last reset and that reset's seed, for error messages. */
  private steps = 0;
  private episodeSeed: number | undefined;
  constructor(env: Env<Observation, Action>, reward: CompiledReward) {
    super(env);
    this.reward = reward;
  }
  override reset(args?: ResetArgs): ResetResult<Observation> {
    this.steps = 0;
    this.episodeSeed = args?.seed;
    return this.env.reset(args);
  }
  override step(action: Action): StepResult<Observation> {
    const result = this.env.step(action);
    this.steps++;
    const scope = { ...numericQuantities(result.info), reward: result.reward, terminated: Number(result.terminated), truncated: Number(result.truncated) };
    const where = `at step ${this.steps} of ${this.episodeSeed !== undefined ? `the episode with seed ${this.episodeSeed}` : 'an episode'}`;
    return { ...result, reward: this.reward.evaluate(scope, where), info: { ...result.info, envReward: result.reward } };
  }
}
