/**
 * Errors the user can act on. They are printed once, at the edge, without a stack trace; anything else
 * that escapes is treated as a bug in probelab.
 */
export class UserError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UserError';
  }
}

/** UsageError is a command line that cannot be run as written. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
