/**
 * What the AsyncVectorEnv's main thread and its worker threads share: the shared-memory layout,
 * the command codes, the info codec and how errors cross the thread boundary.
 *
 * Per step nothing is serialised: actions, observations, rewards and flags go through shared typed
 * arrays and the main thread waits on an Atomics counter. Infos are objects, so they are split in
 * two: their number fields travel through a shared Float64Array, and the rest (key names and the
 * non-number values, e.g. `patient: 'adult#001'`) is a "template" sent over a MessagePort only when
 * it changes (for T1D-v0: at resets). A template belongs to one info slot of one env; the main
 * thread keeps the current one per slot, so memory stays bounded over any number of episodes.
 */

/** Command codes written by the main thread. */
export const Command = { Step: 1, Reset: 2, Close: 3 } as const;

/** Worker status after a command. */
export const Status = { Ok: 0, Failed: 1 } as const;

/** Int32 slots per worker in the control array (64-byte blocks apart: no false sharing). */
export const CONTROL_STRIDE = 32;
/** Offsets inside a worker's control block: main writes the command, the worker the answer. */
export const CONTROL = { commandSeq: 0, commandType: 1, doneSeq: 16, status: 17 } as const;

/**
 * How long a waiting thread polls before it blocks in Atomics.wait [ms]. Waking a blocked thread
 * costs tens of microseconds, as much as stepping several T1D patients, and the other side usually
 * answers within ~20-50 us. Measured with 30 T1D patients on 2 cores (async/single time ratio):
 * 0 ms 1.3 (every wait sleeps); 0.05 ms 0.73-0.82; 0.2 ms 0.72-0.85. With another busy process on
 * one core polling hurts instead (the poller takes the core the other thread needs): 0.02 ms 1.4,
 * 0.05 ms 1.7, 0.2 ms 3.0. Hence 0.05 ms.
 */
export const SPIN_MS = 0.05;

/** Poll `array[index]` while it equals `value`, for at most `spinMs`; returns the last value read. */
export function spinWhileEqual(array: Int32Array, index: number, value: number, spinMs = SPIN_MS): number {
  let current = Atomics.load(array, index);
  if (current !== value) return current;
  const deadline = performance.now() + spinMs;
  for (;;) {
    for (let i = 0; i < 1024; i++) {
      current = Atomics.load(array, index);
      if (current !== value) return current;
    }
    if (performance.now() > deadline) return current;
  }
}

/** Number fields per info that fit the shared array; an info with more travels whole by message. */
export const INFO_NUMBER_SLOTS = 48;

/** Info slots per env: 0 = the info of the step (or reset) just done, 1 = the ended step's info on autoreset. */
export const INFO_SLOTS_PER_ENV = 2;

/** Action encodings (so a worker env receives the same kind of value as with SyncVectorEnv). */
export const ActionKind = { Number: 0, Float32: 1, Float64: 2 } as const;

export interface SharedBuffers {
  control: SharedArrayBuffer;
  actions: SharedArrayBuffer;
  actionKinds: SharedArrayBuffer;
  observations: SharedArrayBuffer;
  finalObservations: SharedArrayBuffer;
  rewards: SharedArrayBuffer;
  flags: SharedArrayBuffer;
  infoTemplateIds: SharedArrayBuffer;
  infoNumbers: SharedArrayBuffer;
}

/** Typed views onto the shared buffers. Observations are float64 whatever the space's dtype (exact for float32). */
export class SharedViews {
  readonly control: Int32Array;
  readonly actions: Float64Array;
  readonly actionKinds: Int8Array;
  readonly observations: Float64Array;
  readonly finalObservations: Float64Array;
  readonly rewards: Float64Array;
  /** [2 i] = terminated, [2 i + 1] = truncated. */
  readonly flags: Uint8Array;
  readonly infoTemplateIds: Int32Array;
  readonly infoNumbers: Float64Array;

  constructor(readonly buffers: SharedBuffers) {
    this.control = new Int32Array(buffers.control);
    this.actions = new Float64Array(buffers.actions);
    this.actionKinds = new Int8Array(buffers.actionKinds);
    this.observations = new Float64Array(buffers.observations);
    this.finalObservations = new Float64Array(buffers.finalObservations);
    this.rewards = new Float64Array(buffers.rewards);
    this.flags = new Uint8Array(buffers.flags);
    this.infoTemplateIds = new Int32Array(buffers.infoTemplateIds);
    this.infoNumbers = new Float64Array(buffers.infoNumbers);
  }

  static allocate(numEnvs: number, numWorkers: number, obsSize: number, actionSize: number): SharedViews {
    const sab = (bytes: number) => new SharedArrayBuffer(Math.max(8, bytes));
    return new SharedViews({
      control: sab(4 * CONTROL_STRIDE * Math.max(1, numWorkers)),
      actions: sab(8 * numEnvs * actionSize),
      actionKinds: sab(numEnvs),
      observations: sab(8 * numEnvs * obsSize),
      finalObservations: sab(8 * numEnvs * obsSize),
      rewards: sab(8 * numEnvs),
      flags: sab(2 * numEnvs),
      infoTemplateIds: sab(4 * INFO_SLOTS_PER_ENV * numEnvs),
      infoNumbers: sab(8 * INFO_SLOTS_PER_ENV * numEnvs * INFO_NUMBER_SLOTS),
    });
  }
}

