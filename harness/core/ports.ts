/** Narrow interfaces the core and runtime depend on; adapters and the CLI edge implement them. */

/** Output is a text sink: a terminal stream, a log file, or a test's buffer. */
export interface Output {
  write(text: string): void;
}
