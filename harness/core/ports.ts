/** Narrow interfaces the core and runtime depend on; adapters and the CLI edge implement them. */

/** Output is a text sink: a terminal stream, a log file, or a test's buffer. */
export interface Output {
  write(text: string): void;
  /** isTTY / columns: set when the sink is a terminal (process.stderr has them), for in-place progress. */
  readonly isTTY?: boolean;
  readonly columns?: number;
}
