/**
 * Problems found in an input file: the one shape every validator returns, so that all of a file's
 * problems can be reported together, each as `file:line path: what is wrong, what is allowed`.
 */

export type PathSegment = string | number;

export interface Problem {
  /** path is the location of the offending value inside the document, from its root. */
  path: PathSegment[];
  /** message says what is wrong and what is allowed, starting in lowercase. */
  message: string;
  /** severity: errors make the file unusable; warnings are printed and do not change the exit code. */
  severity: 'error' | 'warning';
  /** line is 1-based; set by the loader that knows the source text. */
  line?: number;
}

/** formatPath renders a path the way users write it: `workloads[0].probes.liveness`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out === '' ? '(document)' : out;
}

/** formatProblem renders one problem as `file:line path: message` (the line is omitted when unknown). */
export function formatProblem(file: string, problem: Problem): string {
  const where = problem.line === undefined ? file : `${file}:${problem.line}`;
  const prefix = problem.severity === 'warning' ? 'warning: ' : '';
  return `${where} ${formatPath(problem.path)}: ${prefix}${problem.message}`;
}

/** hasErrors reports whether any problem is an error (warnings do not count). */
export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((problem) => problem.severity === 'error');
}

/** error and warning build problems tersely inside rule code. */
export const error = (path: PathSegment[], message: string): Problem => ({
  path,
  message,
  severity: 'error',
});
export const warning = (path: PathSegment[], message: string): Problem => ({
  path,
  message,
  severity: 'warning',
});

/** show describes a value found in a file for an error message: strings quoted, containers by kind. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}