/** The non-number part of an info: its keys in order, which are numbers, and the other values. */
export interface InfoTemplate {
  id: number;
  keys: string[];
  isNumber: boolean[];
  /** Values of the non-number keys (undefined at number keys). */
  constants: unknown[];
}

/** Messages from a worker to the main thread. */
export type WorkerMessage =
  | { type: 'ready'; observationSpace: unknown; actionSpace: unknown }
  | { type: 'template'; slot: number; template: InfoTemplate }
  | { type: 'whole-info'; slot: number; id: number; info: Record<string, unknown> }
  | { type: 'error'; error: SerializedError };

/** Messages from the main thread to a worker (commands themselves go through shared memory). */
export interface ResetMessage {
  type: 'reset';
  /** Per env of the worker: the seed to pass, or null for none. */
  seeds: (number | null)[];
  options: Record<string, unknown> | undefined;
}

export interface SerializedError {
  name: string;
  message: string;
  exitCode?: number;
  stack?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const exitCode = (error as { exitCode?: unknown }).exitCode;
    return { name: error.name, message: error.message, stack: error.stack, ...(typeof exitCode === 'number' ? { exitCode } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

/**
 * Worker side: writes infos into the shared arrays, posting a template only when an info's keys or
 * non-number values differ from the slot's previous info (compared with ===, so a constant array
 * such as T1D-v0's action levels must keep its identity, as it does within an episode).
 */
export class InfoEncoder {
  private readonly current: (InfoTemplate | undefined)[];
  private nextId = 1;

  constructor(
    private readonly views: SharedViews,
    numEnvs: number,
    private readonly post: (message: WorkerMessage) => void,
  ) {
    this.current = new Array(numEnvs * INFO_SLOTS_PER_ENV).fill(undefined);
  }

  /** Encode `info` of env `envIndex` (global index) into slot `slot` (0 or 1). */
  encode(info: Record<string, unknown>, envIndex: number, slot: number): void {
    const s = envIndex * INFO_SLOTS_PER_ENV + slot;
    const keys = Object.keys(info);
    const base = s * INFO_NUMBER_SLOTS;
    const numbers = this.views.infoNumbers;
    let template = this.current[s];
    if (template === undefined || !sameShape(template, keys, info)) {
      if (countNumbers(keys, info) > INFO_NUMBER_SLOTS) {
        const id = this.nextId++;
        this.post({ type: 'whole-info', slot: s, id, info });
        this.current[s] = undefined;
        this.views.infoTemplateIds[s] = id;
        return;
      }
      template = { id: this.nextId++, keys, isNumber: keys.map((k) => typeof info[k] === 'number'), constants: keys.map((k) => (typeof info[k] === 'number' ? undefined : info[k])) };
      this.post({ type: 'template', slot: s, template });
      this.current[s] = template;
    }
    let j = 0;
    for (let k = 0; k < keys.length; k++) {
      if (template.isNumber[k]) numbers[base + j++] = info[keys[k] as string] as number;
    }
    this.views.infoTemplateIds[s] = template.id;
  }
}

function sameShape(template: InfoTemplate, keys: string[], info: Record<string, unknown>): boolean {
  if (template.keys.length !== keys.length) return false;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k] as string;
    if (template.keys[k] !== key) return false;
    const value = info[key];
    if (template.isNumber[k]) {
      if (typeof value !== 'number') return false;
    } else if (value !== template.constants[k]) return false;
  }
  return true;
}

function countNumbers(keys: string[], info: Record<string, unknown>): number {
  let n = 0;
  for (const k of keys) if (typeof info[k] === 'number') n++;
  return n;
}

/** Main side: rebuilds infos from the shared numbers and the slot's current template. */
export class InfoDecoder {
  private readonly current: (InfoTemplate | { id: number; whole: Record<string, unknown> } | undefined)[];

  constructor(private readonly views: SharedViews, numEnvs: number) {
    this.current = new Array(numEnvs * INFO_SLOTS_PER_ENV).fill(undefined);
  }

  /** Take a template or whole info the worker posted for a slot. */
  receive(message: WorkerMessage): void {
    if (message.type === 'template') this.current[message.slot] = message.template;
    else if (message.type === 'whole-info') this.current[message.slot] = { id: message.id, whole: message.info };
  }

  decode(envIndex: number, slot: number): Record<string, unknown> {
    const s = envIndex * INFO_SLOTS_PER_ENV + slot;
    const id = this.views.infoTemplateIds[s] as number;
    const t = this.current[s];
    if (t === undefined || t.id !== id) throw new Error(`AsyncVectorEnv: info template ${id} of env ${envIndex} never arrived (internal error)`);
    if ('whole' in t) return t.whole;
    const numbers = this.views.infoNumbers;
    const base = s * INFO_NUMBER_SLOTS;
    const info: Record<string, unknown> = {};
    let j = 0;
    for (let k = 0; k < t.keys.length; k++) {
      info[t.keys[k] as string] = t.isNumber[k] ? numbers[base + j++] : t.constants[k];
    }
    return info;
  }
}
