/**
 * The edge's view of the process: streams, working directory and environment, passed in so that
 * commands can be run and tested without touching the real process.
 */
import type { Output } from '../core/ports.ts';

export type { Output };

export interface IO {
  stdout: Output;
  stderr: Output;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** signal aborts on the first SIGINT/SIGTERM; long-running commands stop and clean up. */
  signal: AbortSignal;
}

/** Exit codes, documented in the README; stable for CI scripts. */
export const EXIT = {
  ok: 0,
  /** invalid input, failed lint, or (later) a failed verdict. */
  failed: 1,
  /** the command line itself was wrong. */
  usage: 2,
  /** a bug in probelab. */
  internal: 70,
  /** interrupted, and the cleanup could not finish (or a second signal cut it short). */
  abortedDirty: 4,
  /** interrupted by SIGINT (128 + 2) or SIGTERM (128 + 15), cleanup done. */
  sigint: 130,
  sigterm: 143,
} as const;
