/**
 * Errors a user can fix (bad config, flag, option or action). The CLI prints their message as one
 * line without a stack trace; anything else is a bug and shows its stack under --debug.
 */
export class UserError extends Error {
  /** Process exit code: 1 for bad input, 2 for CLI usage errors. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** An environment used against its contract (e.g. step after the episode ended, action outside the space). */
export class EnvContractError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'EnvContractError';
  }
}
